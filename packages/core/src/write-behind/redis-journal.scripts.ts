/**
 * Lua scripts of the Redis write-behind journal. Every key a script touches belongs to one
 * journal partition (the `{…}` hash tag of the partition), and on a cluster the cache entry
 * of a journaled key carries the same hash tag, so each script runs on one node.
 *
 * Per partition:
 * - `stream`: a Redis Stream read through a consumer group, one record (`k` = key, `v` = version;
 *   `x` = `1` on a re-driven dead letter) per write that found its key without a pending record; later writes of a pending key only
 *   update `pending`, and the record's reader delivers the latest. A record is acknowledged and
 *   deleted together once a write at least as new as it reached the database, so the stream
 *   holds only unflushed records.
 * - `pending`: hash, key → `version|kind|payload`, the latest unflushed write of each key
 *   (`s` = set, payload the encoded value; `d` = delete; `i` = increment, payload the summed
 *   delta). Coalescing happens here: a set replaces, an increment adds.
 * - `inflight`: hash, the same records once a flusher took them for delivery, so that writes
 *   arriving during a delivery accumulate separately (a summed delta is never counted twice).
 * - `clock`: the partition's last version (hybrid logical clock: Redis ms × 1024 + counter).
 * - `dead`: a stream of records that failed `maxAttempts` times (and of unreadable entries), until
 *   re-driven or purged (see `redis-dead-letter.scripts.ts`).
 */

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
 * Dead-letter a record. KEYS: stream, inflight, dead. ARGV: [1] group, [2] key ('' for an
 * unreadable stream entry), [3] version ('0' when unknown), [4] the in-flight record as taken,
 * dropped only if it is still exactly that ('' to drop nothing), [5] the record without its
 * version (`s|…`, `d|`, `i|…`; `?|…` for an unreadable one), [6] the error message, [7] approximate
 * cap of the dead-letter stream, then the stream ids to acknowledge and delete. Returns the id
 * of the dead letter.
 */
export const DEAD_SCRIPT = `if ARGV[4] ~= '' and redis.call('HGET', KEYS[2], ARGV[2]) == ARGV[4] then redis.call('HDEL', KEYS[2], ARGV[2]) end
local id = redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[7], '*', 'k', ARGV[2], 'v', ARGV[3], 'r', ARGV[5], 'e', ARGV[6])
for i = 8, #ARGV, 1000 do
  local last = math.min(i + 999, #ARGV)
  redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, i, last))
  redis.call('XDEL', KEYS[1], unpack(ARGV, i, last))
end
return id`;

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

/**
 * Remove consumers that hold nothing (a stopped instance's, or a restarted one's former name).
 * KEYS: stream. ARGV: [1] group, [2] least idle time in ms, [3] the caller's own consumer.
 * A consumer with pending records is kept: deleting it would drop them from the group's pending
 * list, where `XAUTOCLAIM` finds them. Atomic, so a consumer cannot take records between the
 * check and the delete (one that reads later is simply created again). Returns the count removed.
 */
export const PRUNE_SCRIPT = `local removed = 0
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local info = {}
  for i = 1, #c, 2 do info[c[i]] = c[i + 1] end
  if info['name'] ~= ARGV[3] and tonumber(info['pending']) == 0 and tonumber(info['idle']) >= tonumber(ARGV[2]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], info['name'])
    removed = removed + 1
  end
end
return removed`;
