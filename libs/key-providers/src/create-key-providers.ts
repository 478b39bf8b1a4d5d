import { AwsClientPool } from './aws/aws-client-pool';
import { AwsKmsKeyVerifier } from './aws/aws-kms-key-verifier';
import { CustomerKmsKeys } from './aws/customer-kms-keys';
import { KeyHealthProbe } from './aws/key-health-probe';
import { KmsCalls } from './aws/kms-calls';
import { WebIdentityCredentials } from './aws/web-identity-credentials';
import { esdbUrlOrUndefined, type KeyProvidersConfig } from './config';
import { OidcIssuer } from './oidc/oidc-issuer';
import { OidcSigningKeyStore } from './oidc/signing-key-store';
import { KmsPlatformKeyProvider } from './platform/kms-platform-provider';
import { LocalPlatformKeyProvider } from './platform/local-platform-provider';
import { PlatformMasterKeyring } from './platform/master-keyring';
import { KeyProviderRegistry } from './registry';
import { OrgPlatformKeys } from './org-platform/org-platform-keys';
import type { OrgPlatformKeyStore } from './org-platform/org-key-store';
import { ORG_KEY_FILE, SqliteOrgKeyStore } from './org-platform/sqlite-org-key-store';
import { PostgresOrgKeyStore } from './org-platform/postgres-org-key-store';
import { EsdbOrgKeyStore } from './org-platform/esdb-org-key-store';
import { join } from 'node:path';
import { parseKeyArn } from '@cmk/domain';
import type { KeyEncryptionProvider } from './port';

/** The wired key providers of one process (api or worker). */
export interface KeyProviders {
  readonly issuer: OidcIssuer;
  readonly signingKeys: OidcSigningKeyStore;
  readonly registry: KeyProviderRegistry;
  readonly verifier: AwsKmsKeyVerifier;
  /** The canary round trip of key health checks. */
  readonly probe: KeyHealthProbe;
  /** The local keyring when the platform key is local (for rotation tooling); else undefined. */
  readonly platformKeyring: PlatformMasterKeyring | undefined;
  /** The org platform keys (destroyable, one live generation per org). */
  readonly orgKeys: OrgPlatformKeys;
  /** Closes keep-alive sockets. */
  close(): void;
}

/** Composition root of this library: opens key files (creating them on first start) and builds clients. */
export async function createKeyProviders(config: KeyProvidersConfig, orgKeyStore?: OrgPlatformKeyStore): Promise<KeyProviders> {
  const tokenTtlSeconds = config.oidcTokenTtlSeconds ?? 300;
  const signingKeys = await OidcSigningKeyStore.open({ dataDir: config.dataDir, tokenTtlSeconds });
  const issuer = new OidcIssuer(signingKeys, {
    issuer: `${config.publicUrl.replace(/\/+$/, '')}/oidc`,
    subjectPrefix: config.oidcSubjectPrefix,
    tokenTtlSeconds,
  });
  const clients = new AwsClientPool(config.aws);
  const credentials = new WebIdentityCredentials(issuer, clients, config.sessions);
  const customerKeys = new CustomerKmsKeys(clients, credentials, config.throttleRetry);

  let platform: KeyEncryptionProvider;
  let platformKeyring: PlatformMasterKeyring | undefined;
  let previousPlatformKey: ((kekRef: string) => KeyEncryptionProvider | undefined) | undefined;
  const kmsKeyArn = config.platformKmsKeyArn;
  if (kmsKeyArn !== undefined) {
    const region = parseKeyArn(kmsKeyArn)?.region ?? 'us-east-1';
    // Ambient credentials: the SDK's default chain (env, web identity, ECS, instance profile).
    const calls = new KmsCalls({ client: () => clients.kmsClient(`platform\n${region}`, region) }, undefined, config.throttleRetry);
    platform = new KmsPlatformKeyProvider(kmsKeyArn, calls);
    // After CMK_PLATFORM_KMS_KEY_ARN changes, org keys wrapped by the previous KMS key are opened
    // with that key (same ambient credentials, same region) until the worker has rewrapped them.
    const previous = new Map<string, KeyEncryptionProvider>();
    previousPlatformKey = (kekRef) => {
      const arn = parseKeyArn(kekRef);
      if (kekRef === kmsKeyArn || arn?.kind !== 'key') return undefined;
      let provider = previous.get(kekRef);
      if (!provider) {
        const previousCalls = new KmsCalls({ client: () => clients.kmsClient(`platform\n${arn.region}`, arn.region) }, undefined, config.throttleRetry);
        provider = new KmsPlatformKeyProvider(kekRef, previousCalls);
        previous.set(kekRef, provider);
      }
      return provider;
    };
  } else {
    platformKeyring = await PlatformMasterKeyring.open({ dataDir: config.dataDir, fromEnv: config.platformMasterKey });
    platform = new LocalPlatformKeyProvider(platformKeyring);
  }

  // The event store's own database (PostgreSQL or EventStoreDB) when it is one; otherwise a SQLite file beside the event store's.
  const store = orgKeyStore ?? (await openOrgKeyStore(config.dataDir, config.orgKeyStoreUrl));
  const orgKeys = new OrgPlatformKeys(store, platform, { masterFor: previousPlatformKey });
  return {
    issuer,
    signingKeys,
    registry: new KeyProviderRegistry(platform, customerKeys, orgKeys),
    orgKeys,
    verifier: new AwsKmsKeyVerifier(customerKeys),
    probe: new KeyHealthProbe(clients, credentials),
    platformKeyring,
    close: () => {
      clients.close();
      void store.close();
    },
  };
}

/**
 * The org platform key store for an event store: `url` is `orgKeyStoreUrl` (a PostgreSQL or
 * `esdb://` URL), or undefined for the SQLite file in `dataDir`. The CLI opens the same one.
 */
export async function openOrgKeyStore(dataDir: string, url: string | undefined): Promise<OrgPlatformKeyStore> {
  if (url === undefined) return SqliteOrgKeyStore.open(join(dataDir, ORG_KEY_FILE));
  if (esdbUrlOrUndefined(url) !== undefined) return EsdbOrgKeyStore.open(url);
  return PostgresOrgKeyStore.open({ url });
}
