import { signatureHeader, verifySignature } from './signature';

describe('webhook signatures', () => {
  const secret = 'whsec_test';
  const body = '{"id":"e1","type":"key.health_changed"}';
  const now = 1_800_000_000;

  it('verifies its own header and refuses a changed body, another secret, a stale time or garbage', () => {
    const header = signatureHeader(secret, now, body);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    expect(verifySignature(header, secret, body, { now })).toBe(true);
    expect(verifySignature(header, secret, body.replace('e1', 'e2'), { now })).toBe(false);
    expect(verifySignature(header, 'whsec_other', body, { now })).toBe(false);
    expect(verifySignature(header, secret, body, { now: now + 301 })).toBe(false);
    expect(verifySignature(`t=${now},v1=zz`, secret, body, { now })).toBe(false);
    expect(verifySignature(undefined, secret, body, { now })).toBe(false);
  });
});
