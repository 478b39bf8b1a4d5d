import { Inject, Injectable } from '@nestjs/common';
import { ApplicationError } from '@cmk/application';
import type { ApiConfig } from '../config';
import { API_CONFIG } from '../tokens';

/**
 * The connection caps of the live progress streams on this replica: `CMK_STREAM_MAX_PER_ORG`
 * per org (so one org cannot take every slot) and `CMK_STREAM_MAX_TOTAL` in all. Counted in
 * process: a cap bounds what one replica holds open (sockets, memory), which is what it protects.
 */
@Injectable()
export class StreamSlots {
  private readonly perOrg = new Map<string, number>();
  private open = 0;
  /** Streams refused since start, by cap. */
  readonly refused = { org: 0, total: 0 };

  constructor(@Inject(API_CONFIG) private readonly config: ApiConfig) {}

  get total(): number {
    return this.open;
  }

  /** Takes a slot for `orgId` or throws the cap's error; call the returned function exactly once to give it back. */
  acquire(orgId: string): () => void {
    const { maxPerOrg, maxTotal } = this.config.streams;
    const held = this.perOrg.get(orgId) ?? 0;
    if (held >= maxPerOrg) {
      this.refused.org += 1;
      throw new ApplicationError('STREAM_LIMIT_REACHED', 429, `This organization already has ${maxPerOrg} live progress streams open; close one, or poll GET …/customer-managed-keys/reencryption`, { limit: maxPerOrg, scope: 'org' });
    }
    if (this.open >= maxTotal) {
      this.refused.total += 1;
      throw new ApplicationError('STREAM_CAPACITY_REACHED', 503, 'The server holds as many live progress streams as it allows; retry shortly, or poll GET …/customer-managed-keys/reencryption', { limit: maxTotal, scope: 'server' });
    }
    this.perOrg.set(orgId, held + 1);
    this.open += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.open -= 1;
      const left = (this.perOrg.get(orgId) ?? 1) - 1;
      if (left > 0) this.perOrg.set(orgId, left);
      else this.perOrg.delete(orgId);
    };
  }
}
