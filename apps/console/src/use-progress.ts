import { useEffect, useRef, useState } from 'react';
import { keysReencryption, progressStreamTicket, type Client, type ReencryptionDto } from '@cmk/api-client';
import { ApiFailure, call } from './api';

export type ProgressTransport = 'connecting' | 'live' | 'polling';

const POLL_MS = 2_000;
const RECONNECT_MS = 1_000;
/** After this many failed stream attempts in a row the banner polls instead (and retries the stream later). */
const MAX_STREAM_FAILURES = 3;
const STREAM_RETRY_AFTER_MS = 30_000;

/**
 * The live re-encryption banner. EventSource cannot send a header and the token must never be in
 * a URL, so each connection first trades the token for a one-minute, single-purpose ticket; the
 * server's stream sends heartbeats and asks to reconnect after 3 s. When the stream keeps failing
 * (a proxy that buffers, an old browser) the hook polls `GET …/reencryption` and tries the stream
 * again later.
 */
export function useProgress(client: Client, org: string, initial: ReencryptionDto | null): { run: ReencryptionDto | null; transport: ProgressTransport } {
  const [run, setRun] = useState<ReencryptionDto | null>(initial);
  const [transport, setTransport] = useState<ProgressTransport>('connecting');
  const initialRef = useRef(initial);

  useEffect(() => {
    let stopped = false;
    let source: EventSource | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    setRun(initialRef.current);

    const later = (fn: () => void, ms: number) => {
      if (!stopped) timer = setTimeout(fn, ms);
    };

    const poll = async (until: number) => {
      if (stopped) return;
      setTransport('polling');
      try {
        setRun(await call(keysReencryption({ client, path: { org } })));
      } catch (error) {
        if (error instanceof ApiFailure && error.code === 'REENCRYPTION_NOT_FOUND') setRun(null);
      }
      if (Date.now() >= until) later(() => void connect(), 0);
      else later(() => void poll(until), POLL_MS);
    };

    const failed = () => {
      source?.close();
      source = undefined;
      failures += 1;
      if (failures >= MAX_STREAM_FAILURES) {
        failures = 0;
        void poll(Date.now() + STREAM_RETRY_AFTER_MS);
      } else later(() => void connect(), RECONNECT_MS * failures);
    };

    const connect = async () => {
      if (stopped) return;
      let ticket: string;
      try {
        ticket = (await call(progressStreamTicket({ client, path: { org } }))).ticket;
      } catch {
        failed();
        return;
      }
      if (stopped) return;
      const url = `/api/orgs/${encodeURIComponent(org)}/customer-managed-keys/reencryption/stream?ticket=${encodeURIComponent(ticket)}`;
      source = new EventSource(url);
      source.addEventListener('open', () => {
        failures = 0;
        setTransport('live');
      });
      source.addEventListener('reencryption', (event) => setRun(JSON.parse((event as MessageEvent<string>).data) as ReencryptionDto));
      source.addEventListener('idle', () => setRun(null));
      let errorsSinceOpen = 0;
      source.addEventListener('open', () => (errorsSinceOpen = 0));
      source.addEventListener('error', () => {
        // CLOSED: the server refused (expired ticket, revoked token): get a new ticket.
        if (source?.readyState === EventSource.CLOSED) return failed();
        // CONNECTING: the browser reconnects by itself (same ticket, fine within its minute),
        // unless the network keeps failing: then poll.
        errorsSinceOpen += 1;
        if (errorsSinceOpen < MAX_STREAM_FAILURES) return setTransport('connecting');
        failures = MAX_STREAM_FAILURES - 1;
        failed();
      });
    };

    void connect();
    return () => {
      stopped = true;
      source?.close();
      if (timer) clearTimeout(timer);
    };
  }, [client, org]);

  return { run, transport };
}
