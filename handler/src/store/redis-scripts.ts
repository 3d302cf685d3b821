/**
 * Lua scripts of the Redis store. Each touches keys of one hash slot only
 * (same hash tag), so they run unchanged on Redis Cluster.
 */

/**
 * KEYS: numbering (hash: n = head seq, e = epoch), log. ARGV: data, exclude ('' for none), maxLen,
 * log ttl, channel, numbering ttl, origin ('' for none), '1' to return the seq of a recent entry of
 * that origin instead of appending, a new epoch (used if this append creates the log).
 * Returns { seq, epoch }. The notification is `<seq>.<epoch>|<exclude>|<data>`.
 */
export const APPEND = `
if ARGV[8] == '1' then
  local recent = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 500)
  for _, e in ipairs(recent) do
    local f = e[2]
    for i = 1, #f, 2 do
      if f[i] == 'o' and f[i + 1] == ARGV[7] then
        return { tonumber(string.match(e[1], '^(%d+)')), redis.call('HGET', KEYS[1], 'e') or '' }
      end
    end
  end
end
local seq = redis.call('HINCRBY', KEYS[1], 'n', 1)
local epoch = ARGV[9]
if seq == 1 then
  -- A new log, or one whose numbering was lost: a new epoch, and no entries of the old one.
  redis.call('HSET', KEYS[1], 'e', epoch)
  redis.call('DEL', KEYS[2])
else
  -- The usual append: one read of the epoch (set now only if a numbering somehow lacks one).
  epoch = redis.call('HGET', KEYS[1], 'e')
  if not epoch then
    epoch = ARGV[9]
    redis.call('HSET', KEYS[1], 'e', epoch)
  end
end
local fields = { 'd', ARGV[1] }
if ARGV[2] ~= '' then table.insert(fields, 'x'); table.insert(fields, ARGV[2]) end
if ARGV[7] ~= '' then table.insert(fields, 'o'); table.insert(fields, ARGV[7]) end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], seq .. '-1', unpack(fields))
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('EXPIRE', KEYS[2], ARGV[4])
redis.call('PUBLISH', ARGV[5], seq .. '.' .. epoch .. '|' .. ARGV[2] .. '|' .. ARGV[1])
return { seq, epoch }
`

/**
 * One log's read, shared by READ and READ_MANY: numbering hash `seq` (n = head, e = epoch, and
 * after a renewal re/rh = the epoch and head it continues), stream `log`. A log whose numbering is
 * gone reads as empty with no epoch (its entries, if any are left, belong to a lost incarnation).
 * `epoch`: the one `after` is in ('' unknown). A cursor beyond the head in the log's own epoch
 * means the log lost entries it had numbered, keeping its epoch (Redis rolled back to an older
 * snapshot, a lagging replica promoted): the log is renewed under `fresh`, so the seqs it numbers
 * again are never taken for the lost ones, unless it was renewed at this very head already (no
 * log of that epoch ever went past it: that cursor was not given out by this log).
 */
const READ_ONE = `
local function readOne(seq, log, after, count, epoch, fresh)
  local h = redis.call('HMGET', seq, 'n', 'e', 're', 'rh')
  if not h[1] then return { 0, 1, {}, '' } end
  local head = tonumber(h[1])
  local e = h[2] or ''
  if epoch ~= '' and epoch == e and tonumber(after) > head and fresh ~= '' and h[4] ~= h[1] then
    redis.call('HSET', seq, 'e', fresh, 're', e, 'rh', head)
    h[3] = e
    h[4] = h[1]
    e = fresh
  end
  local entries = redis.call('XRANGE', log, '(' .. after .. '-1', '+', 'COUNT', count)
  local first = head + 1
  local oldest = redis.call('XRANGE', log, '-', '+', 'COUNT', 1)
  if oldest[1] then first = tonumber(string.match(oldest[1][1], '^(%d+)')) end
  if h[3] then return { head, first, entries, e, h[3], tonumber(h[4]) } end
  return { head, first, entries, e }
end`

/**
 * KEYS: numbering, log. ARGV: after, count, the epoch `after` is in ('' unknown), a new epoch (a
 * renewal's, '' for none). Returns { head, first, entries, epoch[, renewed epoch, renewed head] }.
 * Without its numbering the log does not exist, whatever entries a stream key may still hold.
 */
export const READ = `${READ_ONE}
return readOne(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
`

