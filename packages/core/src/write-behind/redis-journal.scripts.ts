/**
 * Lua scripts of the Redis write-behind journal. Every key a script touches belongs to one
 * journal partition (the `{…}` hash tag of the partition), and on a cluster the cache entry
 * of a journaled key carries the same hash tag, so each script runs on one node.
 *
 * Per partition:
 * - `stream`: a Redis Stream, one record per write (`k` = key, `v` = version), read through a
 *   consumer group; a record is acknowledged and deleted together once its write reached the
 *   database, so the stream holds only unflushed records.
 * - `pending`: hash, key → `version|kind|payload`, the latest unflushed write of each key
 *   (`s` = set, payload the encoded value; `d` = delete; `i` = increment, payload the summed
 *   delta). Coalescing happens here: a set replaces, an increment adds.
 * - `inflight`: hash, the same records once a flusher took them for delivery, so that writes
 *   arriving during a delivery accumulate separately (a summed delta is never counted twice).
 * - `clock`: the partition's last version (hybrid logical clock: Redis ms × 1024 + counter).
 * - `dead`: a stream of records that failed `maxAttempts` times.
 */

const FMT = `local function fmt(n) return string.format('%.0f', n) end`;

/**
 * Append a write. KEYS: entry, stream, pending, inflight, clock.
 * ARGV: [1] op `s`|`d`|`i`; [2] key; [3] the caller's clock (versions go above it);
 * [4] payload (encoded value, or integer delta); [5] entry tail head (`fresh|stale|n\ntags…\n`);
 * [6] PX of the entry; [7] PX of a delete marker; [8] most unflushed keys in this partition.
 * Returns `{version, count}` (count: the counter's cached value after an increment, or '');
 * `{'FULL'}` when the partition is full and the key has no unflushed write;
 * an error `E_NOT_A_COUNTER` when an increment meets a non-integer value.
 */
export const APPEND_SCRIPT = `${FMT}
local op, field = ARGV[1], ARGV[2]
local prev = redis.call('HGET', KEYS[3], field)
if not prev and redis.call('HEXISTS', KEYS[4], field) == 0
  and redis.call('HLEN', KEYS[3]) + redis.call('HLEN', KEYS[4]) >= tonumber(ARGV[8]) then
  return {'FULL'}
end
local t = redis.call('TIME')
local nowUs = tonumber(t[1]) * 1000000 + tonumber(t[2])
local record, entry, entryPx, count = nil, nil, nil, ''
if op == 's' then
  record = 's|' .. ARGV[4]
  entry, entryPx = 'S1|' .. fmt(nowUs) .. '|' .. ARGV[5] .. ARGV[4], ARGV[6]
elseif op == 'd' then
  record = 'd|'
  entry, entryPx = 'X|' .. fmt(nowUs), ARGV[7]
else
  local delta = tonumber(ARGV[4])
  if prev then
    local _, _, kind, payload = string.find(prev, '^%d+|(%a)|(.*)$')
    if kind == 'i' then record = 'i|' .. fmt(tonumber(payload) + delta)
    elseif kind == 'd' then record = 's|j' .. fmt(delta)
    else
      local _, _, n = string.find(payload, '^j(%-?%d+)$')
      if not n then return redis.error_reply('E_NOT_A_COUNTER pending value is not an integer') end
      record = 's|j' .. fmt(tonumber(n) + delta)
    end
  else
    record = 'i|' .. fmt(delta)
  end
  local cur = redis.call('GET', KEYS[1])
  local _, _, created = string.find(cur or '', '^S1|(%d+)|')
  if created then
    local _, _, n = string.find(cur, '\\nj(%-?%d+)$')
    if not n then return redis.error_reply('E_NOT_A_COUNTER cached value is not an integer') end
    -- The entry keeps its creation time, so an invalidation made since still applies to it.
    count = fmt(tonumber(n) + delta)
    entry, entryPx = 'S1|' .. created .. '|' .. ARGV[5] .. 'j' .. count, ARGV[6]
  else
    -- No cached count: a marker keeps loads that began before this delta from caching a count
    -- without it (the next read loads the database after flushing the key).
    entry, entryPx = 'X|' .. fmt(nowUs), ARGV[7]
  end
end
local version = math.floor(nowUs / 1000) * 1024
local last = tonumber(redis.call('GET', KEYS[5]) or '0')
if version <= last then version = last + 1 end
local floor = tonumber(ARGV[3])
if version <= floor then version = floor + 1 end
local v = fmt(version)
redis.call('SET', KEYS[5], v)
redis.call('SET', KEYS[1], entry, 'PX', entryPx)
redis.call('HSET', KEYS[3], field, v .. '|' .. record)
redis.call('XADD', KEYS[2], '*', 'k', field, 'v', v)
return {v, count}`;

