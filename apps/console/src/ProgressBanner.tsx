import { useState } from 'react';
import { keysRetry, type Client, type KeyDto, type ReencryptionDto } from '@cmk/api-client';
import { call } from './api';
import { describeCode, describeFailure, formatEta } from './messages';
import type { ProgressTransport } from './use-progress';

const REASONS: Record<string, string> = {
  'first-key': 'Moving data keys to your first key',
  'key-disabled': 'Moving data keys off a disabled key',
  'all-keys-disabled': 'Moving all data keys back to the platform key',
  retry: 'Retrying the failed re-encryption',
};

const COMPLETED_SHOWN_MS = 15 * 60_000;

/** The live progress banner: done/total, ETA, failures by code; after a failure, the reason and Retry. */
export function ProgressBanner(props: { client: Client; org: string; run: ReencryptionDto | null; transport: ProgressTransport; keys: KeyDto[]; onRetried: () => void }) {
  const { run } = props;
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [dismissed, setDismissed] = useState<string | null>(null);
  if (!run || dismissed === run.id) return null;
  // A completed run is news for a while, not forever (a failed one stays until it is retried).
  if (run.state === 'completed' && run.finishedAt && Date.now() - Date.parse(run.finishedAt) > COMPLETED_SHOWN_MS) return null;

  const nameOf = (id: string) => (id === 'platform' ? 'the platform key' : `"${props.keys.find((k) => k.id === id)?.name ?? id}"`);
  const percent = run.total > 0 ? Math.floor(((run.done + run.failed) / run.total) * 100) : run.state === 'completed' ? 100 : 0;
  const failures = Object.entries(run.failuresByCode);

  const retry = async () => {
    setBusy(true);
    setError(null);
    try {
      await call(keysRetry({ client: props.client, path: { org: props.org } }));
      props.onRetried();
    } catch (failure) {
      setError(describeFailure(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className={`banner banner-${run.state}`} aria-labelledby="banner-title" data-run-state={run.state}>
      <div className="banner-head">
        <h2 id="banner-title">
          {run.state === 'running' && `${REASONS[run.reason] ?? 'Re-encrypting'}…`}
          {run.state === 'completed' && 'Re-encryption complete'}
          {run.state === 'failed' && 'Re-encryption failed'}
        </h2>
        <span className="banner-tools">
          <span className="transport" title="How this banner gets its updates">
            {props.transport === 'live' ? 'live' : props.transport === 'polling' ? 'updating every 2 s' : 'connecting…'}
          </span>
          {run.state === 'completed' && (
            <button type="button" className="secondary small" onClick={() => setDismissed(run.id)}>
              Dismiss
            </button>
          )}
        </span>
      </div>
      <p role="status" aria-live="polite">
        {run.done.toLocaleString()} of {run.total.toLocaleString()} data keys re-encrypted to {nameOf(run.to)}
        {run.failed > 0 && `, ${run.failed.toLocaleString()} failed`}
        {run.state === 'running' && ` · ${formatEta(run.etaSeconds)}`}
      </p>
      <div className="progress">
        <progress max={100} value={percent} aria-label="Re-encryption progress">
          {percent}%
        </progress>
        <span>{percent}%</span>
      </div>
      {failures.length > 0 && (
        <ul className="failures" aria-label="Failures by cause">
          {failures.map(([code, count]) => (
            <li key={code}>
              {count.toLocaleString()} × {describeCode(code)} <code>{code}</code>
            </li>
          ))}
        </ul>
      )}
      {run.state === 'failed' && (
        <div className="retry">
          <p>
            {run.failureReason ?? 'Some data keys could not be re-encrypted.'} They remain readable under their previous key; fix the cause in AWS, then retry.
          </p>
          <button type="button" onClick={() => void retry()} disabled={busy}>
            {busy ? 'Retrying…' : 'Retry'}
          </button>
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
        </div>
      )}
    </section>
  );
}
