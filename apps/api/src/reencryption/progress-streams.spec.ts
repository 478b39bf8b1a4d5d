import { EventEmitter } from 'node:events';
import { waitFor } from '@cmk/testing';
import type { Response } from 'express';
import type { LiveBanner } from '@cmk/reencryption';
import type { ApiConfig } from '../config';
import type { LiveReencryptionService } from './live-reencryption.service';
import { ProgressHub } from './progress-hub';
import { ProgressStreams } from './progress-streams';
import { StreamSlots } from './stream-slots';

const config = (streams: Partial<ApiConfig['streams']> = {}) => ({ streams: { heartbeatMs: 15_000, pollMs: 10, maxSeconds: 300, maxPerOrg: 10, maxTotal: 500, ...streams } }) as ApiConfig;

/** A response that records what the stream writes, and can be closed like a client leaving. */
class FakeResponse extends EventEmitter {
  readonly written: string[] = [];
  writableEnded = false;
  statusCode = 0;
  status(code: number) {
    this.statusCode = code;
    return this;
  }
  set() {
    return this;
  }
  flushHeaders() {}
  write(chunk: string) {
    this.written.push(chunk);
    return true;
  }
  end() {
    this.writableEnded = true;
    this.emit('close');
  }
}

function setUp(banner: () => LiveBanner | null, streams: Partial<ApiConfig['streams']> = {}) {
  const live = { banner: async () => banner() } as unknown as LiveReencryptionService;
  const settings = config(streams);
  const hub = new ProgressHub(live, settings);
  const slots = new StreamSlots(settings);
  return { hub, slots, streams: new ProgressStreams(hub, slots, settings) };
}

const running = (done: number) => ({ id: 'run-1', state: 'running', done, failed: 0 }) as unknown as LiveBanner;

describe('ProgressStreams: every stream is bounded', () => {
  it('ends a stream whose token is revoked, on the next poll, and gives its slot and poll loop back', async () => {
    const { hub, slots, streams } = setUp(() => running(1));
    let allowed = true;
    const response = new FakeResponse();
    const ended = streams.serve({ orgId: 'acme', response: response as unknown as Response, mode: 'run', allowed: async () => allowed });
    expect(slots.total).toBe(1);
    await waitFor(() => response.written.length > 0, { description: 'the first frame' });
    allowed = false;
    expect(await ended).toBe('revoked');
    expect(response.writableEnded).toBe(true);
    expect(slots.total).toBe(0);
    expect(hub.loopCount).toBe(0);
  });

  it('ends a run stream after the event that shows the run finished', async () => {
    let banner = running(1);
    const { streams } = setUp(() => banner);
    const response = new FakeResponse();
    const ended = streams.serve({ orgId: 'acme', response: response as unknown as Response, mode: 'run', allowed: async () => true });
    banner = { ...running(2), state: 'completed' } as unknown as LiveBanner;
    expect(await ended).toBe('run-finished');
    expect(response.written.at(-1)).toContain('"state":"completed"');
    expect(response.written.every((frame) => frame.startsWith('event: reencryption\n'))).toBe(true);
  });

  it('ends after the maximum duration, with heartbeats while nothing changes', async () => {
    const { streams } = setUp(() => null, { maxSeconds: 1, heartbeatMs: 100, pollMs: 50 });
    const response = new FakeResponse();
    expect(await streams.serve({ orgId: 'acme', response: response as unknown as Response, mode: 'console', allowed: async () => true })).toBe('max-duration');
    expect(response.written[0]).toBe('retry: 3000\n\n');
    expect(response.written.filter((frame) => frame.startsWith('event: idle'))).toHaveLength(1);
    expect(response.written.filter((frame) => frame === ': heartbeat\n\n').length).toBeGreaterThanOrEqual(2);
  });

  it('refuses past the cap before writing anything', async () => {
    const { streams } = setUp(() => null, { maxPerOrg: 1 });
    const first = new FakeResponse();
    const open = streams.serve({ orgId: 'acme', response: first as unknown as Response, mode: 'console', allowed: async () => true });
    const second = new FakeResponse();
    expect(() => streams.serve({ orgId: 'acme', response: second as unknown as Response, mode: 'console', allowed: async () => true })).toThrow(expect.objectContaining({ code: 'STREAM_LIMIT_REACHED' }));
    expect(second.written).toEqual([]);
    first.emit('close');
    expect(await open).toBe('client');
  });
});
