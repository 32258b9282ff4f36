import { NOW, RECORD_VERSION } from '../layers/redis.scripts.js';

/**
 * What a miss needs before its loader runs, in one script: the write token (as `NOW_SCRIPT`), the
 * key's load lease, and the re-check of the entry that follows taking the lease.
 *
 * KEYS[1] = the entry; KEYS[2] = the lease when ARGV[2] is not '' (it then shares the entry's
 * node); the KEYS after them = tag and namespace time keys to read with a changed record.
 * ARGV[1] = the version of the record the miss read saw ('' for none; '-': compare nothing, for a
 * load that must run although an entry exists); ARGV[2] = the lease holder's token ('' for no
 * lease); ARGV[3] = the lease's PX.
 *
 * The token is Redis `TIME`, or, when the key changed since the miss read (a newer record, or one
 * where there was none), that record's version, so the write that follows is refused (see
 * NOW_SCRIPT). The lease is `SET NX PX`, called with `redis.pcall`: when Redis is out of memory
 * (`maxmemory` with `noeviction`) it refuses the `SET`, as the first write of a script, and the
 * script still answers: the token, and the lease unavailable (the caller loads without it, and
 * degrades rather than fails). Any other refusal of the `SET` (a read-only replica) is returned
 * with the token (lease 4, then the error), for the caller to report as the lease's failure.
 *
 * Returns `{token, lease}` with lease 0 = unavailable (out of memory), 1 = acquired, 2 = held by
 * another holder, 3 = not asked, 4 = refused (then the error); when the key changed since the miss read, also the record and the
 * times of the tag keys given (`false`, a nil reply, for a time not set), so the caller may use
 * that entry instead of loading. Reading the record after taking the lease finds every value
 * stored by the lease's previous holder, which stored before releasing it.
 */
export const MISS_LEASE_SCRIPT = `${NOW}
${RECORD_VERSION}
local token = now
local changed = false
if ARGV[1] ~= '-' then
  local last = recordVersion(KEYS[1])
  if last and (ARGV[1] == '' or last > tonumber(ARGV[1])) then
    token = last
    changed = true
  end
end
local lease = 3
local firstTag = 2
if ARGV[2] ~= '' then
  firstTag = 3
  local taken = redis.pcall('SET', KEYS[2], ARGV[2], 'PX', ARGV[3], 'NX')
  if type(taken) == 'table' and taken.err then
    if not string.find(taken.err, 'OOM', 1, true) then return {token, 4, taken.err} end
    lease = 0
  elseif taken then
    lease = 1
  else
    lease = 2
  end
end
if not changed then return {token, lease} end
local record = redis.pcall('GET', KEYS[1])
if type(record) ~= 'string' then return {token, lease} end
local reply = {token, lease, record}
if firstTag <= #KEYS then
  local times = redis.call('MGET', unpack(KEYS, firstTag))
  for i = 1, #times do reply[#reply + 1] = times[i] end
end
return reply`;
