import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { KMSClient } from '@aws-sdk/client-kms';
import { STSClient } from '@aws-sdk/client-sts';
import { LRUCache } from 'lru-cache';

export interface AwsClientOptions {
  /**
   * KMS endpoint override (tests, emulators). Default: none, so the SDK uses
   * `AWS_ENDPOINT_URL_KMS` / `AWS_ENDPOINT_URL` when set, else the regional AWS endpoint.
   */
  readonly kmsEndpoint?: string;
  /** STS endpoint override. Default: `AWS_ENDPOINT_URL_STS` / `AWS_ENDPOINT_URL`, else regional STS. */
  readonly stsEndpoint?: string;
  /** `CMK_KMS_MAX_SOCKETS`: keep-alive sockets per endpoint host, shared by all clients. Default 256. */
  readonly maxSockets?: number;
  /** `CMK_KMS_MAX_ATTEMPTS`: attempts per call inside the SDK (standard retry strategy). Default 3. */
  readonly maxAttempts?: number;
  /** TCP connect timeout in ms. Default 3 000. */
  readonly connectionTimeoutMs?: number;
  /** Whole-request timeout in ms. Default 10 000. */
  readonly requestTimeoutMs?: number;
  /** How many per-(org, region, role) KMS clients to keep. Default 1 000. */
  readonly maxClients?: number;
}

/**
 * SDK clients reused across calls: building a client per call would redo its configuration and
 * open a new TLS connection each time. All clients share one pair of keep-alive agents, so
 * sockets to `kms.<region>.amazonaws.com` are pooled whichever role signs the request.
 * Because clients share the agents, evicted clients are dropped, never `destroy()`ed (that
 * would close the shared agents); `close()` ends everything.
 */
export class AwsClientPool {
  private readonly httpAgent: HttpAgent;
  private readonly httpsAgent: HttpsAgent;
  private readonly kms: LRUCache<string, KMSClient>;
  private readonly sts = new Map<string, STSClient>();

  constructor(private readonly options: AwsClientOptions = {}) {
    const maxSockets = options.maxSockets ?? 256;
    this.httpAgent = new HttpAgent({ keepAlive: true, maxSockets });
    this.httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets });
    this.kms = new LRUCache({ max: options.maxClients ?? 1_000 });
  }

  /** Whether a KMS endpoint was configured explicitly or through the SDK's environment. */
  kmsEndpoint(): string | undefined {
    return this.options.kmsEndpoint;
  }

  /**
   * The KMS client for `cacheKey` (callers use org + region + role: credentials are per org,
   * because each organisation assumes roles with its own token audience).
   */
  kmsClient(cacheKey: string, region: string, credentials?: CredentialProvider): KMSClient {
    let client = this.kms.get(cacheKey);
    if (!client) {
      client = new KMSClient({
        region,
        ...(this.options.kmsEndpoint ? { endpoint: this.options.kmsEndpoint } : {}),
        ...(credentials ? { credentials } : {}),
        maxAttempts: this.options.maxAttempts ?? 3,
        requestHandler: this.requestHandler(),
      });
      this.kms.set(cacheKey, client);
    }
    return client;
  }

  /** Forgets a client so the next call builds a fresh one (after its session was rejected). */
  evictKmsClient(cacheKey: string): void {
    this.kms.delete(cacheKey);
  }

  stsClient(region: string): STSClient {
    let client = this.sts.get(region);
    if (!client) {
      // AssumeRoleWithWebIdentity is unsigned: the token is the credential, so no credentials here.
      client = new STSClient({
        region,
        ...(this.options.stsEndpoint ? { endpoint: this.options.stsEndpoint } : {}),
        maxAttempts: this.options.maxAttempts ?? 3,
        requestHandler: this.requestHandler(),
      });
      this.sts.set(region, client);
    }
    return client;
  }

  /** Closes every keep-alive socket; the pool is unusable afterwards. */
  close(): void {
    this.kms.clear();
    this.sts.clear();
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private requestHandler() {
    return {
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      connectionTimeout: this.options.connectionTimeoutMs ?? 3_000,
      requestTimeout: this.options.requestTimeoutMs ?? 10_000,
    };
  }
}

/** Temporary credentials as the SDK takes them (structurally the SDK's AwsCredentialIdentity). */
export interface SessionCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

export type CredentialProvider = () => Promise<SessionCredentials>;
