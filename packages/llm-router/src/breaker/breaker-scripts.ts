/**
 * Lua scripts behind the Redis circuit breaker. Each breaker decision is one script call, so it is atomic
 * across every process sharing the key, and it reads the clock with `TIME` on the Redis server so that
 * processes with skewed clocks agree on when a cooldown ends.
 *
 * Hash `KEYS[1]` fields: `state` (`closed` | `open` | `half-open`; a missing key is closed with zero counts),
 * `consecutiveFailures`, `openCount`, `openUntil` (epoch ms), `probeToken`, `probeUntil` (epoch ms).
 *
 * Every script replies `{from, to, consecutiveFailures, openCount, openUntil, ...}` so the client can report
 * a transition with a snapshot without a second round trip.
 */

// Shared helpers, prepended to the scripts that need them. `%d` keeps epoch ms integral when written back,
// whatever number formatting the Redis version uses for Lua numbers.
const PRELUDE = `
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function int(n)
  return string.format('%d', n)
end
-- Keep the key until its timers have run out, plus the idle TTL, so dead keys do not pile up.
local function keep(key, untilMs, now, idleTtl)
  local rest = untilMs - now
  if rest < 0 then rest = 0 end
  redis.call('PEXPIRE', key, int(rest + idleTtl))
end
`;

/**
 * ARGV: token, probeLeaseMs, idleTtlMs.
 * Reply adds `verdict` (0 denied, 1 allowed, 2 allowed as the probe) and `retryAt` (epoch ms, when denied).
 * The closed path reads one hash and skips `TIME`, since it is on every request's hot path.
 */
export const ACQUIRE_LUA = `${PRELUDE}
local key = KEYS[1]
local h = redis.call('HMGET', key, 'state', 'openUntil', 'probeUntil', 'consecutiveFailures', 'openCount')
local state = h[1]
local cf = tonumber(h[4]) or 0
local oc = tonumber(h[5]) or 0
if state ~= 'open' and state ~= 'half-open' then
  return {'closed', 'closed', cf, oc, 0, 1, 0}
end
local now = nowMs()
local openUntil = tonumber(h[2]) or 0
if state == 'open' then
  if now < openUntil then
    return {'open', 'open', cf, oc, openUntil, 0, openUntil}
  end
else
  local probeUntil = tonumber(h[3]) or 0
  if now < probeUntil then
    return {'half-open', 'half-open', cf, oc, openUntil, 0, probeUntil}
  end
end
-- The cooldown is over (or the previous prober's lease ran out or was released): this caller probes.
local lease = now + tonumber(ARGV[2])
redis.call('HSET', key, 'state', 'half-open', 'probeToken', ARGV[1], 'probeUntil', int(lease))
keep(key, lease, now, tonumber(ARGV[3]))
return {state, 'half-open', cf, oc, openUntil, 2, 0}
`;

/**
 * ARGV: token.
 * Closes on a success while closed, or on the current probe's success; anything else (a late success of a
 * call admitted before the breaker opened) leaves the state alone, because only the probe decides.
 * Closing deletes the hash: a missing key reads as closed with zero counts.
 */
export const SUCCESS_LUA = `
local key = KEYS[1]
local h = redis.call('HMGET', key, 'state', 'probeToken', 'consecutiveFailures', 'openCount', 'openUntil')
local state = h[1]
if state ~= 'open' and state ~= 'half-open' then
  if state then redis.call('DEL', key) end
  return {'closed', 'closed', 0, 0, 0}
end
if state == 'half-open' and h[2] == ARGV[1] then
  redis.call('DEL', key)
  return {'half-open', 'closed', 0, 0, 0}
end
return {state, state, tonumber(h[3]) or 0, tonumber(h[4]) or 0, tonumber(h[5]) or 0}
`;

/**
 * ARGV: token, rateLimited ('1' | '0'), retryAfterMs ('' for none), random in [0, 1], failureThreshold,
 * baseCooldownMs, maxCooldownMs, jitter, idleTtlMs.
 *
 * - closed: counts the failure; opens on a rate limit or at the threshold.
 * - half-open: the probe's failure re-opens with the next, longer backoff; other callers' failures are
 *   ignored (they were admitted before the cooldown ended, so the probe's verdict is newer).
 * - open: a server hint may extend the cooldown; nothing else changes (in-flight failures of calls admitted
 *   before the breaker opened must not inflate the backoff exponent).
 * openUntil only ever grows.
 */
export const FAILURE_LUA = `${PRELUDE}
local key = KEYS[1]
local h = redis.call('HMGET', key, 'state', 'probeToken', 'consecutiveFailures', 'openCount', 'openUntil')
local state = h[1]
if state ~= 'open' and state ~= 'half-open' then state = 'closed' end
local cf = tonumber(h[3]) or 0
local oc = tonumber(h[4]) or 0
local openUntil = tonumber(h[5]) or 0
local hint = tonumber(ARGV[3])
local idleTtl = tonumber(ARGV[9])

if state == 'half-open' and h[2] ~= ARGV[1] then
  return {state, state, cf, oc, openUntil}
end

local now = nowMs()
if state == 'open' then
  if hint and now + hint > openUntil then
    openUntil = now + hint
    redis.call('HSET', key, 'openUntil', int(openUntil))
    keep(key, openUntil, now, idleTtl)
  end
  return {'open', 'open', cf, oc, openUntil}
end

cf = cf + 1
if state == 'closed' and ARGV[2] ~= '1' and cf < tonumber(ARGV[5]) then
  redis.call('HSET', key, 'state', 'closed', 'consecutiveFailures', cf)
  redis.call('PEXPIRE', key, int(idleTtl))
  return {'closed', 'closed', cf, oc, 0}
end

oc = oc + 1
local jitter = tonumber(ARGV[8])
-- The exponent is bounded so that 2^n stays finite however long a provider stays down.
local backoff = math.min(tonumber(ARGV[7]), tonumber(ARGV[6]) * 2 ^ math.min(oc - 1, 60))
backoff = backoff * (1 - jitter + 2 * jitter * tonumber(ARGV[4]))
-- Rounded to the nearest ms (the hint is already whole): ceil would turn float noise such as 1200.0000000002 into 1201.
local cooldown = math.max(hint or 0, math.floor(backoff + 0.5))
openUntil = math.max(openUntil, now + cooldown)
redis.call('HSET', key, 'state', 'open', 'consecutiveFailures', cf, 'openCount', oc, 'openUntil', int(openUntil))
redis.call('HDEL', key, 'probeToken', 'probeUntil')
keep(key, openUntil, now, idleTtl)
return {state, 'open', cf, oc, openUntil}
`;

/** ARGV: token. Frees the probe slot when the caller holds it; replies 1 if it did, else 0. */
export const RELEASE_LUA = `
if redis.call('HGET', KEYS[1], 'probeToken') == ARGV[1] then
  redis.call('HDEL', KEYS[1], 'probeToken', 'probeUntil')
  return 1
end
return 0
`;
