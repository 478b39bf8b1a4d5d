import 'reflect-metadata';
import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { KEY_VERIFIER, type KeyVerifier } from '@cmk/application';
import { startKmsEmulator, type KmsEmulator } from '@cmk/kms-emulator';
import { freePort } from '@cmk/testing';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { promises as fs } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyProviders } from '@cmk/key-providers';
import { loadApiConfig, type ApiConfig } from '../config';
import { OidcModule } from './oidc.module';
import { API_CONFIG, KEY_PROVIDERS } from '../tokens';

describe('OidcModule: discovery and JWKS over HTTP, used by the emulated AWS STS', () => {
  let app: INestApplication;
  let emulator: KmsEmulator;
  let dataDir: string;
  let publicUrl: string;
  let providers: KeyProviders;

  beforeAll(async () => {
    emulator = await startKmsEmulator();
    dataDir = await mkdtemp(join(tmpdir(), 'cmk-oidc-api-'));
    const port = await freePort();
    const config: ApiConfig = loadApiConfig({ PORT: String(port), CMK_OPERATOR_TOKEN: 'operator-token-for-oidc-spec-0001', CMK_DATA_DIR: dataDir });
    publicUrl = config.publicUrl;

    @Module({ providers: [{ provide: API_CONFIG, useValue: config }], exports: [API_CONFIG] })
    class ConfigModule {}

    const moduleRef = await Test.createTestingModule({
      imports: [
        { module: ConfigModule, global: true },
        OidcModule.register({
          config: { dataDir, publicUrl, aws: { kmsEndpoint: emulator.url, stsEndpoint: emulator.url } },
        }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.enableShutdownHooks();
    await app.listen(port, '127.0.0.1');
    providers = app.get<KeyProviders>(KEY_PROVIDERS);
  });
  afterAll(async () => {
    await app.close();
    await emulator.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('serves the discovery document pointing at the JWKS, cacheable', async () => {
    const response = await fetch(`${publicUrl}/oidc/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toContain('public');
    expect(await response.json()).toMatchObject({
      issuer: `${publicUrl}/oidc`,
      jwks_uri: `${publicUrl}/oidc/.well-known/jwks`,
      id_token_signing_alg_values_supported: ['RS256'],
    });
  });

  it('serves public keys only, and they verify the tokens we mint', async () => {
    const response = await fetch(`${publicUrl}/oidc/.well-known/jwks`);
    expect(response.headers.get('cache-control')).toContain('public');
    const jwks = (await response.json()) as { keys: Record<string, unknown>[] };
    for (const key of jwks.keys) for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(secret);
    const token = await providers.issuer.mintToken('acme');
    const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: jwks.keys }), { issuer: `${publicUrl}/oidc`, audience: 'aws:acme' });
    expect(payload.sub).toBe('cmk:cmk:organization.login:acme');
  });

  it('binds KEY_VERIFIER: STS fetches our JWKS from the Nest app and the key verifies', async () => {
    const key = emulator.createKey({ alias: 'alias/oidc-spec' });
    const roleArn = 'arn:aws:iam::111122223333:role/oidc-spec';
    const expected = providers.issuer.expectationsFor('oidc-spec');
    emulator.registerRole({ roleArn, trust: expected, allow: [{ keyArn: key.keyArn, actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'] }] });
    const verifier = app.get<KeyVerifier>(KEY_VERIFIER);
    await expect(verifier.verify({ orgId: 'oidc-spec', roleArn, keyArn: key.aliasArn ?? '' })).resolves.toEqual({ resolvedKeyArn: key.keyArn });
  });
});
