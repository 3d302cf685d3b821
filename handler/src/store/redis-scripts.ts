/**
 * Lua scripts of the Redis store. Each touches keys of one hash slot only
 * (same hash tag), so they run unchanged on Redis Cluster.
 */

/**
 * KEYS: seq, log. ARGV: data, exclude ('' for none), maxLen, log ttl, channel, seq ttl,
 * origin ('' for none), '1' to return the seq of a recent entry of that origin instead of appending.
 * Returns the seq.
 */
export const APPEND = `
if ARGV[8] == '1' then
  local recent = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 500)
  for _, e in ipairs(recent) do
    local f = e[2]
    for i = 1, #f, 2 do
      if f[i] == 'o' and f[i + 1] == ARGV[7] then return tonumber(string.match(e[1], '^(%d+)')) end
    end
  end
end
local seq = redis.call('INCR', KEYS[1])
local fields = { 'd', ARGV[1] }
if ARGV[2] ~= '' then table.insert(fields, 'x'); table.insert(fields, ARGV[2]) end
if ARGV[7] ~= '' then table.insert(fields, 'o'); table.insert(fields, ARGV[7]) end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], seq .. '-1', unpack(fields))
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('EXPIRE', KEYS[2], ARGV[4])
redis.call('PUBLISH', ARGV[5], seq .. '|' .. ARGV[2] .. '|' .. ARGV[1])
return seq
`

/** KEYS: seq, log. ARGV: after, count. Returns { head, first, entries }. */
export const READ = `
local head = tonumber(redis.call('GET', KEYS[1]) or '0')
local entries = redis.call('XRANGE', KEYS[2], '(' .. ARGV[1] .. '-1', '+', 'COUNT', ARGV[2])
local first = head + 1
local oldest = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)
if oldest[1] then first = tonumber(string.match(oldest[1][1], '^(%d+)')) end
return { head, first, entries }
`

/**
 * KEYS: session. ARGV: batch key (ids joined by ','), max id, now, ttl, staleAfter ms,
 * rate limit (0: none), rate window ms, session token.
 * Returns {0} gone or wrong token | {1} fresh, with the previous high-water mark | {2, acks} replay |
 * {3} stale claim: interrupted | {4} pending | {5} old duplicate | {6, ms} rate limited.
 * The token is checked here, so a request without it cannot move the high-water mark.
 */
export const CLAIM = `
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[8] then return {0} end
redis.call('HSET', KEYS[1], 'lastSeen', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
local hwm = tonumber(redis.call('HGET', KEYS[1], 'hwm') or '0')
local now = tonumber(ARGV[3])
local limit = tonumber(ARGV[6])
if tonumber(ARGV[2]) > hwm and limit > 0 then
  local span = tonumber(ARGV[7])
  local window = math.floor(now / span)
  local count = 0
  if tonumber(redis.call('HGET', KEYS[1], 'rlw') or '-1') == window then
    count = tonumber(redis.call('HGET', KEYS[1], 'rlc') or '0')
  end
  local fresh = 0
  for id in string.gmatch(ARGV[1], '%d+') do
    if tonumber(id) > hwm then fresh = fresh + 1 end
  end
  if count > 0 and count + fresh > limit then return {6, (window + 1) * span - now} end
  redis.call('HSET', KEYS[1], 'rlw', window, 'rlc', count + fresh)
end
if tonumber(ARGV[2]) > hwm then
  local rerun = 0
  if redis.call('HGET', KEYS[1], 'brel') == ARGV[1] then rerun = 1 end
  redis.call('HSET', KEYS[1], 'hwm', ARGV[2], 'bkey', ARGV[1], 'bat', ARGV[3], 'bprev', hwm)
  redis.call('HDEL', KEYS[1], 'backs', 'brel')
  return {1, hwm, rerun}
end
if redis.call('HGET', KEYS[1], 'bkey') == ARGV[1] then
  local acks = redis.call('HGET', KEYS[1], 'backs')
  if acks then return {2, acks} end
  if tonumber(ARGV[3]) - tonumber(redis.call('HGET', KEYS[1], 'bat') or '0') > tonumber(ARGV[5]) then
    redis.call('HSET', KEYS[1], 'bat', ARGV[3])
    return {3}
  end
  return {4}
end
return {5}
`

/** KEYS: session. ARGV: batch key, acks. */
export const FINISH = `
if redis.call('HGET', KEYS[1], 'bkey') == ARGV[1] then redis.call('HSET', KEYS[1], 'backs', ARGV[2]) end
return 1
`

/** KEYS: session. ARGV: batch key. Gives an unfinished claim back. */
export const RELEASE = `
if redis.call('HGET', KEYS[1], 'bkey') == ARGV[1] and not redis.call('HGET', KEYS[1], 'backs') then
  redis.call('HSET', KEYS[1], 'hwm', redis.call('HGET', KEYS[1], 'bprev') or '0', 'brel', ARGV[1])
  redis.call('HDEL', KEYS[1], 'bkey')
end
return 1
`

/** KEYS: session. ARGV: ttl, field, value, ... Sets fields only on a live session. */
export const SET_IF_LIVE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
`

/** KEYS: session, direct seq, direct log. ARGV: now, ttl, transport ('' keeps it). */
export const TOUCH = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
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

/** KEYS: members, seq. ARGV: sid, 1 to join / 0 to leave. Returns the room log's head seq. */
export const MEMBERSHIP = `
if ARGV[2] == '1' then redis.call('SADD', KEYS[1], ARGV[1]) else redis.call('SREM', KEYS[1], ARGV[1]) end
return tonumber(redis.call('GET', KEYS[2]) or '0')
`