/**
 * Take records for delivery. KEYS: pending, inflight. ARGV: keys. For each key, the record
 * already in flight (a delivery that has not been acknowledged: redeliver it unchanged), else
 * the pending one, moved to `inflight`; '' when the key has nothing unflushed.
 */
export const TAKE_SCRIPT = `local out = {}
for i = 1, #ARGV do
  local record = redis.call('HGET', KEYS[2], ARGV[i])
  if not record then
    record = redis.call('HGET', KEYS[1], ARGV[i])
    if record then
      redis.call('HSET', KEYS[2], ARGV[i], record)
      redis.call('HDEL', KEYS[1], ARGV[i])
    end
  end
  out[i] = record or ''
end
return out`;

/**
 * Acknowledge delivered records. KEYS: stream, inflight. ARGV: [1] group, [2] n, then n pairs of
 * key and delivered version (the in-flight record is dropped only if it is still that version),
 * then the stream ids to acknowledge and delete.
 */
export const ACK_SCRIPT = `local n = tonumber(ARGV[2])
for i = 0, n - 1 do
  local field, version = ARGV[3 + 2 * i], ARGV[4 + 2 * i]
  local record = redis.call('HGET', KEYS[2], field)
  if record and string.sub(record, 1, #version + 1) == version .. '|' then redis.call('HDEL', KEYS[2], field) end
end
-- In chunks: Lua's unpack is limited to a few thousand values.
for i = 3 + 2 * n, #ARGV, 1000 do
  local last = math.min(i + 999, #ARGV)
  redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, i, last))
  redis.call('XDEL', KEYS[1], unpack(ARGV, i, last))
end
return n`;

/**
 * Dead-letter a record. KEYS: stream, inflight, dead. ARGV: [1] group, [2] key, [3] version,
 * [4] the record, [5] the error message, [6] approximate cap of the dead-letter stream, then the
 * stream ids to acknowledge and delete.
 */
export const DEAD_SCRIPT = `local record = redis.call('HGET', KEYS[2], ARGV[2])
if record and string.sub(record, 1, #ARGV[3] + 1) == ARGV[3] .. '|' then redis.call('HDEL', KEYS[2], ARGV[2]) end
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[6], '*', 'k', ARGV[2], 'v', ARGV[3], 'r', ARGV[4], 'e', ARGV[5])
for i = 7, #ARGV, 1000 do
  local last = math.min(i + 999, #ARGV)
  redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, i, last))
  redis.call('XDEL', KEYS[1], unpack(ARGV, i, last))
end
return 1`;

/**
 * Drop a pending or in-flight record older than a version written past the journal (the
 * fallback write-through while Redis was down). KEYS: pending, inflight. ARGV: key, version.
 */
export const SUPERSEDE_SCRIPT = `local floor = tonumber(ARGV[2])
for i = 1, 2 do
  local record = redis.call('HGET', KEYS[i], ARGV[1])
  if record then
    local _, _, v = string.find(record, '^(%d+)|')
    if tonumber(v) < floor then redis.call('HDEL', KEYS[i], ARGV[1]) end
  end
end
return 1`;
