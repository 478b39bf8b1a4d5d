import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * The secret an ops request presents: `Authorization: Bearer <token>`, or HTTP Basic with the
 * token as the password (any user name) so a browser can open the queue dashboard.
 */
export function presentedSecret(header: string | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (bearer) return bearer[1];
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!basic) return undefined;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? decoded.slice(colon + 1) : undefined;
}

/** Constant-time check of `secret` against any of `accepted` (empty entries never match). */
export function matchesAny(secret: string | undefined, accepted: readonly (string | undefined)[]): boolean {
  if (!secret) return false;
  const presented = digest(secret);
  let ok = false;
  for (const expected of accepted) if (expected && timingSafeEqual(presented, digest(expected))) ok = true;
  return ok;
}

/** Express middleware for operator-only ops pages: 401 with a Basic challenge otherwise. */
export function operatorOnly(accepted: readonly (string | undefined)[]) {
  return (request: Request, response: Response, next: NextFunction): void => {
    if (matchesAny(presentedSecret(request.headers.authorization), accepted)) return next();
    response
      .status(401)
      .set('WWW-Authenticate', 'Basic realm="cmk-ops", charset="UTF-8"')
      .json({ error: { code: 'UNAUTHENTICATED', message: 'The operator token is required (Bearer, or Basic with the token as password)', details: {} } });
  };
}
