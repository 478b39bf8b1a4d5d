/** One Server-Sent Event as the re-encryption stream sends it. */
export interface SseEvent {
  readonly event: string;
  readonly id: string;
  readonly data: string;
}

export interface SseStream {
  readonly status: number;
  readonly contentType: string | null;
  /** Resolves with every event once the server ends the stream (or the timeout aborts it). */
  readonly events: Promise<SseEvent[]>;
}

/**
 * Opens an SSE endpoint with fetch and collects its events until the server ends the stream. A
 * stream that never ends fails the test after `timeoutMs` instead of hanging it.
 */
export async function openSse(url: string, token: string, timeoutMs = 120_000): Promise<SseStream> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error(`SSE stream ${url} did not end within ${timeoutMs} ms`)), timeoutMs);
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: abort.signal });
  const collect = async (): Promise<SseEvent[]> => {
    try {
      const text = response.body ? await readAll(response.body) : '';
      return parseSse(text);
    } finally {
      clearTimeout(timer);
    }
  };
  return { status: response.status, contentType: response.headers.get('content-type'), events: collect() };
}

async function readAll(body: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    text += decoder.decode(value, { stream: true });
  }
}

/** The SSE wire format: blank-line separated blocks of `field: value` lines. */
export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of text.split('\n\n')) {
    if (block.trim() === '') continue;
    const fields: Record<string, string> = {};
    for (const line of block.split('\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) fields[line.slice(0, colon)] = (fields[line.slice(0, colon)] ?? '') + line.slice(colon + 1).replace(/^ /, '');
    }
    // A block without data (a `: heartbeat` comment) dispatches no event, as in EventSource.
    if (fields['data'] === undefined) continue;
    events.push({ event: fields['event'] ?? 'message', id: fields['id'] ?? '', data: fields['data'] });
  }
  return events;
}
