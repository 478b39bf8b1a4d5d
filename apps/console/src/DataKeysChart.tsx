import type { DataKeySummaryDto } from '@cmk/api-client';

/** Data keys per wrapping key as horizontal bars (plain elements: readable by screen readers as a list). */
export function DataKeysChart({ summary }: { summary: DataKeySummaryDto }) {
  const max = Math.max(1, ...summary.wrappingKeys.map((k) => k.dataKeys));
  return (
    <section className="card" aria-labelledby="chart-title">
      <h2 id="chart-title">Data keys per wrapping key</h2>
      <p className="muted">{summary.totalDataKeys.toLocaleString()} data keys in total.</p>
      <ul className="bars">
        {summary.wrappingKeys.map((key) => (
          <li key={key.keyId}>
            <span className="bar-label">
              {key.name}
              {key.isDefault ? ' (default)' : ''}
              {key.state === 'disabled' ? ' (disabled)' : ''}
            </span>
            <span className="bar-track" aria-hidden="true">
              <span className="bar-fill" style={{ width: `${(key.dataKeys / max) * 100}%` }} />
            </span>
            <span className="bar-value">{key.dataKeys.toLocaleString()}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
