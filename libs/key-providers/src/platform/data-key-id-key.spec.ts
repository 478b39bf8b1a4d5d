import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { DATA_KEY_ID_KEY_FILE, DataKeyIdKey } from './data-key-id-key';

describe('DataKeyIdKey', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cmk-id-key-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('creates one 0600 file on first start that every later open (and a racing one) agrees on', async () => {
    const [a, b] = await Promise.all([DataKeyIdKey.open({ dataDir }), DataKeyIdKey.open({ dataDir })]);
    const again = await DataKeyIdKey.open({ dataDir });
    expect(b.macHex('x')).toBe(a.macHex('x'));
    expect(again.macHex('x')).toBe(a.macHex('x'));
    expect(a.macHex('x')).toMatch(/^[0-9a-f]{64}$/);
    expect((await stat(join(dataDir, DATA_KEY_ID_KEY_FILE))).mode & 0o777).toBe(0o600);
    // Two data dirs, two keys: the ids of one deployment say nothing about another's.
    const elsewhere = await mkdtemp(join(tmpdir(), 'cmk-id-key-'));
    expect((await DataKeyIdKey.open({ dataDir: elsewhere })).macHex('x')).not.toBe(a.macHex('x'));
    await rm(elsewhere, { recursive: true, force: true });
  });

  it('takes CMK_DATA_KEY_ID_KEY instead of the file, refuses a wrong size without echoing it, and never serialises its bytes', async () => {
    const bytes = randomBytes(32);
    const fromEnv = await DataKeyIdKey.open({ dataDir, fromEnv: bytes.toString('base64') });
    expect(fromEnv.macHex('x')).toBe(DataKeyIdKey.fromBytes(bytes).macHex('x'));
    await expect(readFile(join(dataDir, DATA_KEY_ID_KEY_FILE))).rejects.toMatchObject({ code: 'ENOENT' });
    const short = randomBytes(16).toString('base64');
    const error = await DataKeyIdKey.open({ dataDir, fromEnv: short }).then(() => undefined, (e: unknown) => e);
    expect(String(error)).toContain('exactly 32 bytes');
    expect(String(error)).not.toContain(short);
    expect(JSON.stringify({ key: fromEnv })).not.toContain(bytes.toString('base64'));
    expect(inspect({ key: fromEnv }, { depth: 5 })).toBe('{ key: DataKeyIdKey(…) }');
  });
});
