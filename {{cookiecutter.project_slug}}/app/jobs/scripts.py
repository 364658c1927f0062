"""The Lua scripts that change a job: each runs atomically inside Redis.

Atomic scripts are what make delivery at-least-once but answers exactly-once: a job may be
run twice (a worker presumed dead was only slow), yet FINISH writes a terminal state only
over a non-terminal one, so the first answer written is the one every client sees.
Times come from Redis's own clock (TIME), one clock for every API and worker host; a
stream entry's id starts with the millisecond it was added, so a job's age needs no field.
"""

# Shared by the scripts below: KEYS[1] is the job's hash, KEYS[2] the stream.
_PRELUDE = """
local function now_s()
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local function is_terminal(status)
  return status == 'done' or status == 'failed' or status == 'expired'
end
local function settle(group, entry)
  redis.call('XACK', KEYS[2], group, entry)
  redis.call('XDEL', KEYS[2], entry)
end
local function finish(status, field, value, ttl)
  redis.call('HSET', KEYS[1], 'status', status, field, value,
             'finished_at', string.format('%.6f', now_s()))
  redis.call('HDEL', KEYS[1], 'rows')  -- kept only while the job may still run
  redis.call('EXPIRE', KEYS[1], ttl)
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

START = """
-- KEYS: job, stream. ARGV: group, entry id, max age ms, max attempts, ttl s, worker.
-- Returns {action, rows, attempts}: action run, or what was done instead.
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  settle(ARGV[1], ARGV[2])  -- the record expired from the store: no one is waiting
  return {'gone'}
end
if is_terminal(status) then
  settle(ARGV[1], ARGV[2])  -- a redelivered copy of a finished job
  return {'duplicate'}
end
local accepted_ms = tonumber(string.match(ARGV[2], '^(%d+)'))
local age_ms = now_s() * 1000 - accepted_ms
if age_ms > tonumber(ARGV[3]) then
  finish('expired', 'error', string.format(
    'not run: accepted %.1f s before a worker took it, more than the maximum age of %.1f s',
    age_ms / 1000, tonumber(ARGV[3]) / 1000), ARGV[5])
  settle(ARGV[1], ARGV[2])
  return {'expired'}
end
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
if attempts > tonumber(ARGV[4]) then
  -- The last attempt never reported back: its worker died while running it.
  local last = redis.call('HGET', KEYS[1], 'error') or 'its worker stopped during the attempt'
  finish('failed', 'error',
    string.format('gave up after %d attempts: %s', attempts - 1, last), ARGV[5])
  settle(ARGV[1], ARGV[2])
  return {'failed'}
end
redis.call('HSET', KEYS[1], 'status', 'running', 'worker', ARGV[6])
return {'run', redis.call('HGET', KEYS[1], 'rows'), attempts}
"""

FINISH = """
-- KEYS: job, stream. ARGV: group, entry id, status, field (result or error), value, ttl s.
-- The first terminal state wins: a later copy of the same job changes nothing.
local status = redis.call('HGET', KEYS[1], 'status')
local written = 0
if status and not is_terminal(status) then
  finish(ARGV[3], ARGV[4], ARGV[5], ARGV[6])
  written = 1
end
settle(ARGV[1], ARGV[2])
return written
"""

RETRY = """
-- KEYS: job, stream. ARGV: error. The entry stays pending: it is claimed again later.
local status = redis.call('HGET', KEYS[1], 'status')
if status and not is_terminal(status) then
  redis.call('HSET', KEYS[1], 'status', 'queued', 'error', ARGV[1])
end
return 0
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
