import { GracefulShutdown } from './shutdown';

describe('GracefulShutdown', () => {
  function setup(graceMs = 1_000) {
    const lines: string[] = [];
    const exits: number[] = [];
    const logger = { log: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
    const shutdown = new GracefulShutdown({ graceMs, logger, exit: (code) => exits.push(code) });
    return { shutdown, lines, exits };
  }

  it('runs the steps last-registered first and exits 0 when all finish cleanly', async () => {
    const { shutdown, exits } = setup();
    const order: string[] = [];
    shutdown.register('store', async () => void order.push('store'));
    shutdown.register('workers', async () => void order.push('workers'));
    await shutdown.shutdown('SIGTERM');
    expect(order).toEqual(['workers', 'store']);
    expect(exits).toEqual([0]);
    expect(shutdown.stopping).toBe(true);
  });

  it('exits 1 when a step fails or leaves work undone, after running the others', async () => {
    const { shutdown, exits, lines } = setup();
    const closed: string[] = [];
    shutdown.register('store', async () => void closed.push('store'));
    shutdown.register('workers', async () => ({ clean: false, note: '2 job(s) abandoned' }));
    shutdown.register('probes', async () => {
      throw new Error('boom');
    });
    await shutdown.shutdown('SIGINT');
    expect(closed).toEqual(['store']);
    expect(exits).toEqual([1]);
    expect(lines).toContain('shutdown: workers: 2 job(s) abandoned');
    expect(lines).toContain('shutdown: probes failed: boom');
  });

  it('exits 1 at the end of the grace when a step never returns', async () => {
    jest.useFakeTimers();
    try {
      const { shutdown, exits, lines } = setup(500);
      shutdown.register('redis', () => new Promise(() => undefined));
      void shutdown.shutdown('SIGTERM');
      await jest.advanceTimersByTimeAsync(499);
      expect(exits).toEqual([]);
      await jest.advanceTimersByTimeAsync(1);
      expect(exits).toEqual([1]);
      expect(lines.at(-1)).toBe('shutdown not clean: "redis" did not finish within the grace of 500 ms; exiting');
    } finally {
      jest.useRealTimers();
    }
  });
});
