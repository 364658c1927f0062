"""The Lua scripts that change a job: each runs atomically inside Redis.

Atomic scripts are what make delivery at-least-once but answers exactly-once: a job may be
run twice (a worker presumed dead was only slow), yet SETTLE writes a terminal state only
over a non-terminal one, so the first answer written is the one every client sees.
Times come from Redis's own clock (TIME), one clock for every API and worker host; a
stream entry's id starts with the millisecond it was added, so a job's age needs no field.
"""

# Shared by the scripts below.
_PRELUDE = """
local function now_s()
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local function is_terminal(status)
  return status == 'done' or status == 'failed' or status == 'expired'
end
local function settle(stream, group, entry)
  redis.call('XACK', stream, group, entry)
  redis.call('XDEL', stream, entry)
end
local function finish(job, status, field, value, ttl)
  redis.call('HSET', job, 'status', status, field, value,
             'finished_at', string.format('%.6f', now_s()))
  redis.call('HDEL', job, 'rows')  -- kept only while the job may still run
  redis.call('EXPIRE', job, ttl)
end
"""

ENQUEUE = """
-- KEYS: job, stream. ARGV: job id, rows JSON, ttl s, max queue length.
if redis.call('XLEN', KEYS[2]) >= tonumber(ARGV[4]) then
  return 0
end
redis.call('HSET', KEYS[1], 'status', 'queued', 'rows', ARGV[2], 'attempts', 0,
           'created_at', string.format('%.6f', now_s()))
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('XADD', KEYS[2], '*', 'job', ARGV[1])
return 1
"""

# One call per batch, not per job: a script call costs more than the few commands inside.
START = """
-- KEYS: stream, then each entry's job hash. ARGV: group, max age ms, max attempts, ttl s,
-- worker, then the entry ids in the order of the job keys.
-- Returns per entry {action, rows, attempts}: action run, or what was done instead.
local stream, group = KEYS[1], ARGV[1]
local max_age_ms, max_attempts, ttl, worker = tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5]

local function start(job, entry)
  local status = redis.call('HGET', job, 'status')
  if not status then
    settle(stream, group, entry)  -- the record expired from the store: no one is waiting
    return {'gone'}
  end
  if is_terminal(status) then
    settle(stream, group, entry)  -- a redelivered copy of a finished job
    return {'duplicate'}
  end
  local accepted_ms = tonumber(string.match(entry, '^(%d+)'))
  local age_ms = now_s() * 1000 - accepted_ms
  if age_ms > max_age_ms then
    finish(job, 'expired', 'error', string.format(
      'not run: accepted %.1f s before a worker took it, more than the maximum age of %.1f s',
      age_ms / 1000, max_age_ms / 1000), ttl)
    settle(stream, group, entry)
    return {'expired'}
  end
  local attempts = redis.call('HINCRBY', job, 'attempts', 1)
  if attempts > max_attempts then
    -- The last attempt never reported back: its worker died while running it.
    local last = redis.call('HGET', job, 'error') or 'its worker stopped during the attempt'
    finish(job, 'failed', 'error',
      string.format('gave up after %d attempts: %s', attempts - 1, last), ttl)
    settle(stream, group, entry)
    return {'failed'}
  end
  redis.call('HSET', job, 'status', 'running', 'worker', worker)
  return {'run', redis.call('HGET', job, 'rows'), attempts}
end

local answers = {}
for i = 2, #KEYS do
  answers[i - 1] = start(KEYS[i], ARGV[i + 4])
end
return answers
"""

SETTLE = """
-- KEYS: stream, then each job hash. ARGV: group, ttl s, then per job: entry id, outcome
-- (done, failed or retry), value (the result, or the error).
-- done/failed: the first terminal state wins, a later copy of the same job changes nothing;
-- the entry is acknowledged either way. retry: the entry stays pending, claimed again later.
-- Returns how many terminal states were written.
local stream, group, ttl = KEYS[1], ARGV[1], ARGV[2]
local written = 0
for i = 2, #KEYS do
  local job, at = KEYS[i], 3 * (i - 2) + 3
  local entry, outcome, value = ARGV[at], ARGV[at + 1], ARGV[at + 2]
  local status = redis.call('HGET', job, 'status')
  local open = status and not is_terminal(status)
  if outcome == 'retry' then
    if open then
      redis.call('HSET', job, 'status', 'queued', 'error', value)
    end
  else
    if open then
      finish(job, outcome, outcome == 'done' and 'result' or 'error', value, ttl)
      written = written + 1
    end
    settle(stream, group, entry)
  end
end
return written
"""


HOLD_LEASE = """
-- KEYS: lease. ARGV: worker, ttl ms. 1 when the caller holds the lease (taken or renewed).
local holder = redis.call('GET', KEYS[1])
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""

RELEASE_LEASE = """
-- KEYS: lease. ARGV: worker. Hands the lease back at once, so a standby need not wait.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def job_script(body: str) -> str:
    """A job script with the shared functions in front."""
    return _PRELUDE + body
