/**
 * Redis key layout of the read models. Every key starts with the namespace, which carries the
 * projection version (`rm:v1`): a rebuild under `rm:v2` runs beside the live `rm:v1` and the
 * readers switch when it has caught up.
 *
 * | key | type | holds |
 * |---|---|---|
 * | `<ns>:checkpoint` | string | `formatPosition` of the last event applied to every document below |
 * | `<ns>:keys:<orgId>` | string (JSON) | `KeyListDoc` |
 * | `<ns>:reencryption:<orgId>` | string (JSON) | `ReencryptionBannerDoc` |
 * | `<ns>:datakeys:<orgId>:<wrappingKeyId>` | sorted set | data key ids, scored by commit position |
 * | `<ns>:datakey-wrappers:<orgId>` | set | wrapping key ids that have held data keys |
 *
 * The checkpoint covers all documents because one runner writes them in one atomic step.
 */
export const DEFAULT_NAMESPACE = 'rm:v1';

export interface ReadModelKeys {
  readonly namespace: string;
  readonly checkpoint: string;
  keyList(orgId: string): string;
  banner(orgId: string): string;
  dataKeys(orgId: string, wrappingKeyId: string): string;
  wrappers(orgId: string): string;
}

export function readModelKeys(namespace: string = DEFAULT_NAMESPACE): ReadModelKeys {
  return {
    namespace,
    checkpoint: `${namespace}:checkpoint`,
    keyList: (orgId) => `${namespace}:keys:${orgId}`,
    banner: (orgId) => `${namespace}:reencryption:${orgId}`,
    dataKeys: (orgId, wrappingKeyId) => `${namespace}:datakeys:${orgId}:${wrappingKeyId}`,
    wrappers: (orgId) => `${namespace}:datakey-wrappers:${orgId}`,
  };
}
