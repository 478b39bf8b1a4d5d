import type { EncryptionContext } from './ciphertext';
import { KmsError } from './errors';

/** A parsed AWS JSON 1.1 request body. */
export type KmsInput = Readonly<Record<string, unknown>>;

export function parseKmsInput(body: Buffer): KmsInput {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new KmsError('SerializationException', 'Request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new KmsError('SerializationException', 'Request body must be a JSON object.');
  }
  return parsed as KmsInput;
}

// Messages follow the shape of AWS's own validation errors so log readers recognise them.
function invalid(field: string, value: unknown, constraint: string): KmsError {
  const shown = value === undefined ? 'null' : `'${String(value)}'`;
  return new KmsError('ValidationException', `1 validation error detected: Value ${shown} at '${lowerFirst(field)}' failed to satisfy constraint: ${constraint}`);
}

export function requiredString(input: KmsInput, field: string): string {
  const value = input[field];
  if (typeof value !== 'string' || value.length === 0) throw invalid(field, value, 'Member must not be null');
  return value;
}

export function optionalString(input: KmsInput, field: string): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(field, value, 'Member must be a string');
  return value;
}

export function optionalInteger(input: KmsInput, field: string, min: number, max: number): number | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(field, value, `Member must have value between ${min} and ${max}`);
  }
  return value;
}

/** A base64 blob field (the SDK base64-encodes Uint8Array members in JSON). */
export function requiredBlob(input: KmsInput, field: string, maxBytes: number): Buffer {
  const value = input[field];
  if (typeof value !== 'string') throw invalid(field, undefined, 'Member must not be null');
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length < 1 || bytes.length > maxBytes) throw invalid(field, '[blob]', `Member must have length between 1 and ${maxBytes}`);
  return bytes;
}

export function encryptionContext(input: KmsInput, field: string): EncryptionContext | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(field, '[value]', 'Member must be a map of strings');
  for (const entry of Object.values(value)) {
    if (typeof entry !== 'string') throw invalid(field, '[value]', 'Member must be a map of strings');
  }
  return value as EncryptionContext;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
