import type { DataKeyEvent, EventMetadata, KeyringEvent, ReencryptionReason } from '@cmk/domain';

/**
 * Local stand-in for the domain codecs (`decodeKeyringEvent` / `decodeDataKeyEvent`), which were
 * being written in libs/domain at the same time as this library. It validates exactly the fields
 * the read models use and has the same shape (`{ type, data, metadata }` in, typed event out,
 * throws on a malformed payload), so swapping it for the domain codec is a one-line change in
 * `projected-event.ts`.
 */
export interface RawEvent {
  readonly type: string;
  readonly data: unknown;
  readonly metadata: unknown;
}

export class ReadModelDecodingError extends Error {
  override readonly name = 'ReadModelDecodingError';
  constructor(
    readonly eventType: string,
    readonly path: string,
  ) {
    super(`Cannot decode ${eventType}: bad or missing ${path}`);
  }
}

type Fields = Readonly<Record<string, unknown>>;

function objectAt(value: unknown, type: string, path: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ReadModelDecodingError(type, path);
  return value as Fields;
}

class Reader {
  constructor(
    private readonly fields: Fields,
    private readonly type: string,
  ) {}

  string(name: string): string {
    const value = this.fields[name];
    if (typeof value !== 'string' || value.length === 0) throw new ReadModelDecodingError(this.type, `data.${name}`);
    return value;
  }

  optionalString(name: string): string | undefined {
    return this.fields[name] === undefined ? undefined : this.string(name);
  }

  count(name: string): number {
    const value = this.fields[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new ReadModelDecodingError(this.type, `data.${name}`);
    return value;
  }

  strings(name: string): string[] {
    const value = this.fields[name];
    if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) {
      throw new ReadModelDecodingError(this.type, `data.${name}`);
    }
    return [...value];
  }

  counts(name: string): Record<string, number> {
    const value = this.fields[name] ?? {};
    const source = objectAt(value, this.type, `data.${name}`);
    const result: Record<string, number> = {};
    for (const [key, count] of Object.entries(source)) {
      if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) throw new ReadModelDecodingError(this.type, `data.${name}.${key}`);
      result[key] = count;
    }
    return result;
  }
}

const REASONS: readonly ReencryptionReason[] = ['first-key', 'key-disabled', 'all-keys-disabled', 'retry'];

function reasonOf(read: Reader, type: string): ReencryptionReason {
  const value = read.string('reason');
  const match = REASONS.find((reason) => reason === value);
  if (!match) throw new ReadModelDecodingError(type, 'data.reason');
  return match;
}

/** Read models need `occurredAt` (banner times); the other fields are kept when present. */
function decodeMetadata(value: unknown, type: string): EventMetadata {
  const fields = objectAt(value ?? {}, type, 'metadata');
  const text = (name: string): string => (typeof fields[name] === 'string' ? (fields[name] as string) : '');
  const occurredAt = text('occurredAt');
  if (Number.isNaN(Date.parse(occurredAt))) throw new ReadModelDecodingError(type, 'metadata.occurredAt');
  const tokenId = text('tokenId');
  return {
    actor: text('actor'),
    ...(tokenId ? { tokenId } : {}),
    requestId: text('requestId'),
    correlationId: text('correlationId'),
    causationId: text('causationId'),
    occurredAt,
  };
}

/** Decodes a keyring stream event; `undefined` for a type this version does not know. */
export function decodeKeyringEvent(raw: RawEvent): KeyringEvent | undefined {
  const { type } = raw;
  const read = new Reader(objectAt(raw.data, type, 'data'), type);
  const metadata = (): EventMetadata => decodeMetadata(raw.metadata, type);
  const orgId = (): string => read.string('orgId');
  switch (type) {
    case 'KeyAdded':
      return {
        type,
        data: {
          orgId: orgId(),
          keyId: read.string('keyId'),
          name: read.string('name'),
          provider: 'aws-kms',
          roleArn: read.string('roleArn'),
          keyArn: read.string('keyArn'),
          resolvedKeyArn: read.string('resolvedKeyArn'),
        },
        metadata: metadata(),
      };
    case 'DefaultChanged':
      return { type, data: { orgId: orgId(), from: read.string('from'), to: read.string('to') }, metadata: metadata() };
    case 'KeyDisabled':
      return { type, data: { orgId: orgId(), keyId: read.string('keyId'), reencryptTo: read.string('reencryptTo') }, metadata: metadata() };
    case 'AllKeysDisabled':
      return { type, data: { orgId: orgId(), keyIds: read.strings('keyIds') }, metadata: metadata() };
    case 'ReencryptionStarted': {
      const retryOf = read.optionalString('retryOf');
      const data = { orgId: orgId(), reencryptionId: read.string('reencryptionId'), from: read.strings('from'), to: read.string('to'), reason: reasonOf(read, type) };
      return { type, data: retryOf ? { ...data, retryOf } : data, metadata: metadata() };
    }
    case 'ReencryptionProgressed':
      return {
        type,
        data: { orgId: orgId(), reencryptionId: read.string('reencryptionId'), done: read.count('done'), failed: read.count('failed'), total: read.count('total') },
        metadata: metadata(),
      };
    case 'ReencryptionCompleted':
      return {
        type,
        data: { orgId: orgId(), reencryptionId: read.string('reencryptionId'), rewrapped: read.count('rewrapped'), failed: read.count('failed') },
        metadata: metadata(),
      };
    case 'ReencryptionFailed':
      return {
        type,
        data: {
          orgId: orgId(),
          reencryptionId: read.string('reencryptionId'),
          reason: read.string('reason'),
          rewrapped: read.count('rewrapped'),
          failed: read.count('failed'),
          failuresByCode: read.counts('failuresByCode'),
        },
        metadata: metadata(),
      };
    default:
      return undefined;
  }
}

/** Decodes a data-key stream event; `undefined` for a type this version does not know. */
export function decodeDataKeyEvent(raw: RawEvent): DataKeyEvent | undefined {
  const { type } = raw;
  const read = new Reader(objectAt(raw.data, type, 'data'), type);
  const base = (): { orgId: string; dataKeyId: string; kekRef: string; wrapped: string } => ({
    orgId: read.string('orgId'),
    dataKeyId: read.string('dataKeyId'),
    kekRef: read.string('kekRef'),
    wrapped: read.string('wrapped'),
  });
  switch (type) {
    case 'DataKeyIssued':
      return { type, data: { ...base(), scope: read.string('scope'), wrappedBy: read.string('wrappedBy') }, metadata: decodeMetadata(raw.metadata, type) };
    case 'DataKeyRewrapped':
      return {
        type,
        data: { ...base(), from: read.string('from'), to: read.string('to'), reencryptionId: read.string('reencryptionId') },
        metadata: decodeMetadata(raw.metadata, type),
      };
    default:
      return undefined;
  }
}
