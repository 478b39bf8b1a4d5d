import { useEffect, useState } from 'react';
import { keysHistoryPage, type Client, type HistoryPageDto } from '@cmk/api-client';
import { call } from './api';
import { describeFailure } from './messages';

const PAGE = 10;

/** Words for the key ring's event types. */
const EVENT_LABELS: Record<string, string> = {
  KeyAdded: 'Key added',
  DefaultChanged: 'Default key changed',
  KeyDisabled: 'Key disabled',
  AllKeysDisabled: 'All keys disabled',
  ReencryptionStarted: 'Re-encryption started',
  ReencryptionProgressed: 'Re-encryption progressed',
  ReencryptionCompleted: 'Re-encryption completed',
  ReencryptionFailed: 'Re-encryption failed',
};

/** The key ring's audit trail, a page at a time (pages follow stream revisions). */
export function HistoryTable({ client, org, version }: { client: Client; org: string; version: number }) {
  const [starts, setStarts] = useState<string[]>(['0']);
  const [page, setPage] = useState<HistoryPageDto | null>(null);
  const [error, setError] = useState<string | null>(null);
  const from = starts[starts.length - 1];

  useEffect(() => {
    let live = true;
    call(keysHistoryPage({ client, path: { org }, query: { from, limit: String(PAGE) } })).then(
      (result) => live && (setPage(result), setError(null)),
      (failure: unknown) => live && setError(describeFailure(failure)),
    );
    return () => {
      live = false;
    };
  }, [client, org, from, version]);

  return (
    <section className="card" aria-labelledby="history-title">
      <h2 id="history-title">Key ring history</h2>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {page && page.events.length === 0 && <p>Nothing has happened to this key ring yet.</p>}
      {page && page.events.length > 0 && (
        <table className="history">
          <caption className="visually-hidden">Key ring history, page {starts.length}</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">When</th>
              <th scope="col">What</th>
              <th scope="col">Who</th>
            </tr>
          </thead>
          <tbody>
            {page.events.map((event) => (
              <tr key={event.revision}>
                <td>{event.revision}</td>
                <td>
                  <time dateTime={event.occurredAt}>{new Date(event.occurredAt).toLocaleString()}</time>
                </td>
                <td>{EVENT_LABELS[event.type] ?? event.type}</td>
                <td>{event.actor.replace(/^user:/, '')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav className="pager" aria-label="History pages">
        <button type="button" className="secondary small" disabled={starts.length === 1} onClick={() => setStarts(starts.slice(0, -1))}>
          Previous
        </button>
        <span>Page {starts.length}</span>
        <button type="button" className="secondary small" disabled={!page?.nextRevision} onClick={() => page?.nextRevision && setStarts([...starts, page.nextRevision])}>
          Next
        </button>
      </nav>
    </section>
  );
}
