import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * Security headers on every response (helmet): a Content-Security-Policy that allows only this
 * origin's scripts (the Swagger UI at `/api/docs` needs inline styles, nothing inline to run),
 * no framing, no referrer, `nosniff`, HSTS (browsers honour it over https only), and no
 * `X-Powered-By`. The console's router sets its own, stricter policy for `/console`.
 * `upgrade-insecure-requests` is left out: the service is also served over plain http
 * (development, behind a TLS-terminating proxy), where it would break every page's assets.
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'none'"],
        connectSrc: ["'self'"],
        fontSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        imgSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    xFrameOptions: { action: 'deny' },
  }) as RequestHandler;
}