/**
 * READ for many logs in one call (a stream's direct log and its rooms' logs). Only where every
 * key may be named in one script: a single Redis or Upstash, never a Redis Cluster.
 * KEYS: numbering1, log1, numbering2, log2, ... ARGV: after1, count1, epoch1, new epoch1, after2, ...
 * Returns { {head, first, entries, epoch[, renewed epoch, renewed head]}, ... }.
 */
export const READ_MANY = `${READ_ONE}
local out = {}
for i = 1, #KEYS / 2 do
  local a = 4 * i - 3
  out[i] = readOne(KEYS[2 * i - 1], KEYS[2 * i], ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3])
end
return out
`

/** The store's clock, ms: leases are timed by it, never by an instance's Date.now(). */
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`

/**
 * KEYS: live, ending (one hash tag). ARGV: now, idle cutoff (last seen before it), sids...
 * Refreshes the live index score of the sessions still in it: one call per heartbeat for every
 * stream of an instance. Returns { due, missing... }: due is 1 when a sweep would find work (a
 * live session last seen before the cutoff, or an ending whose lease lapsed), so instances sweep
 * only then; missing are the sids not in the index (ended, ending or gone), for a full TOUCH.
 */
export const KEEP_ALIVE = `
local sids = { unpack(ARGV, 3) }
local scores = redis.call('ZMSCORE', KEYS[1], unpack(sids))
local args, out = {}, { 0 }
for i, sid in ipairs(sids) do
  if scores[i] then
    args[#args + 1] = ARGV[1]
    args[#args + 1] = sid
  else
    out[#out + 1] = sid
  end
end
if #args > 0 then redis.call('ZADD', KEYS[1], 'XX', unpack(args)) end
${NOW}
if #redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[2], 'LIMIT', 0, 1) > 0
  or #redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1) > 0 then out[1] = 1 end
return out
`

/**
 * Per-message claims: the rule of claim-model.ts, in Lua (the model-based test checks both).
 * KEYS: session, claims. ARGV: token, lease ms, ttl, rate limit (0: none), rate window ms, owner,
 * answered (-1: the client did not say), ids...
 * Claim records (claims hash, field = message id): 'r<lease end>:<owner>' running, 's<lease end>:<owner>'
 * running and started (its successor may be claimed), 'd<reply>' done ('d!i' interrupted), 'f' given back.
 * Returns {0} (gone or wrong token) or {1, retryAfterMs, status1, ack1, status2, ack2, ..., session hash}
 * with status 1 fresh, 2 rerun, 3 done (ack = stored reply), 4 running, 5 interrupted, 6 old, 7 deferred,
 * 8 early, and the session's HGETALL after the claim.
 * The token is checked here, so a request without it changes nothing.
 */
export const CLAIM = `
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return {0} end
${NOW}
-- The record's TTL only: its lastSeen is written with the live index (touch), never alone, so a
-- recent lastSeen proves the live index is fresh too (Hub.keepAliveDueSoon relies on it).
if redis.call('HEXISTS', KEYS[1], 'ended') == 0 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
local stored = tonumber(redis.call('HGET', KEYS[1], 'hwm') or '0')
local hwm = stored
local answered = tonumber(ARGV[7])
if answered >= 0 then
  for _, f in ipairs(redis.call('HKEYS', KEYS[2])) do
    if tonumber(f) <= answered then redis.call('HDEL', KEYS[2], f) end
  end
  if answered > hwm then hwm = answered end
elseif tonumber(ARGV[8]) > hwm then
  redis.call('DEL', KEYS[2])
end
local lease = tonumber(ARGV[2])
local limit = tonumber(ARGV[4])
local span = tonumber(ARGV[5])
local window, count, allowed = 0, 0, -1
if limit > 0 then
  window = math.floor(now / span)
  if tonumber(redis.call('HGET', KEYS[1], 'rlw') or '-1') == window then
    count = tonumber(redis.call('HGET', KEYS[1], 'rlc') or '0')
  end
  allowed = math.max(0, limit - count)
end
local out = {1, 0}
local deferred = false
local early = false
local top = hwm
-- the last id claimed by this call: its successor follows it on the same request, in order
local here = -1
local function predecessorStarted(p)
  if p == here then return true end
  local r = redis.call('HGET', KEYS[2], p)
  if not r or string.sub(r, 1, 1) ~= 'r' then return true end
  return tonumber(string.match(r, '^r(%d+)')) <= now
end
for i = 8, #ARGV do
  local id = ARGV[i]
  local r = redis.call('HGET', KEYS[2], id)
  local c = r and string.sub(r, 1, 1) or ''
  local status = 0
  local ack = ''
  if c == 'd' then
    ack = string.sub(r, 2)
    if ack == '!i' then status = 5; ack = '' else status = 3 end
  elseif c == 'r' or c == 's' then
    if tonumber(string.match(r, '^[rs](%d+)')) > now then status = 4 else
      redis.call('HSET', KEYS[2], id, 'd!i')
      status = 5
    end
  else
    if c == 'f' then status = 2 elseif tonumber(id) > hwm then status = 1 else status = 6 end
    if status ~= 6 then
      if deferred or allowed == 0 then
        deferred = true
        status = 7
      elseif status == 1 and answered >= 0 and (early or tonumber(id) ~= top + 1 or not predecessorStarted(tonumber(id) - 1)) then
        early = true
        status = 8
      else
        if limit > 0 then allowed = allowed - 1; count = count + 1 end
        redis.call('HSET', KEYS[2], id, 'r' .. (now + lease) .. ':' .. ARGV[6])
        if tonumber(id) > top then top = tonumber(id) end
        here = tonumber(id)
      end
    end
  end
  out[#out + 1] = status
  out[#out + 1] = ack
end
if top > stored then redis.call('HSET', KEYS[1], 'hwm', top) end
if limit > 0 then
  redis.call('HSET', KEYS[1], 'rlw', window, 'rlc', count)
  if deferred then out[2] = (window + 1) * span - now end
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
-- The session's record rides with the reply: the POST needs no read of its own.
out[#out + 1] = redis.call('HGETALL', KEYS[1])
return out
`

/** KEYS: claims. ARGV: lease ms, owner, ids... Extends the leases the owner holds (started or not). */
export const RENEW = `
${NOW}
for i = 3, #ARGV do
  local r = redis.call('HGET', KEYS[1], ARGV[i])
  if r and string.match(r, '^[rs]%d+:(.*)$') == ARGV[2] then
    redis.call('HSET', KEYS[1], ARGV[i], string.sub(r, 1, 1) .. (now + tonumber(ARGV[1])) .. ':' .. ARGV[2])
  end
end
return 1
`

/**
 * KEYS: claims. ARGV: owner, ids... Marks the owner's running messages started ('r' -> 's', lease
 * kept): their handlers' synchronous parts ran and the writes made there are stored.
 */
export const START = `
for i = 2, #ARGV do
  local r = redis.call('HGET', KEYS[1], ARGV[i])
  if r and string.match(r, '^r%d+:(.*)$') == ARGV[1] then
    redis.call('HSET', KEYS[1], ARGV[i], 's' .. string.sub(r, 2))
  end
end
return 1
`

/**
 * KEYS: claims. ARGV: owner, n (finished count), id1, reply1, ..., idn, replyn, released ids...
 * A message changes only while this owner runs it, or once marked interrupted: a real reply
 * beats INTERRUPTED, and another request's claim is never touched.
 */
export const FINISH = `
local n = tonumber(ARGV[2])
local function ours(id)
  local r = redis.call('HGET', KEYS[1], id)
  return r and (string.match(r, '^[rs]%d+:(.*)$') == ARGV[1] or r == 'd!i')
end
for i = 1, n do
  local id = ARGV[2 * i + 1]
  if ours(id) then redis.call('HSET', KEYS[1], id, 'd' .. ARGV[2 * i + 2]) end
end
for i = 2 * n + 3, #ARGV do
  if ours(ARGV[i]) then redis.call('HSET', KEYS[1], ARGV[i], 'f') end
end
return 1
`

/**
 * KEYS: live, ending (one hash tag). ARGV: sid, lease ms, idle-before ('' for any).
 * Moves a live session (idle, if asked) or a lapsed ending into ending under a lease. 1 for one caller.
 */
export const BEGIN_END = `
${NOW}
local seen = redis.call('ZSCORE', KEYS[1], ARGV[1])
if seen then
  if ARGV[3] ~= '' and tonumber(seen) >= tonumber(ARGV[3]) then return 0 end
  redis.call('ZREM', KEYS[1], ARGV[1])
else
  local lease = redis.call('ZSCORE', KEYS[2], ARGV[1])
  if not lease or tonumber(lease) > now then return 0 end
end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
return 1
`

/** KEYS: live, ending. ARGV: cutoff (last seen before), limit. Idle live sessions and lapsed endings. */
export const IDLE = `
${NOW}
local out = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, ARGV[2])
local more = tonumber(ARGV[2]) - #out
if more > 0 then
  for _, sid in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, more)) do out[#out + 1] = sid end
end
return out
`

/** KEYS: live, ending. ARGV: sid, now. An ended session becomes live again: 1 for one caller. */
export const REVIVE = `
if redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
return redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1])
`

/**
 * KEYS: session, direct numbering, direct log, claims. ARGV: reason, recover ms.
 * Keeps the session's keys for recovery, marked ended, or deletes them.
 */
export const FINISH_END = `
if tonumber(ARGV[2]) > 0 and redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'ended', ARGV[1])
  redis.call('HDEL', KEYS[1], 'dc', 'ending')
  for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
else
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
end
return 1
`

/** KEYS: session, claims. ARGV: ttl. An ended session revived: unmark it and give its keys the session TTL again. */
export const UNEND = `
redis.call('HDEL', KEYS[1], 'ended', 'dc', 'ending')
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[1])
return 1
`

/** KEYS: session. ARGV: field, value. Sets a field on an existing session (ended or not), TTL unchanged. */
export const MARK = `
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 1
`

/** KEYS: session. ARGV: ttl, field, value, ... Sets fields only on a live session. */
export const SET_IF_LIVE = `
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[1], 'ended') == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
`

/** KEYS: session, direct numbering, direct log. ARGV: now, ttl, transport ('' keeps it). 1 touched, 0 gone, 2 ended. */
export const TOUCH = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HEXISTS', KEYS[1], 'ended') == 1 then return 2 end
if ARGV[3] == '' then
  redis.call('HSET', KEYS[1], 'lastSeen', ARGV[1])
else
  redis.call('HSET', KEYS[1], 'lastSeen', ARGV[1], 'transport', ARGV[3])
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
redis.call('EXPIRE', KEYS[3], ARGV[2])
return 1
`

