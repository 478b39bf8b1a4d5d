import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { orgKeyStoreContract } from '@cmk/key-providers/testing';
import { ORG_KEY_FILE, SqliteOrgKeyStore } from './sqlite-org-key-store';

describe('SqliteOrgKeyStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cmk-orgkeys-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const file = () => join(dir, ORG_KEY_FILE);
  orgKeyStoreContract({
    open: async () => SqliteOrgKeyStore.open(file()),
    // The main file and its WAL: a destroyed key's bytes must be in neither.
    rawBytes: async () => Buffer.concat([file(), `${file()}-wal`].filter((path) => existsSync(path)).map((path) => readFileSync(path))),
  });
});
