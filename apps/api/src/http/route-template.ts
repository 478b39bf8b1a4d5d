import type { IncomingMessage } from 'node:http';

interface RoutedRequest extends IncomingMessage {
  baseUrl?: string;
  route?: { path?: unknown };
  params?: Record<string, unknown>;
}

/**
 * The route template that served a request (`/api/orgs/:org/secrets/encrypt`), never the raw
 * path: logs and metric labels must not carry ids, org names or whatever a client typed (the
 * label set of a histogram would grow without bound). `unmatched` when no route took it (404s,
 * probes of random paths). Read once the response is finished, when Express has routed it.
 */
export function routeTemplateOf(request: IncomingMessage): string {
  const routed = request as RoutedRequest;
  const path = routed.route?.path;
  if (typeof path !== 'string') return routed.baseUrl ? `${routed.baseUrl}/*` : 'unmatched';
  // Nest answers unknown paths from a catch-all route of its own.
  if (!routed.baseUrl && path.includes('*')) return 'unmatched';
  return `${routed.baseUrl ?? ''}${path}`;
}

const ORG_LOGIN = /^[a-z0-9][a-z0-9-]{0,38}$/i;

/** The org a routed request named (`:org`), when it looks like an org login. */
export function orgOf(request: IncomingMessage): string | undefined {
  const org = (request as RoutedRequest).params?.['org'];
  return typeof org === 'string' && ORG_LOGIN.test(org) ? org : undefined;
}
