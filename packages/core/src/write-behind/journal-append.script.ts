/**
 * Append a batch of writes to one journal partition (the layout is described in
 * `redis-journal.scripts.ts`). Each write is applied on its own, in order, atomically with the
 * others of the batch: its cache entry, its version, its pending record and, when the key had no
 * pending record, a stream record (a key already pending has one, and the flusher that takes the
 * key takes its latest write: coalescing happens before the stream).
 *
 * KEYS: [1] stream, [2] pending, [3] inflight, [4] clock, then one cache entry key per write.
 * ARGV: [1] the callers' clock (versions go above it), [2] PX of a delete marker, [3] most
 * unflushed keys in this partition, [4] n, then two values per write: its description
 * (`<op><entry PX> <key length in bytes> <key><entry tail head>`, op `s`|`d`|`i`, the head
 * `fresh|stale|n\ntags…\n` or '' for a delete) and its payload (encoded value, integer delta, or
 * ''); then the invalidation bus's channel ('' without a bus) and this instance's id on it.
 * With a channel, the entry keys the batch changed are announced in the same script (one
 * `PUBLISH`, the bus's message layout 2 with entry versions: `bus-message.ts`), so other
 * instances drop their L1 copies without another round trip.
 *
 * Returns one line per write, joined by `\n` (one bulk reply: a reply per value cost the client
 * more than the script): the version, followed by a space and the counter's cached value after an
 * increment that found one; or `FULL` when the partition is full and the key has no unflushed
 * write; or `E_NOT_A_COUNTER <reason>` when an increment meets a non-integer value. A `FULL` or
 * failed write changes nothing. Errors are data, so one bad write never stops the others.
 *
 * Per write, Redis work is kept to what the write needs (apps/bench scenario 7 is bound by it
 * as much as by the client): a set or delete learns whether its key was pending from `HSET`'s
 * reply instead of asking first (a write that then finds its partition full is taken back with
 * `HDEL`); the pending record is built in one concatenation; and a set's entry is written as its
 * header, then `APPEND`ed its value, so the value becomes one new Lua string per write (the
 * record) instead of two: making a Lua string of a value of some size costs more than a command,
 * so SET + APPEND is cheaper than SET of the joined string.
 */
