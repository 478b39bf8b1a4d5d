/** The re-encryption banner as `GET …/reencryption` and its event stream send it. */
export interface RunBanner {
  readonly id: string;
  readonly state: string;
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  readonly etaSeconds?: number | null;
  readonly failuresByCode?: Readonly<Record<string, number>>;
  readonly failureReason?: string | null;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * One progress line: `[#########-----------] 45% 4500/10000 (3 failed) ETA 1m 20s`. Handled data
 * keys (done + failed) fill the bar, so a run that ends with failures still reaches 100%.
 */
export function progressLine(banner: RunBanner, width = 30): string {
  const handled = banner.done + banner.failed;
  const fraction = banner.total > 0 ? Math.min(1, handled / banner.total) : banner.state === 'running' ? 0 : 1;
  const filled = Math.round(fraction * width);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
  const failed = banner.failed > 0 ? ` (${banner.failed} failed)` : '';
  const tail =
    banner.state === 'running'
      ? typeof banner.etaSeconds === 'number'
        ? ` ETA ${formatDuration(banner.etaSeconds)}`
        : ' ETA -'
      : ` ${banner.state}`;
  return `${bar} ${String(Math.floor(fraction * 100)).padStart(3)}% ${handled}/${banner.total}${failed}${tail}`;
}

/** How a finished run reads in one line, with the failures by code when it failed. */
export function outcomeLine(banner: RunBanner): string {
  if (banner.state === 'completed') return `re-encryption ${banner.id} completed: ${banner.done} data keys rewrapped`;
  const codes = Object.entries(banner.failuresByCode ?? {})
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
  return `re-encryption ${banner.id} ${banner.state}: ${banner.done} rewrapped, ${banner.failed} failed${codes ? ` (${codes})` : ''}${banner.failureReason ? `; ${banner.failureReason}` : ''}`;
}
