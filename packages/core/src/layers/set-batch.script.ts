/**
 * Store a batch of sets (`CacheStack.set`) in one script call, each with its key's change time,
 * and announce them all with one `PUBLISH`. Atomic: another client sees a set only together with
 * its change time and its announcement. Runs on one node: every key of the call must be there
 * (a single server or a Sentinel's primary; on a Cluster, only entries of one slot and no
 * change times).
 *
 * KEYS: the n entry keys, then, with change times, the n key dependency times (one per entry,
 * same order; see `INVALIDATE_SCRIPT` in redis.scripts.ts).
 * ARGV: [1] n, [2] the least life of a key dependency time in ms ('' for no change times),
 * [3] the invalidation bus's channel ('' without a bus), [4] this instance's id on it, then two
 * per entry: `<PX>` for an unconditional set, or `<PX> <token>` for one that must find the entry
 * unchanged since the token's time, then a newline and the entry's fields up to its value
 * (`serializeEntryHead`); and the encoded value, alone, so that the client sends it as it is (a
 * string joined to it would be copied first) and Redis appends it without a Lua copy of its own.
 *
 * Per entry, in order, what `WRITE_SCRIPT` does: with a token, the set is refused (result `0`)
 * when the key was deleted or written at or after the token's time; else its version is the
 * token, or without one the time now raised above the version of the record it replaces (see
 * AFTER_RECORDS). The entry is written as `S1|<version>|<fields>` and then `APPEND`ed its value:
 * making a Lua string of a value of some size costs more than a command (journal-append.script.ts
 * measured it). Then each entry's change time is set to the time now, keeping at least the life
 * it had (`INVALIDATE_SCRIPT`'s rule for key dependency times), refused sets included: a refused
 * set still stands for a change of the source of truth. Then, with a channel, one message of the
 * bus's layout 2 (bus-message.ts) names every entry key, each with the version up to which other
 * instances' copies are outdated (its version minus one; '' for a refused set: every copy goes),
 * and the change times as tags.
 *
 * Out of memory: the first write is an entry's `SET`, which Redis refuses before the script has
 * written anything; the caller then treats every set of the batch as a refused one (each stores a
 * delete marker, with `UNLINK` first). A script that has written once is never stopped midway.
 *
 * Returns the versions (`0` for a refused set), joined by spaces: one bulk reply costs the client
 * less than an array. Times are Redis `TIME` in microseconds, formatted with `%.0f` (Lua 5.1 would
 * print 1.7e15 in exponent notation).
 */
export const SET_BATCH_SCRIPT = `local n, least, channel = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local function recordVersion(key)
  local head = redis.pcall('GETRANGE', key, 0, 39)
  if type(head) ~= 'string' then return nil end
  local _, _, v = string.find(head, '^[SX]1?|(%d+)')
  if v then return tonumber(v) end
  return nil
end
local out, keys, upTo = {}, {}, {}
for i = 1, n do
  local key, at = KEYS[i], 3 + i * 2
  local px, token, head = string.match(ARGV[at], '^(%d+) ?([^\\n]*)\\n(.*)$')
  local last = recordVersion(key)
  local created
  if token ~= '' then
    -- A token that is not a number refuses its set alone, not the batch.
    created = tonumber(token)
    if created and last and last >= created then created = nil end
  elseif last and last >= now then
    created = last + 1
  else
    created = now
  end
  keys[i] = key
  if created then
    local version = string.format('%.0f', created)
    redis.call('SET', key, 'S1|' .. version .. '|' .. head, 'PX', px)
    redis.call('APPEND', key, ARGV[at + 1])
    out[i] = version
    upTo[i] = string.format('%.0f', created - 1)
  else
    out[i] = '0'
    upTo[i] = ''
  end
end
local times = nil
if least ~= '' then
  local stamp = string.format('%.0f', now)
  local life = tonumber(least)
  times = {}
  for i = 1, n do
    local time = KEYS[n + i]
    local left = redis.call('PTTL', time)
    if left == -1 then redis.call('SET', time, stamp)
    else redis.call('SET', time, stamp, 'PX', math.max(left, life)) end
    times[i] = time
  end
end
if channel ~= '' then
  -- Written in this order (v, s first) so the sender recognizes its own message by its start.
  local message = '{"v":2,"s":' .. cjson.encode(ARGV[4]) .. ',"k":' .. cjson.encode(keys)
    .. ',"u":' .. cjson.encode(upTo)
  if times then message = message .. ',"t":' .. cjson.encode(times) end
  redis.call('PUBLISH', channel, message .. '}')
end
return table.concat(out, ' ')`;
