import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * Applies one batch and moves the checkpoint, atomically, if and only if the stored checkpoint
 * is still the one the batch was computed from (compare-and-set). A second replica, or a reply
 * lost and resent by the client, finds the checkpoint moved and gets 0 back: the caller re-reads
 * and skips what is already applied. The checkpoint is written last so that a script dying
 * midway can never leave it ahead of the documents.
 *
 * ARGV: expected checkpoint ('' for none), new checkpoint, then ops, each an op code and a KEYS
 * index: `S i json` (SET), `Z i score member` (ZADD), `R i member` (ZREM), `A i member` (SADD).
 */
export const COMMIT_BATCH_SCRIPT = `
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return 0 end
local i = 3
while i <= #ARGV do
  local op = ARGV[i]
  local key = KEYS[tonumber(ARGV[i + 1])]
  if op == 'S' then redis.call('SET', key, ARGV[i + 2]); i = i + 3
  elseif op == 'Z' then redis.call('ZADD', key, ARGV[i + 2], ARGV[i + 3]); i = i + 4
  elseif op == 'R' then redis.call('ZREM', key, ARGV[i + 2]); i = i + 3
  elseif op == 'A' then redis.call('SADD', key, ARGV[i + 2]); i = i + 3
  else return redis.error_reply('unknown op ' .. tostring(op)) end
end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`;

/**
 * One page of a sorted set after the cursor (score, member), in (score, member) order. Members
 * tied on the cursor's score are taken first, so ties never skip or repeat a member.
 * ARGV: cursor score ('-inf' for the first page), cursor member, limit. Returns a flat
 * [member, score, member, score, ...] list.
 */
export const PAGE_SCRIPT = `
local key, score, member, limit = KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3])
local out = {}
if score ~= '-inf' then
  local tied = redis.call('ZRANGE', key, score, score, 'BYSCORE')
  for _, m in ipairs(tied) do
    if #out >= limit * 2 then break end
    if m > member then table.insert(out, m); table.insert(out, score) end
  end
  score = '(' .. score
end
local need = limit - #out / 2
if need > 0 then
  local rest = redis.call('ZRANGE', key, score, '+inf', 'BYSCORE', 'LIMIT', 0, need, 'WITHSCORES')
  for _, v in ipairs(rest) do table.insert(out, v) end
end
return out
`;

const shas = new Map<string, string>();

function sha1(script: string): string {
  let sha = shas.get(script);
  if (!sha) {
    sha = createHash('sha1').update(script).digest('hex');
    shas.set(script, sha);
  }
  return sha;
}

/** EVALSHA, falling back to EVAL once when the server does not have the script (restart, flush). */
export async function runScript(redis: Redis, script: string, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  try {
    return await redis.evalsha(sha1(script), keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return redis.eval(script, keys.length, ...keys, ...args);
  }
}
