/**
 * Lua scripts of the Redis layer. Each runs atomically on the node that owns its KEYS; a script
 * touches more than one key only where all of them share a hash tag (tag and namespace times),
 * so every script is valid on a Redis Cluster. The one exception, a delete with its change times
 * and announcement (DELETE_SCRIPT), is sent only to a single server or a Sentinel's primary.
 *
 * Times are Redis `TIME` in microseconds, formatted with `%.0f`: Lua 5.1 would print
 * 1.7e15 in exponent notation.
 */

/** Lua: `now`, Redis `TIME` in microseconds. */
export const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])`;

/**
 * Lua function: the version of the record under a key (an entry's `created`, a delete marker's
 * time), or nil. Reads the header only (`GETRANGE`), not the value. A key of another type (not
 * Strata's) has none: it is replaced, as a plain `SET` or `UNLINK` would.
 */
export const RECORD_VERSION = `local function recordVersion(key)
  local head = redis.pcall('GETRANGE', key, 0, 39)
  if type(head) ~= 'string' then return nil end
  local _, _, v = string.find(head, '^[SX]1?|(%d+)')
  if v then return tonumber(v) end
  return nil
end`;

/**
 * Raises `now` above the version of the record under KEYS[i]: a key's versions never go
 * backwards, even when this node's clock is behind the one that wrote the record (a failover to a
 * replica with a slower clock, a clock stepped back). Else the change would be announced as older
 * than the copies other instances hold, and they would keep serving them.
 */
const AFTER_RECORDS = `for i = 1, #KEYS do
  local last = recordVersion(KEYS[i])
  if last and last >= now then now = last + 1 end
end`;

/**
 * The token for a write that follows a miss: Redis `TIME` in microseconds, read on the node that
 * owns KEYS[1] (the entry), whose clock the write script compares against. Not raised above the
 * record's version (unlike AFTER_RECORDS): should that record expire before the write, a change
 * made meanwhile by a clock that is behind would be older than the token and be replaced. Under
 * such skew a load's write is refused instead (a miss, never an older value). With ARGV[1], the
 * version of the record the miss read saw ('' for none): when the key changed since that read
 * (a newer entry or delete marker), that record's version is returned instead, so the write
 * that follows is refused (its value could be older than the change, which it would replace
 * unannounced). Hits never run a
 * script: an `EVALSHA` costs several microseconds of server time more than a `GET` (measured in
 * apps/bench), so reads are plain `MGET`/`GET` and the tag check runs on the client.
 */
export const NOW_SCRIPT = `${NOW}
${RECORD_VERSION}
if ARGV[1] then
  local seen = recordVersion(KEYS[1])
  if seen and (ARGV[1] == '' or seen > tonumber(ARGV[1])) then return seen end
end
return now`;

/**
 * Write an entry. KEYS[1] = entry key; ARGV[1] = token from the read that missed ('' for an
 * unconditional write), ARGV[2] = PX, ARGV[3] = the entry without its header prefix.
 * With a token, the write is skipped (returns 0) when the key was deleted or written at or
 * after the token's time: a load that began before those must not store its older result.
 * Else returns the entry's version (its `created`, above the replaced record's: see
 * AFTER_RECORDS), which the bus announces. The header is stored first and the value `APPEND`ed:
 * joining them in Lua would copy the value inside Redis (a 1 MB value cost 3 ms of server time).
 */
export const WRITE_SCRIPT = `${RECORD_VERSION}
local created
if ARGV[1] ~= '' then
  created = tonumber(ARGV[1])
  local last = recordVersion(KEYS[1])
  if last and last >= created then return 0 end
else
  ${NOW}
  ${AFTER_RECORDS}
  created = now
