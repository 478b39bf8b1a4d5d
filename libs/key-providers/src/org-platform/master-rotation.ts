import type { OrgKeyRef } from './org-key-store';
import type { OrgPlatformKeys } from './org-platform-keys';

/**
 * Master key rotation that finishes. Data keys are wrapped by org platform keys, not by the
 * master key, so rotating the master key only has to rewrap the org keys (one live per org):
 * after `keys rotate-platform`, the worker calls this periodically and every live org key moves
 * to the newest master version. Idempotent: an org key already under the newest version is left
 * alone, and a generation destroyed meanwhile is skipped.
 *
 * Returns how many org keys were rewrapped now.
 */
export async function rewrapOrgKeysToCurrentMaster(orgKeys: OrgPlatformKeys): Promise<number> {
  let rewrapped = 0;
  for (const { orgId, generation } of await orgKeys.store.listLive()) {
    if (await orgKeys.rewrapToCurrentMaster(orgId, generation)) rewrapped += 1;
  }
  return rewrapped;
}

/** What still depends on a master key reference (e.g. `platform:v1`), for retirement. */
export interface MasterKeyDependents {
  /** Live org platform keys wrapped by it. */
  readonly orgKeys: readonly OrgKeyRef[];
  /** Data keys whose current wrapped form is directly under it (written before org keys, not migrated yet). */
  readonly dataKeys: readonly { readonly orgId: string; readonly dataKeyId: string }[];
}

/** A sentence naming what blocks retiring `kekRef` (at most a few names per kind), or undefined when nothing does. */
export function describeDependents(kekRef: string, dependents: MasterKeyDependents): string | undefined {
  const parts: string[] = [];
  if (dependents.orgKeys.length > 0) {
    const named = dependents.orgKeys.slice(0, 5).map((k) => `${k.orgId} generation ${k.generation}`).join(', ');
    parts.push(`${dependents.orgKeys.length} org platform key(s) (${named}${dependents.orgKeys.length > 5 ? ', …' : ''}); they are rewrapped in the background by the worker after a rotation`);
  }
  if (dependents.dataKeys.length > 0) {
    const orgs = [...new Set(dependents.dataKeys.map((d) => d.orgId))];
    parts.push(`${dependents.dataKeys.length} data key(s) wrapped directly by it, of org(s) ${orgs.slice(0, 5).join(', ')}${orgs.length > 5 ? ', …' : ''}; the migration run moves them under org platform keys`);
  }
  return parts.length === 0 ? undefined : `${kekRef} is still needed by ${parts.join(' and ')}`;
}

export interface RewrapLoop {
  stop(): Promise<void>;
}

/**
 * Runs {@link rewrapOrgKeysToCurrentMaster} now and then every `intervalMs` (the worker's
 * background half of `keys rotate-platform`). Errors are reported and retried next tick; a
 * tick never overlaps the previous one.
 */
export function startOrgKeyRewrapLoop(
  orgKeys: OrgPlatformKeys,
  intervalMs: number,
  report: { log(message: string): void; warn(message: string): void },
  outages?: { noticed(error: unknown, source: string): boolean },
): RewrapLoop {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const tick = () => {
    running = rewrapOrgKeysToCurrentMaster(orgKeys).then(
      (count) => {
        if (count > 0) report.log(`rewrapped ${count} org platform key(s) to the newest platform master key`);
      },
      (error: unknown) => {
        if (!outages?.noticed(error, 'org platform key rewrap')) report.warn(`org platform key rewrap failed (retried in ${intervalMs} ms): ${error instanceof Error ? error.message : String(error)}`);
      },
    );
  };
  tick();
  const timer = setInterval(() => {
    if (!stopped) void running.then(tick);
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
