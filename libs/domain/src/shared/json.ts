/**
 * JSON documents as the event store keeps them. Declared here (structurally identical to the
 * event store port's types) because the domain may not import infrastructure.
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * Copies a plain value into a JSON document, dropping `undefined` properties (optional fields)
 * and refusing what JSON cannot carry (functions, bigint, NaN, class instances), so an encoded
 * event reads back exactly as it was written.
 */
export function toJsonValue(value: unknown, path = '$'): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${path}: ${value} is not representable in JSON`);
    return value;
  }
  if (Array.isArray(value)) return value.map((item, i) => toJsonValue(item, `${path}[${i}]`));
  if (isPlainObject(value)) return toJsonObject(value, path);
  throw new TypeError(`${path}: a ${typeof value} is not representable in JSON`);
}

export function toJsonObject(value: object, path = '$'): JsonObject {
  if (!isPlainObject(value)) throw new TypeError(`${path}: expected a plain object`);
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    if (item !== undefined) out[key] = toJsonValue(item, `${path}.${key}`);
  }
  return out;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
