import { timingSafeEqual } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ApplicationError } from '@cmk/application';
import type { ProbeOutcome } from '@cmk/domain';
import type { EncryptionContext } from '../port';
import type { AwsClientPool } from './aws-client-pool';
import { checkKeyArn } from './customer-kms-keys';
import { KmsCalls } from './kms-calls';
import type { WebIdentityCredentials } from './web-identity-credentials';

/** The encryption context `purpose` of every probe call (CloudTrail and the emulator tell them apart by it). */
export const HEALTH_PROBE_PURPOSE = 'health-probe';

export interface ProbeTarget {
  readonly orgId: string;
  readonly roleArn: string;
  /** The resolved key ARN the key ring wraps with. */
  readonly keyArn: string;
}

/**
 * The canary: exactly what the product needs of a customer key and nothing more. It assumes
 * the role afresh with our OIDC token (a cached session would hide a trust-policy change),
 * then GenerateDataKey and Decrypt under `{org, dataKey: "health-probe", purpose: "health-probe"}`.
 * It never throws: every failure becomes its stable error code, for the pure classifier.
 * Throttling is not retried beyond the SDK's own attempts: a throttled canary is the signal.
 */
export class KeyHealthProbe {
  constructor(
    private readonly clients: AwsClientPool,
    private readonly credentials: WebIdentityCredentials,
  ) {}

  /**
   * One canary. `timeoutMs` (default 10 000) bounds the whole round trip: a probe that takes
   * longer is `KMS_UNAVAILABLE` (the calls still finish in the background and zero their keys).
   */
  async probe(target: ProbeTarget, timeoutMs = 10_000): Promise<ProbeOutcome> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<ProbeOutcome>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, latencyMs: Math.round(performance.now() - started), code: 'KMS_UNAVAILABLE', message: `The canary did not finish within ${timeoutMs} ms` }),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.run(target, started), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async run(target: ProbeTarget, started: number): Promise<ProbeOutcome> {
    const latencyMs = () => Math.round((performance.now() - started) * 10) / 10;
    const cacheKey = `probe\n${target.orgId}\n${target.roleArn}\n${started}`;
    try {
      const { region } = checkKeyArn(target.keyArn);
      const session = await this.credentials.assumeUncached(target.orgId, target.roleArn, region);
      const client = this.clients.kmsClient(cacheKey, region, () => Promise.resolve(session));
      const kms = new KmsCalls({ client: () => client }, target.roleArn, { retries: 0 });
      const context: EncryptionContext = { org: target.orgId, dataKey: HEALTH_PROBE_PURPOSE, purpose: HEALTH_PROBE_PURPOSE };
      const generated = await kms.generateDataKey(target.keyArn, context);
      try {
        const decrypted = await kms.decrypt(generated.keyArn, generated.wrapped, context);
        const same = decrypted.plaintext.length === generated.plaintext.length && timingSafeEqual(decrypted.plaintext, generated.plaintext);
        decrypted.plaintext.fill(0);
        if (!same) return { ok: false, latencyMs: latencyMs(), code: 'KMS_INVALID_CIPHERTEXT', message: `KMS key ${generated.keyArn} did not return the data key it generated` };
      } finally {
        generated.plaintext.fill(0);
      }
      return { ok: true, latencyMs: latencyMs() };
    } catch (error) {
      if (error instanceof ApplicationError) return { ok: false, latencyMs: latencyMs(), code: error.code, message: error.message };
      return { ok: false, latencyMs: latencyMs(), code: 'KMS_UNAVAILABLE', message: error instanceof Error ? error.message.slice(0, 300) : 'probe failed' };
    } finally {
      this.clients.evictKmsClient(cacheKey);
    }
  }
}
