/**
 * Append a batch of writes to one journal partition (the layout is described in
 * `redis-journal.scripts.ts`). Each write is applied on its own, in order, atomically with the
 * others of the batch: its cache entry, its version, its pending record and, when the key had no
 * pending record, a stream record (a key already pending has one, and the flusher that takes the
 * key takes its latest write: coalescing happens before the stream).
 *
 * KEYS: [1] stream, [2] pending, [3] inflight, [4] clock, then one cache entry key per write.
 * ARGV: [1] the callers' clock (versions go above it), [2] PX of a delete marker, [3] most
 * unflushed keys in this partition, [4] n, then five values per write: op `s`|`d`|`i`, key,
 * payload (encoded value, or integer delta), entry tail head (`fresh|stale|n\ntags…\n`), PX of
 * the entry; then the invalidation bus's channel ('' without a bus) and this instance's id on it.
 * With a channel, the entry keys the batch changed are announced in the same script (one
 * `PUBLISH`, the bus's message format), so other instances drop their L1 copies without another
 * round trip.
 *
 * Returns two values per write: the version (or `FULL` when the partition is full and the key
 * has no unflushed write, or `E_NOT_A_COUNTER <reason>` when an increment meets a non-integer
 * value; such a write changes nothing), then the counter's cached value after an increment, or
 * ''. Errors are data, so one bad write never stops the others.
 */
export const APPEND_SCRIPT = `local function fmt(n) return string.format('%.0f', n) end
local stream, pending, inflight = KEYS[1], KEYS[2], KEYS[3]
local floor, tombPx, limit, n = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local t = redis.call('TIME')
local nowUs = tonumber(t[1]) * 1000000 + tonumber(t[2])
local created = fmt(nowUs)
local version = math.floor(nowUs / 1000) * 1024
local last = tonumber(redis.call('GET', KEYS[4]) or '0')
if version <= last then version = last + 1 end
if version <= floor then version = floor + 1 end
local used = false
local out = {}
local changed = {}
for w = 0, n - 1 do
  local a = 5 + w * 5
  local op, field, payload, head, px = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4]
  local entryKey = KEYS[5 + w]
  local prev = false
  local exists
  if op == 'i' then
    prev = redis.call('HGET', pending, field)
    exists = prev ~= false
  else
    exists = redis.call('HEXISTS', pending, field) == 1
  end
  local result, count = nil, ''
  if not exists and redis.call('HEXISTS', inflight, field) == 0
    and redis.call('HLEN', pending) + redis.call('HLEN', inflight) >= limit then
    result = 'FULL'
  end
  local record, entry, entryPx = nil, nil, nil
  if result then
  elseif op == 's' then
    record = 's|' .. payload
    entry, entryPx = 'S1|' .. created .. '|' .. head .. payload, px
  elseif op == 'd' then
    record = 'd|'
    entry, entryPx = 'X|' .. created, tombPx
  else
    local delta = tonumber(payload)
    if prev then
      local _, _, kind, p = string.find(prev, '^%d+|(%a)|(.*)$')
      if kind == 'i' then record = 'i|' .. fmt(tonumber(p) + delta)
      elseif kind == 'd' then record = 's|j' .. fmt(delta)
      else
        local _, _, v = string.find(p, '^j(%-?%d+)$')
        if v then record = 's|j' .. fmt(tonumber(v) + delta)
        else result = 'E_NOT_A_COUNTER pending value is not an integer' end
      end
    else
      record = 'i|' .. fmt(delta)
    end
    if not result then
      local cur = redis.call('GET', entryKey)
      local _, _, since = string.find(cur or '', '^S1|(%d+)|')
      if since then
        local _, _, v = string.find(cur, '\\nj(%-?%d+)$')
        if v then
          -- The entry keeps its creation time, so an invalidation made since still applies to it.
          count = fmt(tonumber(v) + delta)
          entry, entryPx = 'S1|' .. since .. '|' .. head .. 'j' .. count, px
        else
          result = 'E_NOT_A_COUNTER cached value is not an integer'
        end
      else
        -- No cached count: a marker keeps loads that began before this delta from caching a count
        -- without it (the next read loads the database after flushing the key).
        entry, entryPx = 'X|' .. created, tombPx
      end
    end
  end
  if result then
    out[#out + 1] = result
    out[#out + 1] = ''
  else
    if used then version = version + 1 end
    used = true
    local v = fmt(version)
    redis.call('SET', entryKey, entry, 'PX', entryPx)
    changed[#changed + 1] = entryKey
    redis.call('HSET', pending, field, v .. '|' .. record)
    -- A key already pending has its stream record: whoever takes it takes this write too.
    if not exists then redis.call('XADD', stream, '*', 'k', field, 'v', v) end
    out[#out + 1] = v
    out[#out + 1] = count
  end
end
if used then redis.call('SET', KEYS[4], fmt(version)) end
local channel = ARGV[5 + n * 5]
if channel and channel ~= '' and #changed > 0 then
  redis.call('PUBLISH', channel, cjson.encode({ s = ARGV[6 + n * 5], k = changed }))
end
return out`;