/**
 * KEYS: members, numbering. ARGV: sid, 1 to join / 0 to leave, member-set ttl (seconds; joins only).
 * Returns the room log's head seq and epoch ('' while the log does not exist). A member set expires unless joins (or member reads) keep it:
 * members whose session vanished without an ending are not kept forever.
 */
export const MEMBERSHIP = `
if ARGV[2] == '1' then
  redis.call('SADD', KEYS[1], ARGV[1])
  if redis.call('TTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
else
  redis.call('SREM', KEYS[1], ARGV[1])
end
local h = redis.call('HMGET', KEYS[2], 'n', 'e')
return { tonumber(h[1] or '0'), h[2] or '' }
`

/**
 * A join's first step, on the session: KEYS: session. ARGV: 'r:<room>', max rooms (0: none), ttl.
 * Reserves the room in the record ('p': pending, not yet a room of the record) unless the session is gone, ended or ending (-1) or already in
 * roomsPerSession rooms (-2, counted in field nr); 1 once reserved (or already a member). Being
 * atomic here, concurrent joins of one session cannot overshoot the bound or outlive its end.
 */
export const JOIN = `
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[1], 'ended') == 1 or redis.call('HEXISTS', KEYS[1], 'ending') == 1 then return -1 end
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 1 end
local max = tonumber(ARGV[2])
if max > 0 and tonumber(redis.call('HGET', KEYS[1], 'nr') or '0') >= max then return -2 end
redis.call('HSET', KEYS[1], ARGV[1], 'p')
redis.call('HINCRBY', KEYS[1], 'nr', 1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
`

