import type { Request, RequestHandler, Response } from 'express';
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
  return replayed(helmetHeaders());
}

/** helmet's middleware with the api's options (what `securityHeaders` replays). */
export function helmetHeaders(): RequestHandler {
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

type HeaderOperation = readonly [name: string, value: string] | readonly [name: string];

/**
 * The header operations `middleware` makes, recorded once at start-up and replayed on every
 * request: with the options above every header helmet sets is a constant (no directive is a
 * function of the request), so its chain of twelve middlewares would only compute the same
 * dozen `setHeader` calls again for each request. Refuses (at start-up) a middleware that
 * fails, that does not answer synchronously or that does anything but set and remove headers;
 * `security-headers.spec.ts` holds the replay to helmet's own output.
 */
function replayed(middleware: RequestHandler): RequestHandler {
  const operations: HeaderOperation[] = [];
  const recorder = {
    setHeader: (name: string, value: unknown) => {
      if (typeof value !== 'string') throw new Error(`security headers: ${name} is not a constant string`);
      operations.push([name, value]);
      return recorder;
    },
    removeHeader: (name: string) => void operations.push([name]),
  };
  const request = new Proxy({}, { get: () => { throw new Error('security headers: a header depends on the request'); } });
  let done = false;
  void middleware(request as Request, new Proxy(recorder, { get: (target, key) => (key in target ? target[key as keyof typeof target] : refuse(key)) }) as unknown as Response, (error?: unknown) => {
    if (error) throw error instanceof Error ? error : new Error(String(error));
    done = true;
  });
  if (!done) throw new Error('security headers: the middleware did not finish synchronously');
  return (_request, response, next) => {
    for (const operation of operations) {
      if (operation.length === 2) response.setHeader(operation[0], operation[1]);
      else response.removeHeader(operation[0]);
    }
    next();
  };
}

function refuse(key: string | symbol): never {
  throw new Error(`security headers: the middleware used response.${String(key)}`);
}
