import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { HttpClient } from '@cmk/testing';
import { E2eEnvironment, type DemoKey } from './e2e-environment';
import { DataKeyFixture } from './reencryption-data-keys';
import { launchBrowser, newPage, seriousA11yViolations, StepShots } from './browser';

/**
 * "How it is shown" for the admin console: a real Chromium against the real stack (api serving
 * the built console, worker, private Redis, KMS/STS emulator). Every step waits for what the
 * page shows, never for time. Screenshots of each step go to test-output/console (or to
 * `CMK_SCREENSHOT_DIR`, which `npm run docs:screenshots` points at docs/images).
 */
const SHOTS = new StepShots(resolve(process.env['CMK_SCREENSHOT_DIR'] ?? 'test-output/console'));
const RUN_TIMEOUT_MS = 90_000;

describe('admin console in a browser', () => {
  let env: E2eEnvironment;
  let browser: Browser;
  let page: Page;
  let adminToken: string;
  let memberToken: string;
  let freeAdminToken: string;
  let wrongSubject: DemoKey;
  let first: DemoKey;
  let second: DemoKey;
  let pollingAdminToken: string;
  const requestedUrls: string[] = [];
  const consoleMessages: string[] = [];

  beforeAll(async () => {
    env = await E2eEnvironment.start({
      worker: true,
      env: { CMK_REENCRYPT_BATCH_SIZE: '50', CMK_REENCRYPT_PROGRESS_INTERVAL_MS: '300', CMK_JOB_LOCK_MS: '3000', CMK_STREAM_HEARTBEAT_MS: '1000' },
    });
    const operator = env.operator();
    await operator.post('/api/admin/orgs', { login: 'acme', edition: 'enterprise', name: 'Acme Corp' });
    await operator.post('/api/admin/orgs', { login: 'smallco', edition: 'team', name: 'Small Co' });
    adminToken = (await operator.post<{ token: string }>('/api/admin/orgs/acme/tokens', { user: 'alice', role: 'admin' })).body.token;
    memberToken = (await operator.post<{ token: string }>('/api/admin/orgs/acme/tokens', { user: 'bob', role: 'member' })).body.token;
    freeAdminToken = (await operator.post<{ token: string }>('/api/admin/orgs/smallco/tokens', { user: 'carol', role: 'admin' })).body.token;
    await operator.post('/api/admin/orgs', { login: 'beta', edition: 'business-critical', name: 'Beta Ltd' });
    pollingAdminToken = (await operator.post<{ token: string }>('/api/admin/orgs/beta/tokens', { user: 'dora', role: 'admin' })).body.token;
    wrongSubject = env.demoKey('acme', { subjectPrefix: 'someone-else' });
    first = env.demoKey('acme', { alias: 'alias/acme-production' });
    second = env.demoKey('acme', { alias: 'alias/acme-backup' });
    // Data keys under the platform key, so the first key's re-encryption has work to show.
    for (const [name, value] of Object.entries({ AWS_ENDPOINT_URL_KMS: env.kms.url, AWS_ENDPOINT_URL_STS: env.kms.url, AWS_REGION: env.kms.region })) process.env[name] = value;
    const fixture = await DataKeyFixture.open(env.dataDir, env.baseUrl, await env.openStore(), env.esdb?.url ?? env.postgres?.url);
    await fixture.issuePlatformKeys('acme', 300);
    await fixture.issuePlatformKeys('beta', 100);
    await fixture.close();
    browser = await launchBrowser();
    page = await newPage(browser);
    page.on('request', (request) => requestedUrls.push(request.url()));
    page.on('console', (message) => consoleMessages.push(message.text()));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await env?.stop();
  });

  async function expectAccessible(where: string): Promise<void> {
    const violations = await seriousA11yViolations(page);
    expect({ where, violations }).toEqual({ where, violations: [] });
  }

  async function bannerState(state: 'running' | 'completed' | 'failed'): Promise<void> {
    await page.locator(`section.banner[data-run-state="${state}"]`).waitFor({ timeout: RUN_TIMEOUT_MS });
  }

  const row = (name: string) => page.locator('table.keys tbody tr', { has: page.locator('th', { hasText: name }) });

  async function addKey(name: string, roleArn: string, keyArn: string): Promise<void> {
    await page.getByRole('button', { name: 'Add key' }).click();
    await page.getByLabel('Name').fill(name);
    await page.getByLabel('Role ARN').fill(roleArn);
    await page.getByLabel('Key ARN or alias ARN').fill(keyArn);
    await page.locator('dialog').getByRole('button', { name: 'Add key' }).click();
  }

  it('signs in with a pasted token and says which org and role it belongs to', async () => {
    await page.goto(`${env.baseUrl}/console/`);
    await expectAccessible('sign-in page');
    await page.getByLabel('Access token').fill(adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Customer managed keys' }).waitFor();
    expect(await page.locator('.who').innerText()).toContain('alice · admin of Acme Corp (acme, enterprise edition)');
    expect(page.url()).not.toContain(adminToken);
    expect(await page.evaluate(() => sessionStorage.getItem('cmk.console.token'))).toBe(adminToken);
    await page.getByRole('heading', { name: 'AWS setup' }).waitFor();
    expect(await page.locator('.facts').innerText()).toContain('aws:acme');
    await SHOTS.take(page, 'signed-in-empty');
    await expectAccessible('keys page, no keys');
  });

  it('copies the trust policy for this org from the AWS setup panel', async () => {
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.baseUrl });
    await page.getByRole('button', { name: 'Copy', exact: true }).first().click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    const copied = JSON.parse(await page.evaluate(() => navigator.clipboard.readText())) as { Statement: { Condition: { StringEquals: Record<string, string> } }[] };
    expect(Object.values(copied.Statement[0].Condition.StringEquals)).toEqual(['aws:acme', 'cmk:cmk:organization.login:acme']);
  });

  it('shows the API field errors beside each field', async () => {
    await page.getByRole('button', { name: 'Add key' }).click();
    await page.getByLabel('Name').fill('Production');
    await page.getByLabel('Role ARN').fill('not-an-arn');
    await page.getByLabel('Key ARN or alias ARN').fill('');
    await page.locator('dialog').getByRole('button', { name: 'Add key' }).click();
    await page.locator('#add-keyArn-error').waitFor();
    expect(await page.getByLabel('Key ARN or alias ARN').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#add-name-error').count()).toBe(0);
    await page.getByLabel('Key ARN or alias ARN').fill(first.keyArn);
    await page.locator('dialog').getByRole('button', { name: 'Add key' }).click();
    await page.locator('#add-roleArn-error', { hasText: 'This is not a role ARN' }).waitFor();
    await page.locator('dialog').getByRole('button', { name: 'Cancel' }).click();
    await page.locator('dialog[open]').waitFor({ state: 'detached' });
  });

  it('shows the KMS diagnosis when the role trusts another subject, then adds the key correctly and the banner reaches completion', async () => {
    await addKey('Production', wrongSubject.roleArn, first.aliasArn ?? first.keyArn);
    const diagnosis = page.locator('.diagnosis');
    await diagnosis.waitFor();
    const text = await diagnosis.innerText();
    expect(text).toContain('AWS would not let this service assume the role');
    expect(text).toContain('cmk:cmk:organization.login:acme');
    expect(text).toContain('aws:acme');
    await SHOTS.take(page, 'add-key-wrong-subject', { fullPage: false });
    await expectAccessible('add key dialog with diagnosis');

    await page.getByLabel('Role ARN').fill(first.roleArn);
    await page.locator('dialog').getByRole('button', { name: 'Add key' }).click();
    await row('Production').waitFor();
    await bannerState('completed');
    expect(await page.locator('section.banner').innerText()).toContain('300 of 300 data keys re-encrypted to "Production"');
    expect(await page.locator('section.banner .transport').innerText()).toBe('live');
    expect(await row('Production').innerText()).toContain('Default');
    await SHOTS.take(page, 'first-key-completed');
  });

  it('shows each key\'s health: not checked before its first probe, healthy once a check ran', async () => {
    const health = row('Production').locator('td').nth(3);
    expect(await health.innerText()).toBe('Not checked yet');
    const admin = new HttpClient(env.baseUrl, adminToken);
    const list = await admin.get<{ keys: { id: string; name: string }[] }>('/api/orgs/acme/customer-managed-keys');
    const production = list.body.keys.find((key) => key.name === 'Production');
    if (!production) throw new Error('no Production key in the list');
    const checked = await admin.post<{ health: { state: string } }>(`/api/orgs/acme/customer-managed-keys/${production.id}/check`, {});
    expect([checked.status, checked.body.health.state]).toEqual([200, 'healthy']);
    await page.reload();
    await row('Production').locator('.health', { hasText: 'Healthy' }).waitFor();
  });

  it('adds a second key by alias ARN, sets it default, and disables the first into it', async () => {
    await addKey('Backup', second.roleArn, second.aliasArn ?? second.keyArn);
    await row('Backup').waitFor();
    const setDefault = row('Backup').getByRole('button', { name: /Set as default/ });
    expect(await setDefault.isEnabled()).toBe(true);
    // The default key's own actions are disabled, with the reason shown.
    expect(await row('Production').getByRole('button', { name: /Disable/ }).isDisabled()).toBe(true);
    expect(await row('Production').innerText()).toContain('The default key cannot be disabled');
    await setDefault.click();
    await row('Backup').locator('.badge', { hasText: 'Default' }).waitFor();

    await row('Production').getByRole('button', { name: /Disable/ }).click();
    const select = page.getByLabel('Re-encrypt its data keys with');
    expect(await select.locator('option').allInnerTexts()).toEqual(['Backup (default)', 'Platform managed key']);
    await select.selectOption({ label: 'Backup (default)' });
    await SHOTS.take(page, 'disable-dialog', { fullPage: false });
    await page.locator('dialog').getByRole('button', { name: 'Disable key' }).click();
    await row('Production').locator('.state', { hasText: 'Disabled' }).waitFor({ timeout: RUN_TIMEOUT_MS });
    await bannerState('completed');
    expect(await page.locator('section.banner').innerText()).toContain('re-encrypted to "Backup"');
    await SHOTS.take(page, 'first-key-disabled');
    await expectAccessible('keys page with two keys');
  });

  it('disable all fails while the key is broken in KMS, and Retry completes it once fixed', async () => {
    env.kms.setKeyState(second.keyArn, 'Disabled');
    await page.getByRole('button', { name: 'Disable all keys' }).click();
    const confirm = page.locator('dialog').getByRole('button', { name: 'Disable all keys' });
    expect(await confirm.isDisabled()).toBe(true);
    await page.getByLabel(/Type the organization name/).fill('acme');
    await SHOTS.take(page, 'disable-all-confirm', { fullPage: false });
    await confirm.click();
    await bannerState('failed');
    const banner = await page.locator('section.banner').innerText();
    expect(banner).toContain('Re-encryption failed');
    expect(banner).toContain('KMS_KEY_DISABLED');
    await SHOTS.take(page, 'disable-all-failed');
    await expectAccessible('failed banner');

    env.kms.setKeyState(second.keyArn, 'Enabled');
    await page.getByRole('button', { name: 'Retry' }).click();
    await bannerState('completed');
    await row('Backup').locator('.state', { hasText: 'Disabled' }).waitFor({ timeout: RUN_TIMEOUT_MS });
    await page.locator('.bars li', { hasText: /Platform managed key \(default\)\s*300/ }).waitFor();
    await SHOTS.take(page, 'retry-completed');
  });

  it('pages through the key ring history', async () => {
    const history = page.locator('table.history tbody tr');
    await history.first().waitFor();
    expect(await history.count()).toBe(10);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.locator('.pager', { hasText: 'Page 2' }).waitFor();
    // The second page starts at revision 10 (the label moves before its rows arrive).
    await page.locator('table.history tbody tr:first-child td:first-child', { hasText: /^10$/ }).waitFor();
    await page.getByRole('button', { name: 'Previous' }).click();
    await page.locator('table.history tbody tr:first-child td:first-child', { hasText: /^0$/ }).waitFor();
  });

  it('is usable from the keyboard: Tab reaches the actions, dialogs take focus and give it back on Escape', async () => {
    await page.locator('body').click({ position: { x: 5, y: 300 } });
    const focusedText = () => page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
    let reached = false;
    for (let presses = 0; presses < 30 && !reached; presses++) {
      await page.keyboard.press('Tab');
      reached = (await focusedText()) === 'Add key';
    }
    expect(reached).toBe(true);
    await page.keyboard.press('Enter');
    await page.locator('dialog[open]').waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('add-name');
    await page.keyboard.press('Escape');
    await page.locator('dialog[open]').waitFor({ state: 'detached' });
    expect(await focusedText()).toBe('Add key');
  });

  it('signs out, clearing the token', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Access token').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('cmk.console.token'))).toBeNull();
  });

  it('tells a member, in words, why they cannot manage keys', async () => {
    await page.getByLabel('Access token').fill(memberToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'You cannot manage keys here' }).waitFor();
    expect(await page.locator('main').innerText()).toContain('with the member role. Only organization admins can add, disable or change customer managed keys.');
    await SHOTS.take(page, 'member-view');
    await expectAccessible('member view');
    await page.getByRole('button', { name: 'Sign out' }).click();
  });

  it('tells an admin of a lower edition why keys are not offered', async () => {
    await page.getByLabel('Access token').fill(freeAdminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'You cannot manage keys here' }).waitFor();
    expect(await page.locator('main').innerText()).toContain('Small Co is on the Team edition. Customer managed keys are part of the Enterprise and Business Critical editions');
    await SHOTS.take(page, 'lower-edition-view');
  });

  it('never put a token in a URL or in the browser console', () => {
    expect(requestedUrls.some((url) => url.includes('/stream?ticket='))).toBe(true);
    for (const token of [adminToken, memberToken, freeAdminToken]) {
      expect(requestedUrls.filter((url) => url.includes(token) || url.includes(encodeURIComponent(token)))).toEqual([]);
      expect(consoleMessages.filter((text) => text.includes(token))).toEqual([]);
    }
  });

  it('falls back to polling when the stream cannot be opened, and still shows the run to completion', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // A proxy that refuses streams: every stream request fails at the network level.
    await context.route('**/reencryption/stream?*', (route) => route.abort());
    const polling = await context.newPage();
    await polling.goto(`${env.baseUrl}/console/`);
    await polling.getByLabel('Access token').fill(pollingAdminToken);
    await polling.getByRole('button', { name: 'Sign in' }).click();
    await polling.getByRole('heading', { name: 'Customer managed keys' }).waitFor();
    const key = env.demoKey('beta');
    await polling.getByRole('button', { name: 'Add key' }).click();
    await polling.getByLabel('Name').fill('Beta key');
    await polling.getByLabel('Role ARN').fill(key.roleArn);
    await polling.getByLabel('Key ARN or alias ARN').fill(key.keyArn);
    await polling.locator('dialog').getByRole('button', { name: 'Add key' }).click();
    await polling.locator('section.banner[data-run-state="completed"]').waitFor({ timeout: RUN_TIMEOUT_MS });
    expect(await polling.locator('section.banner').innerText()).toContain('100 of 100 data keys re-encrypted to "Beta key"');
    await polling.locator('section.banner .transport', { hasText: 'updating every 2 s' }).waitFor();
    await context.close();
  }, 120_000);
});
