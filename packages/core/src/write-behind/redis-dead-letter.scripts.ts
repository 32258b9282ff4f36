/**
 * Re-drive a dead letter: journal its write again, atomically with removing it, so that of two
 * instances re-driving the same dead letter exactly one journals it (the other finds it gone).
 * KEYS: dead, stream, pending, inflight, clock (one partition). ARGV: [1] the dead letter's
 * stream id.
 *
 * - A set or delete keeps its version: a versioned writer then ignores it if the database holds
 *   something newer. A newer set or delete of the key still unflushed makes it moot: removed,
 *   `SUPERSEDED`. A pending increment (none in flight) is folded into it as the append script
 *   folds deltas (a delete restarts the count, an integer value moves), at the pending version;
 *   an increment in flight, or a value that is not an integer, is `CONFLICT` (nothing changes).
 * - An increment gets a new version from the partition clock (a versioned writer applies a delta
 *   once per version, so its old version could be below one already applied) or, with a pending
 *   increment, is added to it; a pending set or delete is newer and makes it moot.
 *
 * An unreadable unflushed record of the key (set aside by the next flush) is `CONFLICT` too.
 *
 * A re-queued record's stream entry carries `x` = `1`: the flusher evicts the key's cache entry
 * once it is delivered (the database may have kept a newer value). Returns `REQUEUED`,
 * `SUPERSEDED`, `CONFLICT <reason>`, `UNREADABLE` or `GONE`.
 */
export const REDRIVE_SCRIPT = `local function fmt(n) return string.format('%.0f', n) end
local dead, stream, pending, inflight, clock = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local found = redis.call('XRANGE', dead, ARGV[1], ARGV[1])
if #found == 0 then return 'GONE' end
local f = {}
local list = found[1][2]
for i = 1, #list, 2 do f[list[i]] = list[i + 1] end
local key, v, r = f['k'], f['v'], f['r']
if not key or key == '' or not v or not string.match(v, '^%d+$') or not r then return 'UNREADABLE' end
local kind, payload = string.match(r, '^([sdi])|(.*)$')
if not kind then return 'UNREADABLE' end
local delta = nil
if kind == 'i' then
  delta = tonumber(payload)
  if not delta or not string.match(payload, '^%-?%d+$') then return 'UNREADABLE' end
end
local p = redis.call('HGET', pending, key)
local q = redis.call('HGET', inflight, key)
local pv, pk, pp = nil, nil, nil
if p then pv, pk, pp = string.match(p, '^(%d+)|(%a)|(.*)$') end
local qk = nil
if q then qk = string.match(q, '^%d+|(%a)|') end
-- An unreadable record of the key is dead-lettered by the next flush; it supersedes nothing.
if (p and not pv) or (q and not qk) then return 'CONFLICT the key has an unreadable unflushed record (retry after the flush)' end
local record, version = nil, nil
if kind == 'i' then
  if p and pk ~= 'i' then redis.call('XDEL', dead, ARGV[1]) return 'SUPERSEDED' end
  if p then
    record, version = pv .. '|i|' .. fmt(tonumber(pp) + delta), pv
  else
    local t = redis.call('TIME')
    local now = math.floor((tonumber(t[1]) * 1000000 + tonumber(t[2])) / 1000) * 1024
    local last = tonumber(redis.call('GET', clock) or '0')
    if now <= last then now = last + 1 end
    redis.call('SET', clock, fmt(now))
    version = fmt(now)
    record = version .. '|i|' .. payload
  end
else
  if (p and pk ~= 'i') or (not p and q and qk ~= 'i') then redis.call('XDEL', dead, ARGV[1]) return 'SUPERSEDED' end
  if q and qk == 'i' then return 'CONFLICT increments of the key are being delivered' end
  if p then
    local base = nil
    if kind == 'd' then base = 0 else base = tonumber(string.match(payload, '^j(%-?%d+)$')) end
    if not base then return 'CONFLICT the key has pending increments and the value is not an integer' end
    record, version = pv .. '|s|j' .. fmt(base + tonumber(pp)), pv
  else
    record, version = v .. '|' .. r, v
  end
end
redis.call('HSET', pending, key, record)
if not p then redis.call('XADD', stream, '*', 'k', key, 'v', version, 'x', '1') end
redis.call('XDEL', dead, ARGV[1])
return 'REQUEUED'`;
