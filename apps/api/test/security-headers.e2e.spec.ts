import type { Browser, Page } from 'playwright-core';
import { E2eEnvironment } from './e2e-environment';
import { launchBrowser } from './browser';

/**
 * Security headers on every kind of response (API JSON, errors, unknown routes, the console,
 * the API reference), and the two HTML pages working under them in a real Chromium with its
 * Content-Security-Policy enforced (the other browser tests bypass CSP to inject axe).
 */
describe('security headers', () => {
  let env: E2eEnvironment;
  let browser: Browser;

  beforeAll(async () => {
    env = await E2eEnvironment.start();
    await env.operator().post('/api/admin/orgs', { login: 'hdr', edition: 'enterprise' });
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await env?.stop();
  });

  it.each([
    ['an API answer', '/api/orgs/hdr/session', 401],
    ['a public route', '/oidc/.well-known/jwks', 200],
    ['an unknown route', '/no/such/route', 404],
    ['the console', '/console', 200],
    ['the API reference', '/api/docs', 200],
    ['the OpenAPI document', '/api/openapi.json', 200],
  ])('on %s: CSP, nosniff, no framing, no referrer, HSTS, and no X-Powered-By', async (_what, path, status) => {
    const response = await fetch(`${env.baseUrl}${path}`);
    expect(response.status).toBe(status);
    const headers = response.headers;
    expect(headers.get('x-powered-by')).toBeNull();
    expect(headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(headers.get('content-security-policy')).not.toContain('upgrade-insecure-requests');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('x-frame-options')).toBe('DENY');
    expect(headers.get('referrer-policy')).toBe('no-referrer');
    expect(headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
  });

  async function openEnforcingCsp(path: string): Promise<{ page: Page; violations: string[] }> {
    const context = await browser.newContext({ bypassCSP: false });
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    page.on('pageerror', (error) => violations.push(`page error: ${error.message}`));
    await page.goto(`${env.baseUrl}${path}`);
    return { page, violations };
  }

  it('the API reference (Swagger UI) renders every operation under the policy', async () => {
    const { page, violations } = await openEnforcingCsp('/api/docs');
    await page.locator('.swagger-ui .info .title', { hasText: 'Customer Managed Keys API' }).waitFor({ timeout: 30_000 });
    await page.locator('.opblock-summary-path', { hasText: '/api/orgs/{org}/secrets/encrypt' }).first().waitFor({ timeout: 30_000 });
    expect(violations).toEqual([]);
    await page.context().close();
  });

  it('the console signs in and shows the session under its policy', async () => {
    const token = (await env.operator().post<{ token: string }>('/api/admin/orgs/hdr/tokens', { user: 'hana', role: 'admin' })).body.token;
    const { page, violations } = await openEnforcingCsp('/console');
    const field = page.getByLabel(/token/i).first();
    await field.waitFor({ timeout: 30_000 });
    await field.fill(token);
    await page.getByRole('button', { name: /sign in/i }).click();
    await page.getByText('hana').first().waitFor({ timeout: 30_000 });
    expect(violations).toEqual([]);
    await page.context().close();
  });
});
