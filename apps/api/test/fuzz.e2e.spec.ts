import { fuzzApi, leakedInto } from './fuzz/api-fuzz';
import { sendRaw } from './fuzz/http-request';
import { startFuzzStack, type FuzzStack } from './fuzz/fuzz-stack';

/**
 * The bounded run of the api fuzzer (`npm run fuzz -- --runs N` is the long one): arbitrary
 * requests to every operation of the served OpenAPI document, under every kind of credential.
 * Never a 5xx, errors always in the documented shape, no stack, token or secret in an answer or
 * in the apps' output. `CMK_FUZZ_RUNS` and `CMK_FUZZ_SEED` change the run (a finding names its
 * seed, to reproduce it).
 */
const RUNS = Number(process.env['CMK_FUZZ_RUNS'] ?? 300);
const SEED = process.env['CMK_FUZZ_SEED'] === undefined ? undefined : Number(process.env['CMK_FUZZ_SEED']);

describe('api fuzz (bounded run)', () => {
  let stack: FuzzStack;

  beforeAll(async () => {
    stack = await startFuzzStack();
  }, 120_000);

  afterAll(async () => {
    await stack?.env.stop();
  });

  it('finds every operation of the OpenAPI document, commands and secrets routes among them', () => {
    const routes = stack.routes.map((r) => `${r.method} ${r.template}`);
    expect(routes).toEqual(expect.arrayContaining(['POST /api/admin/orgs/{org}/tokens', 'POST /api/orgs/{org}/secrets/decrypt', 'POST /api/orgs/{org}/customer-managed-keys/{keyId}/disable', 'GET /api/orgs/{org}/audit']));
    expect(routes.length).toBeGreaterThanOrEqual(30);
  });

  it('answers arbitrary requests on every route without a 5xx, in the error shape, leaking nothing', async () => {
    const figures = await fuzzApi({ target: stack.target, routes: stack.routes, runs: RUNS, seed: SEED });
    const context = `seed ${figures.seed}`;
    expect({ context, findings: figures.findings }).toEqual({ context, findings: [] });
    // The run reached past authentication: some requests were accepted and some refused for their input.
    expect(Object.keys(figures.statuses)).toEqual(expect.arrayContaining(['200', '400', '401', '404']));
    expect(Object.values(figures.requestsByRoute).reduce((a, b) => a + b, 0)).toBe(RUNS);
  }, 600_000);

  it('answers an Expect header Node does not know in the error shape (a finding of the fuzzer)', async () => {
    const reply = await sendRaw(stack.env.baseUrl, { method: 'GET', path: '/healthz', headers: { expect: 'something' } });
    expect({ status: reply.status, body: JSON.parse(reply.text) }).toEqual({ status: 417, body: { error: { code: 'EXPECTATION_FAILED', message: 'Only "Expect: 100-continue" is supported', details: {} } } });
  });

  it('leaves no token, secret or stack trace in the apps’ output, and both apps still run', () => {
    const output = `${stack.env.api.allLogs()}\n${stack.env.worker?.allLogs() ?? ''}`;
    expect(leakedInto(output, stack.target.secrets)).toEqual([]);
    expect(output).not.toMatch(/\n\s+at\s.*\(.*:\d+:\d+\)|Unhandled|INTERNAL_ERROR/);
    expect(stack.env.api.running && stack.env.worker?.running).toBe(true);
  });
});
