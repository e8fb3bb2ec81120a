// The Lua scripts of the worker store. Each runs atomically in Redis; every change to a partition is fenced: it
// happens only if the partition's owner key still holds the caller's token (`<instance>#<fence>`).

/** Redis's own clock in ms (one clock for every expiry, whatever the hosts' clocks say). */
const NOW = `local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * Append updates. KEYS: one stream per update. ARGV: channel, poller hash key, instance, then per update: update_id,
 * ordering key, JSON. The entry id is `<update_id>-0`: Redis refuses an id at or below the stream's last one, so an
 * update appended twice (a poller died between append and confirm, or a frozen poller woke up) is stored once.
 * Returns the number appended; PUBLISHes `a <partition keys…>` so owners wake up.
 */
export const APPEND = `
local added = 0
local touched = {}
local maxId = 0
for i = 1, #KEYS do
  local base = 3 + (i - 1) * 3
  local id = ARGV[base + 1]
  local ok = pcall(redis.call, 'XADD', KEYS[i], id .. '-0', 'k', ARGV[base + 2], 'u', ARGV[base + 3])
  if ok then
    added = added + 1
    touched[KEYS[i]] = true
  end
  if tonumber(id) > maxId then maxId = tonumber(id) end
end
${NOW}
redis.call('HSET', ARGV[2], 'instance', ARGV[3], 'lastUpdateId', maxId, 'at', now)
redis.call('HINCRBY', ARGV[2], 'appended', added)
if added > 0 then
  local list = {}
  for k in pairs(touched) do list[#list + 1] = k end
  redis.call('PUBLISH', ARGV[1], 'a ' .. table.concat(list, ' '))
end
return added
`;

/**
 * One heartbeat. KEYS[1] members (zset: instance → expiry ms), KEYS[2] poller hash, then per partition: owner key,
 * stream. ARGV: instance, ttl ms, join (1: stay a member, 0: only read), then per partition the caller's token or ''.
 * Renews the caller's membership and its partitions (only those still holding its token), drops expired members.
 * Returns {members…}, {owner per partition}, {entries per partition}, poller hash fields.
 */
export const TICK = `
${NOW}
local ttl = tonumber(ARGV[2])
local joined = false
if ARGV[3] == '1' then
  joined = redis.call('ZADD', KEYS[1], now + ttl, ARGV[1]) == 1
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
local owners = {}
local lags = {}
local n = (#KEYS - 2) / 2
for p = 1, n do
  local ok = KEYS[2 + (p - 1) * 2 + 1]
  local cur = redis.call('GET', ok)
  local mine = ARGV[3 + p]
  if cur and mine ~= '' and cur == mine then redis.call('PEXPIRE', ok, ttl) end
  owners[p] = cur or ''
  lags[p] = redis.call('XLEN', KEYS[2 + (p - 1) * 2 + 2])
end
return {members, owners, lags, redis.call('HGETALL', KEYS[2]), joined and 1 or 0}
`;

/**
 * Take a free partition. KEYS[1] owner key, KEYS[2] fence counter. ARGV: instance, ttl ms.
 * Returns {1, token} when taken, {0, current owner} when someone holds it.
 */
export const CLAIM = `
local cur = redis.call('GET', KEYS[1])
if cur then return {0, cur} end
local token = ARGV[1] .. '#' .. redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token, 'PX', ARGV[2])
return {1, token}
`;

/** Give a partition back. KEYS[1] owner key. ARGV: token, channel. Returns 1 if it was ours. */
export const RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], 'r')
return 1
`;

/**
 * Read the next updates of owned partitions for one getUpdates. KEYS per partition: owner key, stream, delivered hash.
 * ARGV: limit, scan (entries looked at per partition), then per partition its token. Per partition: the first entry
 * of each ordering key only (a chat's next update waits until the previous one is acknowledged), fenced on the token;
 * each entry's delivery count goes up (a count above 0 before = a redelivery). Returns per partition
 * {1, {id, key, json, timesDeliveredBefore}…} or {0} when the partition is no longer ours.
 */
export const READ = `
local limit = tonumber(ARGV[1])
local scan = tonumber(ARGV[2])
local out = {}
local taken = 0
local n = #KEYS / 3
for p = 1, n do
  local ok, stream, hk = KEYS[(p - 1) * 3 + 1], KEYS[(p - 1) * 3 + 2], KEYS[(p - 1) * 3 + 3]
  if redis.call('GET', ok) ~= ARGV[2 + p] then
    out[p] = {0}
  else
    local picked = {}
    if taken < limit then
      local seen = {}
      local entries = redis.call('XRANGE', stream, '-', '+', 'COUNT', scan)
      for _, e in ipairs(entries) do
        if taken >= limit then break end
        local f = e[2]
        local key, json = '', ''
        for j = 1, #f, 2 do
          if f[j] == 'k' then key = f[j + 1] elseif f[j] == 'u' then json = f[j + 1] end
        end
        if not seen[key] then
          seen[key] = true
          local before = redis.call('HINCRBY', hk, e[1], 1) - 1
          picked[#picked + 1] = {e[1], key, json, before}
          taken = taken + 1
        end
      end
    end
    out[p] = {1, picked}
  end
end
return out
`;

/**
 * Acknowledge updates the bot confirmed: delete them from the partition. KEYS: owner key, stream, delivered hash.
 * ARGV: token, entry ids. Returns the number deleted, or -1 when the partition is no longer ours (fenced: the new
 * owner delivers them again).
 */
export const ACK = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local ids = {}
for i = 2, #ARGV do ids[#ids + 1] = ARGV[i] end
redis.call('HDEL', KEYS[3], unpack(ids))
return redis.call('XDEL', KEYS[2], unpack(ids))
`;

/** Leave: KEYS[1] members. ARGV: instance, channel. */
export const LEAVE = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[2], 'm')
return 1
`;

/**
 * The partition count is fixed per bot: the first instance records it, later ones must agree (a different count would
 * move chats to other partitions and break their order). KEYS[1] meta hash. ARGV: partitions. Returns the recorded count.
 */
export const PARTITIONS = `
redis.call('HSETNX', KEYS[1], 'partitions', ARGV[1])
return tonumber(redis.call('HGET', KEYS[1], 'partitions'))
`;
