/**
 * Lua scripts of the Redis layer. Each runs atomically on the node that owns its KEYS; a script
 * touches more than one key only where all of them share a hash tag (tag and namespace times),
 * so every script is valid on a Redis Cluster.
 *
 * Times are Redis `TIME` in microseconds, formatted with `%.0f`: Lua 5.1 would print
 * 1.7e15 in exponent notation.
 */

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])`;

/**
 * The token for a write that follows a miss: Redis `TIME` in microseconds, read on the node that
 * owns KEYS[1] (the entry), whose clock the write script compares against. Hits never run a
 * script: an `EVALSHA` costs several microseconds of server time more than a `GET` (measured in
 * apps/bench), so reads are plain `MGET`/`GET` and the tag check runs on the client.
 */
export const NOW_SCRIPT = `${NOW}
return now`;

/**
 * Write an entry. KEYS[1] = entry key; ARGV[1] = token from the read that missed ('' for an
 * unconditional write), ARGV[2] = PX, ARGV[3] = the entry without its header prefix.
 * With a token, the write is skipped (returns 0) when the key was deleted or written at or
 * after the token's time: a load that began before those must not store its older result.
 */
export const WRITE_SCRIPT = `local created
if ARGV[1] ~= '' then
  created = tonumber(ARGV[1])
  local cur = redis.call('GET', KEYS[1])
  if cur then
    local _, _, last = string.find(cur, '^[SX]1?|(%d+)')
    if last and tonumber(last) >= created then return 0 end
  end
else
  ${NOW}
  created = now
end
redis.call('SET', KEYS[1], 'S1|' .. string.format('%.0f', created) .. '|' .. ARGV[3], 'PX', ARGV[2])
return 1`;

/**
 * Delete keys. Each becomes a delete marker `X|<time>` living ARGV[1] ms, which makes earlier
 * loads' writes no-ops and reads misses.
 */
export const DELETE_SCRIPT = `${NOW}
local marker = 'X|' .. string.format('%.0f', now)
for i = 1, #KEYS do redis.call('SET', KEYS[i], marker, 'PX', ARGV[1]) end
return #KEYS`;

/**
 * Invalidate tags or namespaces: KEYS are their time keys (all in the `{prefix:tags}` slot).
 * The keys carry no TTL, so a `volatile-*` eviction policy never drops them.
 */
export const INVALIDATE_SCRIPT = `${NOW}
local stamp = string.format('%.0f', now)
for i = 1, #KEYS do redis.call('SET', KEYS[i], stamp) end
return #KEYS`;
