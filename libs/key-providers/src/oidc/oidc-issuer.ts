import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { SIGNING_ALG, type OidcSigningKeyStore, type PublicJwk } from './signing-key-store';

export interface OidcIssuerOptions {
  /** `<PUBLIC_URL>/oidc`: the `iss` claim, and what customers register as their IAM OIDC provider. */
  readonly issuer: string;
  /** `CMK_OIDC_SUBJECT_PREFIX`, default `cmk`: tokens carry `sub = <prefix>:cmk:organization.login:<org>`. */
  readonly subjectPrefix?: string;
  /** `CMK_OIDC_TOKEN_TTL_SECONDS`, default 300: tokens only need to live for one STS call. */
  readonly tokenTtlSeconds?: number;
  /** Clock in epoch ms. Default `Date.now`. */
  readonly now?: () => number;
}

/** What a customer's IAM trust policy must name for our tokens to assume their role. */
export interface TrustExpectations {
  readonly issuer: string;
  /** The IAM OIDC provider id AWS uses in condition keys: the issuer URL without `https://`. */
  readonly provider: string;
  readonly audience: string;
  readonly subject: string;
}

export interface OpenIdConfiguration {
  readonly issuer: string;
  readonly jwks_uri: string;
  readonly response_types_supported: readonly string[];
  readonly subject_types_supported: readonly string[];
  readonly id_token_signing_alg_values_supported: readonly string[];
  readonly claims_supported: readonly string[];
}

/**
 * Our OIDC identity provider: mints the short-lived tokens we hand to
 * `sts:AssumeRoleWithWebIdentity` (one audience per organisation, so org B's token can never
 * satisfy org A's trust policy) and describes the discovery document and JWKS AWS fetches.
 */
export class OidcIssuer {
  readonly issuer: string;
  private readonly subjectPrefix: string;
  private readonly tokenTtlSeconds: number;
  private readonly now: () => number;

  constructor(
    private readonly keys: OidcSigningKeyStore,
    options: OidcIssuerOptions,
  ) {
    this.issuer = options.issuer.replace(/\/+$/, '');
    this.subjectPrefix = options.subjectPrefix ?? 'cmk';
    this.tokenTtlSeconds = options.tokenTtlSeconds ?? 300;
    this.now = options.now ?? Date.now;
  }

  expectationsFor(orgLogin: string): TrustExpectations {
    return {
      issuer: this.issuer,
      provider: this.issuer.replace(/^https?:\/\//, ''),
      audience: `aws:${orgLogin}`,
      subject: `${this.subjectPrefix}:cmk:organization.login:${orgLogin}`,
    };
  }

  /** A signed token for one STS call on behalf of `orgLogin`. Never log it. */
  async mintToken(orgLogin: string): Promise<string> {
    const { audience, subject } = this.expectationsFor(orgLogin);
    const key = await this.keys.signingKey();
    const issuedAt = Math.floor(this.now() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setAudience(audience)
      .setSubject(subject)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + this.tokenTtlSeconds)
      .setJti(randomUUID())
      .sign(key.privateKey);
  }

  openIdConfiguration(): OpenIdConfiguration {
    return {
      issuer: this.issuer,
      jwks_uri: `${this.issuer}/.well-known/jwks`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [SIGNING_ALG],
      claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti'],
    };
  }

  jwks(): Promise<{ keys: PublicJwk[] }> {
    return this.keys.jwks();
  }
}