end
redis.call('SET', KEYS[1], 'S1|' .. string.format('%.0f', created) .. '|', 'PX', ARGV[2])
redis.call('APPEND', KEYS[1], ARGV[3])
return created`;

/**
 * Delete keys. Each becomes a delete marker `X|<time>` living ARGV[1] ms, which makes earlier
 * loads' writes no-ops and reads misses. Returns the marker's time (the delete's version), above
 * the versions of the records it replaces (see AFTER_RECORDS).
 *
 * On one node holding every key (a single server or a Sentinel's primary), the same call can
 * finish the delete as `CacheStack.delete` does: ARGV[2] is n, the number of entry keys (absent:
 * every KEY is one), ARGV[3] the least life of a key dependency time in ms ('' for none), ARGV[4]
 * the invalidation bus's channel ('' for none) and ARGV[5] this instance's id on it. With change
 * times, KEYS n+1..2n are the entry keys' dependency times: each is set to the time now, keeping
 * at least the life it had (`INVALIDATE_SCRIPT`'s rule). With a channel, one message of the bus's
 * layout 2 (bus-message.ts, sender first, as the set-batch script writes it) names the entry keys,
 * each with the marker's time as the version up to which copies are outdated, and the change
 * times as tags. So the other instances hear of the delete in the round trip that made it.
 *
 * The first write is an `UNLINK` (which frees memory, so Redis allows it when out of memory
 * under `maxmemory` with `noeviction`); a script that has written once is never stopped midway,
 * so the markers and change times are stored under OOM too, and `PUBLISH` is allowed then. The
 * lives of the change times are read before it. Without it, the first `SET` would be refused and
 * the old entry would stay readable. A marker-less `DEL` is no substitute: a load that began
 * before the delete could then store its older value.
 */
export const DELETE_SCRIPT = `${NOW}
${RECORD_VERSION}
local n = tonumber(ARGV[2]) or #KEYS
local least, channel = ARGV[3] or '', ARGV[4] or ''
-- The change time is Redis's time, as INVALIDATE_SCRIPT's; the marker's may be raised above it.
local stamp = string.format('%.0f', now)
for i = 1, n do
  local last = recordVersion(KEYS[i])
  if last and last >= now then now = last + 1 end
end
local lives = {}
if least ~= '' then
  local life = tonumber(least)
  for i = 1, n do
    local left = redis.call('PTTL', KEYS[n + i])
    if left == -1 then lives[i] = false else lives[i] = math.max(left, life) end
  end
end
local version = string.format('%.0f', now)
local marker = 'X|' .. version
redis.call('UNLINK', KEYS[1])
for i = 1, n do redis.call('SET', KEYS[i], marker, 'PX', ARGV[1]) end
if least ~= '' then
  for i = 1, n do
    if lives[i] then redis.call('SET', KEYS[n + i], stamp, 'PX', lives[i])
    else redis.call('SET', KEYS[n + i], stamp) end
  end
end
if channel ~= '' then
  local keys, upTo, times = {}, {}, {}
  for i = 1, n do
    keys[i] = KEYS[i]
    upTo[i] = version
  end
  local message = '{"v":2,"s":' .. cjson.encode(ARGV[5]) .. ',"k":' .. cjson.encode(keys)
    .. ',"u":' .. cjson.encode(upTo)
  if least ~= '' then
    for i = 1, n do times[i] = KEYS[n + i] end
    message = message .. ',"t":' .. cjson.encode(times)
  end
  redis.call('PUBLISH', channel, message .. '}')
end
return now`;

/**
 * Invalidate tags or namespaces: KEYS are their time keys (all in the `{prefix:tags}` slot).
 * Tag and namespace times carry no TTL, so a `volatile-*` eviction policy never drops them.
 * Key dependency times (KEYS starting with ARGV[1], the key dependency prefix) are one per key
 * ever changed, so they expire: after at least ARGV[2] ms, and never before the entries that
 * depend on them (whose writes extend them, see EXTEND_DEPENDENCIES_SCRIPT). Their lives are read
 * first; the first write is an `UNLINK`, so that the times are stored when Redis is out of memory
 * (see DELETE_SCRIPT).
 */
export const INVALIDATE_SCRIPT = `${NOW}
local stamp = string.format('%.0f', now)
local least = tonumber(ARGV[2])
local lives = {}
for i = 1, #KEYS do
  local key = KEYS[i]
  if ARGV[1] ~= '' and string.sub(key, 1, #ARGV[1]) == ARGV[1] then
    local left = redis.call('PTTL', key)
    if left == -1 then lives[i] = false else lives[i] = math.max(left, least) end
  else
    lives[i] = false
  end
end
redis.call('UNLINK', KEYS[1])
for i = 1, #KEYS do
  if lives[i] then redis.call('SET', KEYS[i], stamp, 'PX', lives[i])
  else redis.call('SET', KEYS[i], stamp) end
end
return #KEYS`;

/**
 * Keep key dependency times (KEYS, in the `{prefix:tags}` slot) at least as long as an entry that
 * depends on them lives (ARGV[1] ms): once a time expired, the entry would pass its check again.
 * A time not set yet is created at 0 (older than every entry), so a later change keeps the
 * remaining life instead of starting from `dependencyTtl`.
 */
export const EXTEND_DEPENDENCIES_SCRIPT = `local life = tonumber(ARGV[1])
for i = 1, #KEYS do
  local left = redis.call('PTTL', KEYS[i])
  if left == -2 then redis.call('SET', KEYS[i], '0', 'PX', life)
  elseif left >= 0 and left < life then redis.call('PEXPIRE', KEYS[i], life) end
end
return #KEYS`;
