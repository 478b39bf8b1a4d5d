import type { JWK } from 'jose';
import type { AuditEntry } from './audit-entry';
import { GENESIS_HASH, linkHash } from './chain-hash';
import { digestHash, verifyDigest } from './digest';
import type { ChainLink } from './chain-events';

export type ProblemKind = 'altered' | 'missing' | 'reordered' | 'unexpected' | 'digest' | 'format';

/** The first thing wrong with an export, naming the event (seq, id, stream and revision when known). */
export interface VerifyProblem {
  readonly kind: ProblemKind;
  readonly seq?: number;
  readonly eventId?: string;
  readonly stream?: string;
  readonly revision?: string;
  readonly message: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly org: string | null;
  readonly events: number;
  readonly chainedThrough: number;
  readonly signedThrough: number;
  readonly digests: number;
  readonly signingKeys: readonly string[];
  readonly problem: VerifyProblem | null;
  /** Not failures, but what the export cannot prove (events not yet linked or signed). */
  readonly warnings: readonly string[];
}

interface Pending {
  readonly seq: number;
  readonly hash: string;
  readonly entry: AuditEntry;
}

export interface VerifyOptions {
  /** Trusted public keys (e.g. the service's `/audit/.well-known/jwks`); default: the export's own. */
  readonly trustedKeys?: readonly JWK[];
}

/**
 * Recomputes an org's chain from an export and checks it against the chain records and every
 * digest signature. Stops at the first problem and names it. Memory is bounded by one chain
 * batch, whatever the export's length.
 */
export async function verifyExport(lines: AsyncIterable<unknown>, options: VerifyOptions = {}): Promise<VerifyReport> {
  let org: string | null = null;
  let keys: readonly JWK[] = options.trustedKeys ?? [];
  let seq = 0;
  let prev = GENESIS_HASH;
  let pending: Pending[] = [];
  let chainedThrough = 0;
  let head = GENESIS_HASH;
  let signedThrough = 0;
  let lastDigest: string | undefined;
  let digests = 0;
  let events = 0;
  let ended = false;
  const signingKeys = new Set<string>();
  const warnings: string[] = [];
  const report = (problem: VerifyProblem | null): VerifyReport => ({
    ok: problem === null,
    org,
    events,
    chainedThrough,
    signedThrough,
    digests,
    signingKeys: [...signingKeys],
    problem,
    warnings,
  });

  for await (const raw of lines) {
    const line = raw as Record<string, unknown>;
    switch (line['kind']) {
      case 'header':
        org = typeof line['org'] === 'string' ? line['org'] : null;
        break;
      case 'keys':
        if (!options.trustedKeys) keys = (line['keys'] as JWK[]) ?? [];
        break;
      case 'anchor':
        seq = chainedThrough = signedThrough = Number(line['seq']);
        prev = head = String(line['hash']);
        break;
      case 'event': {
        delete line['kind']; // the rest of the line is the entry the chain hashed (`kind` comes last)
        const entry = line as unknown as AuditEntry;
        seq += 1;
        events += 1;
        prev = linkHash(seq, prev, entry);
        pending.push({ seq, hash: prev, entry });
        break;
      }
      case 'links': {
        const problem = checkLinks(Number(line['fromSeq']), line['links'] as ChainLink[], pending, chainedThrough);
        if (problem) return report(problem);
        const links = line['links'] as ChainLink[];
        head = pending[links.length - 1]?.hash ?? head;
        pending = pending.slice(links.length);
        chainedThrough = Number(line['toSeq']);
        break;
      }
      case 'digest': {
        const jws = String(line['jws']);
        const checked = await verifyDigest(jws, keys);
        const at = `digest of seq ${String(line['fromSeq'])}..${String(line['toSeq'])}`;
        if (!checked.ok) return report({ kind: 'digest', message: `${at}: ${checked.reason}` });
        const p = checked.payload;
        if (p.org !== org) return report({ kind: 'digest', message: `${at} names org ${p.org}, not ${String(org)}` });
        if (p.toSeq !== chainedThrough || p.head !== head) {
          return report({ kind: 'digest', seq: p.toSeq, message: `${at}: the signed chain head at seq ${p.toSeq} does not match the events (recomputed through ${chainedThrough})` });
        }
        if (lastDigest !== undefined && (p.previousDigest !== digestHash(lastDigest) || p.fromSeq !== signedThrough + 1)) {
          return report({ kind: 'digest', message: `${at} does not follow the previous digest (a digest is missing or reordered)` });
        }
        signingKeys.add(String(line['kid']));
        lastDigest = jws;
        signedThrough = p.toSeq;
        digests += 1;
        break;
      }
      case 'end':
        ended = true;
        break;
      default:
        return report({ kind: 'format', message: `unknown line kind ${JSON.stringify(line['kind'])}` });
    }
  }
  if (pending.length > 0) warnings.push(`${pending.length} event(s) after seq ${chainedThrough} are not linked yet (the chainer runs just behind the log)`);
  if (chainedThrough > signedThrough) warnings.push(`seq ${signedThrough + 1}..${chainedThrough} are linked but no digest signs them yet`);
  if (!ended) warnings.push('the export has no end line: it may be truncated');
  if (digests === 0 && chainedThrough > 0) return report({ kind: 'digest', message: 'no signed digest covers any event: nothing in this export is authenticated' });
  return report(null);
}

/** Compares a batch's stored links with the events the export holds at those places. */
function checkLinks(fromSeq: number, links: readonly ChainLink[], pending: readonly Pending[], chainedThrough: number): VerifyProblem | undefined {
  if (fromSeq !== chainedThrough + 1) return { kind: 'format', message: `chain records jump from seq ${chainedThrough} to ${fromSeq}` };
  for (let i = 0; i < links.length; i++) {
    const link = links[i];
    const seq = fromSeq + i;
    const found = pending[i];
    const where = (p: Pending) => ({ eventId: p.entry.id, stream: p.entry.stream, revision: p.entry.revision });
    if (!found) return { kind: 'missing', seq, eventId: link.id, message: `event seq ${seq} (${link.id}) is missing` };
    if (found.entry.id === link.id) {
      if (found.hash !== link.hash) {
        return { kind: 'altered', seq, ...where(found), message: `event seq ${seq} (${found.entry.type} ${found.entry.stream}@${found.entry.revision}, ${link.id}) was altered` };
      }
      continue;
    }
    const label = `${found.entry.id} (${found.entry.type} ${found.entry.stream}@${found.entry.revision})`;
    if (!pending.some((p) => p.entry.id === link.id)) return { kind: 'missing', seq, eventId: link.id, message: `event seq ${seq} (${link.id}) is missing` };
    if (links.some((l) => l.id === found.entry.id)) {
      return { kind: 'reordered', seq, ...where(found), message: `event seq ${seq} is out of order: found ${label} where ${link.id} was linked` };
    }
    return { kind: 'unexpected', seq, ...where(found), message: `event ${label} at seq ${seq} was never linked (inserted)` };
  }
  return undefined;
}
