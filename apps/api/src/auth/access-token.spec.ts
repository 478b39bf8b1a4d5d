import { createHash } from 'node:crypto';
import { bearerToken, mintAccessToken, parseAccessToken, sameDigest, sha256Hex, tokenMatches } from './access-token';

describe('access tokens', () => {
  it('mints unique tokens whose only stored form is the SHA-256', () => {
    const a = mintAccessToken('acme');
    const b = mintAccessToken('acme');
    expect(a.token).not.toBe(b.token);
    expect(a.sha256).toBe(sha256Hex(a.token));
    expect(a.sha256).not.toContain(a.token.split('.')[3]);
    expect(parseAccessToken(a.token)).toEqual({ orgId: 'acme', tokenId: a.tokenId });
  });

  it.each(['', 'cmk.acme', 'cmk.ACME.0123456789abcdef0123456789abcdef.' + 'A'.repeat(43), `cmk.acme.nothex.${'A'.repeat(43)}`, `cmk.acme.${'a'.repeat(32)}.short`])(
    'rejects malformed token %j',
    (token) => expect(parseAccessToken(token)).toBeUndefined(),
  );

  it('compares digests in constant time and never equal when lengths differ or empty', () => {
    expect(sameDigest(sha256Hex('x'), sha256Hex('x'))).toBe(true);
    expect(sameDigest(sha256Hex('x'), sha256Hex('y'))).toBe(false);
    expect(sameDigest('', '')).toBe(false);
    expect(sameDigest('abcd', 'abcdef')).toBe(false);
  });

  it('matches a token against its stored hex digest, and nothing else against it', () => {
    const { token, sha256 } = mintAccessToken('acme');
    expect(sha256).toBe(createHash('sha256').update(token, 'utf8').digest('hex'));
    expect(tokenMatches(token, sha256)).toBe(true);
    expect(tokenMatches(`${token}x`, sha256)).toBe(false);
    expect(tokenMatches(token, sha256Hex('other'))).toBe(false);
    expect(tokenMatches(token, sha256.slice(0, 62))).toBe(false);
    expect(tokenMatches(token, '')).toBe(false);
  });

  it('reads only well-formed Bearer headers', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken(['Bearer a', 'Bearer b'])).toBeUndefined();
  });
});
