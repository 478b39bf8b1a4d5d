import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { ApplicationError } from '@cmk/application';
import { WEBHOOK_ERROR_CODES } from './errors';
import type { WebhookSettings } from './settings';

/** One resolved address a delivery may connect to. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) => (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

/**
 * Addresses a webhook must never reach unless an operator allow-lists them: this host, the
 * cloud metadata service, private networks, and the reserved ranges around them (SSRF).
 */
const FORBIDDEN = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) FORBIDDEN.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) FORBIDDEN.addSubnet(net, prefix, 'ipv6');

function urlError(code: 'WEBHOOK_URL_INVALID' | 'WEBHOOK_URL_FORBIDDEN', message: string, details: Record<string, unknown> = {}): ApplicationError {
  return new ApplicationError(code, WEBHOOK_ERROR_CODES[code], message, details);
}

/** `::ffff:10.0.0.1` is 10.0.0.1: check the IPv4 inside an IPv4-mapped IPv6 address. */
function unmapped(address: ResolvedAddress): ResolvedAddress {
  const match = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address.address);
  return match ? { address: match[1], family: 4 } : address;
}

function allowListed(entry: string, hostname: string, address: ResolvedAddress): boolean {
  if (entry === hostname) return true;
  const [net, prefix] = entry.split('/');
  const family = isIP(net);
  if (family === 0) return false;
  const list = new BlockList();
  const type = family === 6 ? 'ipv6' : 'ipv4';
  if (prefix === undefined) list.addAddress(net, type);
  else list.addSubnet(net, Number(prefix), type);
  return list.check(address.address, address.family === 6 ? 'ipv6' : 'ipv4');
}

function isForbidden(address: ResolvedAddress): boolean {
  return FORBIDDEN.check(address.address, address.family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * Checks a webhook URL and resolves it: https (http only with `CMK_WEBHOOK_ALLOW_HTTP`), no
 * credentials in it, and **every** address the name resolves to public unless allow-listed
 * (one private answer among public ones is how DNS tricks reach internal hosts). Deliveries
 * connect to the addresses returned here, never resolve again on their own, and follow no
 * redirects, so what was checked is what is reached. Run at creation and before every attempt.
 */
export async function checkWebhookUrl(raw: string, settings: WebhookSettings, resolve: Resolver = systemResolver): Promise<{ url: URL; addresses: ResolvedAddress[] }> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw urlError('WEBHOOK_URL_INVALID', 'The webhook URL is not a valid absolute URL', { url: raw });
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && settings.allowHttp)) {
    throw urlError('WEBHOOK_URL_INVALID', settings.allowHttp ? 'The webhook URL must use https or http' : 'The webhook URL must use https', { url: raw });
  }
  if (url.username || url.password) throw urlError('WEBHOOK_URL_INVALID', 'The webhook URL must not contain credentials', { url: `${url.protocol}//${url.host}${url.pathname}` });
  const hostname = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  let addresses: ResolvedAddress[];
  if (isIP(hostname)) addresses = [{ address: hostname, family: isIP(hostname) === 6 ? 6 : 4 }];
  else {
    try {
      addresses = await resolve(hostname);
    } catch {
      throw urlError('WEBHOOK_URL_INVALID', `The webhook host ${hostname} does not resolve`, { host: hostname });
    }
  }
  if (addresses.length === 0) throw urlError('WEBHOOK_URL_INVALID', `The webhook host ${hostname} does not resolve`, { host: hostname });
  for (const resolved of addresses) {
    const address = unmapped(resolved);
    if (isForbidden(address) && !settings.allowedHosts.some((entry) => allowListed(entry, hostname, address))) {
      throw urlError('WEBHOOK_URL_FORBIDDEN', `The webhook host ${hostname} resolves to ${address.address}, a loopback, link-local, private or reserved address`, {
        host: hostname,
        address: address.address,
      });
    }
  }
  return { url, addresses };
}
