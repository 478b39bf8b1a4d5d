import { randomBytes } from 'node:crypto';

/** 256 nonces of 12 bytes: one CSPRNG call per 256 single-value requests instead of one each. */
const POOL_BYTES = 3_072;

/**
 * Fresh random bytes for GCM nonces, cut from a pool drawn from the CSPRNG in one call:
 * a synchronous `randomBytes` call costs several microseconds whatever its size, and a
 * single-value encrypt needs only 12 bytes. Every byte is handed out once; a refill draws a
 * new buffer (slices already handed out are never rewritten). Nonces are not secret, so
 * holding the next few thousand bytes in memory exposes nothing. Larger requests draw directly.
 */
export class NoncePool {
  private pool = Buffer.alloc(0);
  private offset = 0;

  constructor(private readonly poolBytes = POOL_BYTES) {}

  draw(bytes: number): Buffer {
    if (bytes > this.poolBytes / 4) return randomBytes(bytes);
    if (this.offset + bytes > this.pool.length) {
      this.pool = randomBytes(this.poolBytes);
      this.offset = 0;
    }
    const nonces = this.pool.subarray(this.offset, this.offset + bytes);
    this.offset += bytes;
    return nonces;
  }
}
