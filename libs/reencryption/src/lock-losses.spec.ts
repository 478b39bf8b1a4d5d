import { isLockLoss, LockLossLog } from './lock-losses';

describe('LockLossLog', () => {
  it('logs the first lost lock of a minute and counts the rest into one line at its end', () => {
    jest.useFakeTimers();
    try {
      let clock = 0;
      const lines: string[] = [];
      const log = new LockLossLog({ log: () => undefined, warn: (m) => lines.push(m), error: () => undefined }, 60_000, () => clock);
      for (let i = 0; i < 12; i++) log.lost('batch worker', new Error(`Missing lock for job batch-${i}. moveToFinished`));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^batch worker: Missing lock for job batch-0\. moveToFinished; the job runs again/);
      clock = 60_000;
      jest.advanceTimersByTime(60_000);
      expect(lines[1]).toBe('11 more lost job lock(s) in the last minute; those jobs run again');
      log.lost('plan worker', new Error('could not renew lock for job plan-1'));
      expect(lines).toHaveLength(3);
      log.close();
    } finally {
      jest.useRealTimers();
    }
  });

  it('recognises only BullMQ lock losses', () => {
    expect(['could not renew lock for job x', 'Missing lock for job x. moveToDelayed', 'Lock mismatch for job x. Cmd moveToFinished from active'].every((m) => isLockLoss(new Error(m)))).toBe(true);
    expect(isLockLoss(new Error('KMS_ACCESS_DENIED'))).toBe(false);
  });
});