export const APPEND_SCRIPT = `local function fmt(n) return string.format('%.0f', n) end
-- Versions and times are integers far below 2^63: '%d' formats them exactly (a 64-bit long) and
-- more cheaply than '%.0f' does, and this runs once per write.
local function int(n) return string.format('%d', n) end
local stream, pending, inflight = KEYS[1], KEYS[2], KEYS[3]
local floor, tombPx, limit, n = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local t = redis.call('TIME')
local nowUs = tonumber(t[1]) * 1000000 + tonumber(t[2])
local created = int(nowUs)
local belowCreated = int(nowUs - 1)
-- The time of a new record under key: above the record it replaces, so a key's versions never go
-- backwards when this node's clock does (a failover to a replica whose clock is behind).
-- Arguments of redis.call are strings: Redis formats a Lua number with '%.17g' first. Digit
-- strings of one length compare as their numbers do, so the common case converts nothing.
local function stampFor(key)
  local head = redis.pcall('GETRANGE', key, '0', '39')
  if type(head) ~= 'string' then return created end
  local _, _, last = string.find(head, '^[SX]1?|(%d+)')
  if last and (#last > #created or (#last == #created and last >= created)) then
    local n = tonumber(last)
    if n >= nowUs then return int(n + 1) end
  end
  return created
end
local version = math.floor(nowUs / 1000) * 1024
local last = tonumber(redis.call('GET', KEYS[4]) or '0')
if version <= last then version = last + 1 end
if version <= floor then version = floor + 1 end
-- Whether a key that had no pending record finds the partition full; counted is 1 when the
-- key's record is already in the pending hash.
local function full(field, counted)
  return redis.call('HEXISTS', inflight, field) == 0
    and redis.call('HLEN', pending) - counted + redis.call('HLEN', inflight) >= limit
end
local used = false
local out = {}
local changed = {}
local upTo = {}
for w = 0, n - 1 do
  local meta, payload = ARGV[5 + w * 2], ARGV[6 + w * 2]
  local op, px, keyBytes, at = string.match(meta, '^(%a)(%d+) (%d+) ()')
  local keyEnd = at + tonumber(keyBytes)
  local field, head = string.sub(meta, at, keyEnd - 1), string.sub(meta, keyEnd)
  local entryKey = KEYS[5 + w]
  local v = int(used and version + 1 or version)
  local result, count, entry, entryPx, added, tail, stamp = nil, nil, nil, nil, false, nil, nil
  if op == 'i' then
    local prev = redis.call('HGET', pending, field)
    local record
    if not prev and full(field, 0) then
      result = 'FULL'
    else
      local delta = tonumber(payload)
      if prev then
        local _, _, kind, p = string.find(prev, '^%d+|(%a)|(.*)$')
        if kind == 'i' then record = 'i|' .. fmt(tonumber(p) + delta)
        elseif kind == 'd' then record = 's|j' .. fmt(delta)
        else
          local _, _, pv = string.find(p, '^j(%-?%d+)$')
          if pv then record = 's|j' .. fmt(tonumber(pv) + delta)
          else result = 'E_NOT_A_COUNTER pending value is not an integer' end
        end
      else
        record = 'i|' .. fmt(delta)
      end
      if not result then
        local cur = redis.call('GET', entryKey)
        local _, _, since = string.find(cur or '', '^S1|(%d+)|')
        if since then
          local _, _, cv = string.find(cur, '\\nj(%-?%d+)$')
          if cv then
            -- The entry keeps its creation time, so an invalidation made since still applies to it.
            count = fmt(tonumber(cv) + delta)
            entry, entryPx = 'S1|' .. since .. '|' .. head .. 'j' .. count, px
          else
            result = 'E_NOT_A_COUNTER cached value is not an integer'
          end
        else
          -- No cached count: a marker keeps loads that began before this delta from caching a count
          -- without it (the next read loads the database after flushing the key).
          stamp = stampFor(entryKey)
          entry, entryPx = 'X|' .. stamp, tombPx
        end
      end
    end
    if not result then
      redis.call('HSET', pending, field, v .. '|' .. record)
      added = not prev
    end
  else
    -- HSET answers 1 when the key had no pending record: then it may find the partition full.
    added = redis.call('HSET', pending, field, op == 's' and v .. '|s|' .. payload or v .. '|d|') == 1
    if added and full(field, 1) then
      redis.call('HDEL', pending, field)
      result = 'FULL'
    elseif op == 's' then
      stamp = stampFor(entryKey)
      entry, entryPx, tail = 'S1|' .. stamp .. '|' .. head, px, payload
    else
      stamp = stampFor(entryKey)
      entry, entryPx = 'X|' .. stamp, tombPx
    end
  end
  if result then
    out[#out + 1] = result
  else
    if used then version = version + 1 end
    used = true
    redis.call('SET', entryKey, entry, 'PX', entryPx)
    -- The value is appended by Redis, not joined in Lua (see above). Same entry, TTL kept.
    if tail then redis.call('APPEND', entryKey, tail) end
    changed[#changed + 1] = entryKey
    -- Versions up to which other instances' copies are outdated (bus layout 2): a marker's time;
    -- just below a set's version (a copy of the new entry stays); unknown ('') for an increment,
    -- which changes the value in place under the entry's old version.
    if string.sub(entry, 1, 1) == 'X' then upTo[#upTo + 1] = stamp
    elseif op == 'i' then upTo[#upTo + 1] = ''
    elseif stamp == created then upTo[#upTo + 1] = belowCreated
    else upTo[#upTo + 1] = int(tonumber(stamp) - 1) end
    -- A key already pending has its stream record: whoever takes it takes this write too.
    if added then redis.call('XADD', stream, '*', 'k', field, 'v', v) end
    out[#out + 1] = count and v .. ' ' .. count or v
  end
end
if used then redis.call('SET', KEYS[4], int(version)) end
local channel = ARGV[5 + n * 2]
if channel and channel ~= '' and #changed > 0 then
  -- Written in this order (v, s first) so the sender recognizes its own message by its start.
  redis.call('PUBLISH', channel, '{"v":2,"s":' .. cjson.encode(ARGV[6 + n * 2]) .. ',"k":'
    .. cjson.encode(changed) .. ',"u":' .. cjson.encode(upTo) .. '}')
end
return table.concat(out, '\\n')`;
