import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OidcIssuer } from '@cmk/key-providers';

/** A running HTTP server that publishes an issuer's discovery document and JWKS (tests, demos). */
export interface IssuerServer {
  /** `http://127.0.0.1:<port>`: pass as `publicUrl`; the issuer is `<publicUrl>/oidc`. */
  readonly publicUrl: string;
  /** Requests per path: proves who fetched what. */
  readonly hits: Map<string, number>;
  /** Binds the issuer to serve (created after the port is known, since `iss` contains it). */
  serve(issuer: OidcIssuer): void;
  close(): Promise<void>;
}

/**
 * Serves `/oidc/.well-known/openid-configuration` and `/oidc/.well-known/jwks` the way the api's
 * OIDC controller does, so tests can run the emulator's STS against our real issuer without Nest.
 */
export async function startIssuerServer(): Promise<IssuerServer> {
  let issuer: OidcIssuer | undefined;
  const hits = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const answer = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (!issuer) res.writeHead(503).end();
    else if (path === '/oidc/.well-known/openid-configuration') answer(issuer.openIdConfiguration());
    else if (path === '/oidc/.well-known/jwks') issuer.jwks().then(answer, () => res.writeHead(500).end());
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    publicUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    serve: (value) => {
      issuer = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
