import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Key material files (`platform-master-keys.json`, `oidc-signing-keys.json`) are written with
 * 0600 permissions through a temporary file, so a crash never leaves half a keyring behind.
 */

/**
 * Creates `path` with `content` unless it already exists, atomically across processes: the api
 * and the worker may both start on an empty data dir, and exactly one keyring must win.
 * Returns false when another process created it first (read that one instead).
 */
export async function createSecretFileOnce(path: string, content: string): Promise<boolean> {
  const temp = await writeTemp(path, content);
  try {
    // link() fails with EEXIST instead of replacing, unlike rename().
    await fs.link(temp, path);
    return true;
  } catch (error) {
    if (isCode(error, 'EEXIST')) return false;
    throw error;
  } finally {
    await fs.rm(temp, { force: true });
  }
}

/** Replaces `path` atomically (rotation). Last writer wins: rotate from one place at a time. */
export async function replaceSecretFile(path: string, content: string): Promise<void> {
  const temp = await writeTemp(path, content);
  await fs.rename(temp, path);
}

/** The file's text, or undefined when it does not exist. */
export async function readSecretFile(path: string): Promise<string | undefined> {
  try {
    return await fs.readFile(path, 'utf8');
  } catch (error) {
    if (isCode(error, 'ENOENT')) return undefined;
    throw error;
  }
}

/** Modification time in ms, or undefined when missing: cheap change detection for reloads. */
export async function modifiedAt(path: string): Promise<number | undefined> {
  try {
    return (await fs.stat(path)).mtimeMs;
  } catch (error) {
    if (isCode(error, 'ENOENT')) return undefined;
    throw error;
  }
}

async function writeTemp(path: string, content: string): Promise<string> {
  await fs.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = join(dirname(path), `.${randomUUID()}.tmp`);
  const handle = await fs.open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  return temp;
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
