import { NoncePool } from './nonce-pool';

describe('NoncePool', () => {
  it('hands out every byte once: draws across refills never overlap or repeat', () => {
    const pool = new NoncePool(96);
    const seen = new Set<string>();
    const drawn: Buffer[] = [];
    for (let i = 0; i < 100; i++) {
      const nonce = pool.draw(12);
      expect(nonce).toHaveLength(12);
      drawn.push(nonce);
      seen.add(nonce.toString('hex'));
    }
    expect(seen.size).toBe(100);
    // A refill takes a new buffer: what was handed out earlier is not rewritten.
    const first = Buffer.from(drawn[0]);
    for (let i = 0; i < 50; i++) pool.draw(12);
    expect(drawn[0].equals(first)).toBe(true);
  });

  it('draws a batch larger than a quarter of the pool directly, at the size asked', () => {
    const pool = new NoncePool(96);
    const batch = pool.draw(12 * 1_000);
    expect(batch).toHaveLength(12_000);
    expect(pool.draw(12)).toHaveLength(12);
  });
});
