import { StsError } from './errors';
import type { JwksCache } from './jwks-cache';
import { candidateKeys, decodeJwt, isSupportedAlgorithm, verifySignature, type DecodedJwt } from './jwt';
import { normalizeIssuer, type Role, type RoleRegistry } from './roles';

export interface WebIdentity {
  readonly issuer: string;
  readonly subject: string;
  readonly audience: string;
}

const NOT_AUTHORIZED = 'Not authorized to perform sts:AssumeRoleWithWebIdentity';

/**
 * Validates a web identity token in the order AWS does: find the OIDC provider for the
 * unverified `iss`, check the audience against the provider's client ids, verify the signature
 * with the issuer's JWKS, check `exp`/`nbf`, and finally evaluate the role's trust policy
 * (issuer, audience, subject with wildcards). Provider-level failures are InvalidIdentityToken
 * (400); trust-policy failures are AccessDenied (403).
 */
export async function validateWebIdentity(token: string, roleArn: string, roles: RoleRegistry, jwks: JwksCache, now: number): Promise<WebIdentity> {
  const jwt = decode(token);
  const issuer = jwt.payload.iss;
  if (typeof issuer !== 'string' || issuer.length === 0) throw invalid('The ID Token provided is missing the iss claim.');
  const providerAudiences = roles.audiencesOf(issuer);
  if (!providerAudiences) throw invalid(`No OpenIDConnect provider found in your account for ${issuer}`);
  const audience = audiencesOf(jwt).find((aud) => providerAudiences.has(aud));
  if (audience === undefined) throw invalid('Incorrect token audience');

  await verifyWithIssuerKeys(jwt, issuer, jwks);
  checkTimes(jwt, now);

  const subject = jwt.payload.sub;
  if (typeof subject !== 'string' || subject.length === 0) throw invalid('The ID Token provided is missing the sub claim.');
  const role = roles.get(roleArn);
  if (!role || !trusts(role, issuer, audiencesOf(jwt), subject)) throw new StsError('AccessDenied', NOT_AUTHORIZED);
  return { issuer, subject, audience: role.trust.audience };
}

function trusts(role: Role, issuer: string, audiences: readonly string[], subject: string): boolean {
  return normalizeIssuer(role.trust.issuer) === normalizeIssuer(issuer) && audiences.includes(role.trust.audience) && role.subjectPattern.test(subject);
}

async function verifyWithIssuerKeys(jwt: DecodedJwt, issuer: string, jwks: JwksCache): Promise<void> {
  if (!isSupportedAlgorithm(jwt.header.alg)) throw invalid(`Unsupported token signing algorithm ${String(jwt.header.alg)}`);
  let candidates = candidateKeys(await jwks.keys(issuer), jwt);
  // An unknown kid usually means the issuer rotated its keys since we cached them.
  if (candidates.length === 0) candidates = candidateKeys(await jwks.refresh(issuer), jwt);
  if (candidates.length === 0) throw invalid('No matching key found in the issuer JWKS for the token kid');
  if (!candidates.some((key) => verifySignature(jwt, key))) throw invalid('Invalid token signature');
}

function checkTimes(jwt: DecodedJwt, now: number): void {
  const seconds = Math.floor(now / 1000);
  const { exp, nbf } = jwt.payload;
  if (typeof exp !== 'number') throw invalid('The ID Token provided is missing the exp claim.');
  if (seconds >= exp) {
    throw new StsError(
      'ExpiredTokenException',
      `Token expired: current date/time ${new Date(now).toISOString()} must be before the expiration date/time ${new Date(exp * 1000).toISOString()}`,
    );
  }
  if (typeof nbf === 'number' && seconds < nbf) throw invalid('The ID Token provided is not yet valid (nbf).');
}

function audiencesOf(jwt: DecodedJwt): string[] {
  const { aud } = jwt.payload;
  if (typeof aud === 'string') return [aud];
  return Array.isArray(aud) ? aud.filter((a): a is string => typeof a === 'string') : [];
}

function decode(token: string): DecodedJwt {
  try {
    return decodeJwt(token);
  } catch {
    throw invalid('The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)');
  }
}

function invalid(message: string): StsError {
  return new StsError('InvalidIdentityToken', message);
}
