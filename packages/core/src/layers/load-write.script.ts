import { RECORD_VERSION } from './redis.scripts.js';

/**
 * A load's write and the release of the lease it loaded under, in one script (both keys on one
 * node). KEYS[1] = the entry, KEYS[2] = the lease; ARGV[1] = the miss token, ARGV[2] = PX,
 * ARGV[3] = the entry without its header prefix, ARGV[4] = the lease holder's token.
 *
 * The write is WRITE_SCRIPT's with a token (header, then the value `APPEND`ed): skipped (0) when
 * the key was deleted or written at or after the token's time, else stored at the token's time,
 * which is returned. The lease is then deleted if it still holds the holder's token (it may have
 * expired and been retaken), whether the write was stored or refused: waiters see the value and the
 * free lease at once. When Redis refuses the `SET` (out of memory), the script fails before the
 * release, and the holder releases the lease with a command of its own.
 */
export const LOAD_WRITE_SCRIPT = `${RECORD_VERSION}
local created = tonumber(ARGV[1])
local last = recordVersion(KEYS[1])
local stored = 0
if not (last and last >= created) then
  redis.call('SET', KEYS[1], 'S1|' .. string.format('%.0f', created) .. '|', 'PX', ARGV[2])
  redis.call('APPEND', KEYS[1], ARGV[3])
  stored = created
end
if redis.call('GET', KEYS[2]) == ARGV[4] then redis.call('DEL', KEYS[2]) end
return stored`;
