import { ApplicationError } from '@cmk/application';
import { DEFAULT_WEBHOOK_SETTINGS } from './settings';
import { checkWebhookUrl, type Resolver } from './url-policy';

const dns: Record<string, string[]> = {
  'hooks.example.com': ['93.184.216.34'],
  'sneaky.example.com': ['93.184.216.34', '10.1.2.3'],
  'metadata.example.com': ['169.254.169.254'],
  'v6.example.com': ['2606:2800:220:1:248:1893:25c8:1946'],
  'mapped.example.com': ['::ffff:127.0.0.1'],
  'internal.example.com': ['192.168.1.20'],
};
const resolve: Resolver = async (host) => {
  const answers = dns[host];
  if (!answers) throw new Error('ENOTFOUND');
  return answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

async function refusal(url: string, settings = DEFAULT_WEBHOOK_SETTINGS): Promise<string> {
  const error = await checkWebhookUrl(url, settings, resolve).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ApplicationError);
  return (error as ApplicationError).code;
}

describe('webhook URL policy (SSRF)', () => {
  it('accepts https to public addresses, v4 and v6, and returns the addresses to pin', async () => {
    await expect(checkWebhookUrl('https://hooks.example.com/cmk', DEFAULT_WEBHOOK_SETTINGS, resolve)).resolves.toMatchObject({ addresses: [{ address: '93.184.216.34', family: 4 }] });
    await expect(checkWebhookUrl('https://v6.example.com/x', DEFAULT_WEBHOOK_SETTINGS, resolve)).resolves.toBeDefined();
  });

  it('refuses http unless the development setting allows it, and URLs with credentials or garbage', async () => {
    expect(await refusal('http://hooks.example.com/cmk')).toBe('WEBHOOK_URL_INVALID');
    await expect(checkWebhookUrl('http://hooks.example.com/cmk', { ...DEFAULT_WEBHOOK_SETTINGS, allowHttp: true }, resolve)).resolves.toBeDefined();
    expect(await refusal('ftp://hooks.example.com/')).toBe('WEBHOOK_URL_INVALID');
    expect(await refusal('https://user:pw@hooks.example.com/')).toBe('WEBHOOK_URL_INVALID');
    expect(await refusal('not a url')).toBe('WEBHOOK_URL_INVALID');
    expect(await refusal('https://nowhere.example.com/')).toBe('WEBHOOK_URL_INVALID');
  });

  it.each([
    'https://127.0.0.1/x',
    'https://127.1.2.3/x',
    'https://[::1]/x',
    'https://0.0.0.0/x',
    'https://10.0.0.5/x',
    'https://172.20.1.1/x',
    'https://192.168.0.1/x',
    'https://169.254.169.254/latest/meta-data/',
    'https://[fe80::1]/x',
    'https://[fd00::1]/x',
    'https://[::ffff:10.0.0.1]/x',
    'https://metadata.example.com/x',
    'https://mapped.example.com/x',
    'https://sneaky.example.com/x',
  ])('refuses %s (loopback, link-local, private, reserved; every resolved address counts)', async (url) => {
    expect(await refusal(url)).toBe('WEBHOOK_URL_FORBIDDEN');
  });

  it('lets an allow-list name an internal host, address or range, and nothing more', async () => {
    const settings = { ...DEFAULT_WEBHOOK_SETTINGS, allowedHosts: ['internal.example.com', '127.0.0.1', '10.1.0.0/16'] };
    await expect(checkWebhookUrl('https://internal.example.com/x', settings, resolve)).resolves.toBeDefined();
    await expect(checkWebhookUrl('https://127.0.0.1:8443/x', settings, resolve)).resolves.toBeDefined();
    await expect(checkWebhookUrl('https://sneaky.example.com/x', settings, resolve)).resolves.toBeDefined();
    expect(await refusal('https://127.0.0.2/x', settings)).toBe('WEBHOOK_URL_FORBIDDEN');
    expect(await refusal('https://metadata.example.com/x', settings)).toBe('WEBHOOK_URL_FORBIDDEN');
  });
});