/**
 * A join's last step: KEYS: session. ARGV: 'r:<room>', where: `<head seq>` or `<head seq>.<epoch>`
 * (redis-keys.ts joinField). Records where the session joined,
 * only while it is neither ended nor ending (an ending that began meanwhile wins): 1, else 0.
 */
export const JOINED = `
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[1], 'ended') == 1 or redis.call('HEXISTS', KEYS[1], 'ending') == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`

/** KEYS: session. ARGV: 'r:<room>'. Takes the room out of the record and its count. */
export const LEAVE = `
if redis.call('HDEL', KEYS[1], ARGV[1]) == 1 then redis.call('HINCRBY', KEYS[1], 'nr', -1) end
return 1
`

/**
 * A connect's admission. KEYS: live, the address's counter (one hash tag). ARGV: max live sessions
 * (0: none), connects per window from the address (0: none), window ms.
 * Returns 0 admitted (counted), -1 too many live sessions, or the ms until the address may connect.
 * A refusal counts nothing.
 */
export const ADMIT = `
local max = tonumber(ARGV[1])
if max > 0 and redis.call('ZCARD', KEYS[1]) >= max then return -1 end
local per = tonumber(ARGV[2])
if per > 0 then
  local n = tonumber(redis.call('GET', KEYS[2]) or '0')
  if n >= per then return math.max(1, redis.call('PTTL', KEYS[2])) end
  if redis.call('INCR', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
end
return 0
`
