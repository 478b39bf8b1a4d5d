import { offsetMs, slotOf, slotStart, tickMs } from './schedule';

describe('probe schedule', () => {
  const interval = 300_000;

  it('spreads keys over the interval deterministically', () => {
    const offsets = Array.from({ length: 200 }, (_, i) => offsetMs('acme', `key-${i}`, interval));
    expect(offsets.every((o) => o >= 0 && o < interval)).toBe(true);
    expect(new Set(offsets.map((o) => Math.floor(o / 30_000))).size).toBeGreaterThan(5);
    expect(offsetMs('acme', 'key-1', interval)).toBe(offsets[1]);
  });

  it('gives one slot per interval per key, the same in every worker', () => {
    const start = 1_700_000_000_000;
    const slots = new Set(Array.from({ length: 1000 }, (_, i) => slotOf('acme', 'k', interval, start + i * 300)));
    expect(slots.size).toBeLessThanOrEqual(2);
    expect(slotOf('acme', 'k', interval, start + interval) - slotOf('acme', 'k', interval, start)).toBe(1);
  });

  it('starts each slot at the key\'s offset', () => {
    const now = 1_700_000_123_456;
    const slot = slotOf('acme', 'k', interval, now);
    expect(slotStart('acme', 'k', interval, slot)).toBeLessThanOrEqual(now);
    expect(slotStart('acme', 'k', interval, slot + 1)).toBeGreaterThan(now);
    expect(slotStart('acme', 'k', interval, slot) % interval).toBe(offsetMs('acme', 'k', interval));
  });

  it('ticks at a quarter interval within bounds', () => {
    expect(tickMs(300_000)).toBe(15_000);
    expect(tickMs(2_000)).toBe(500);
    expect(tickMs(100)).toBe(200);
  });
});
