-- Shared by every scenario script: a per-thread random seed, and a done() that prints one
-- JSON line so the kit never parses wrk's human-readable summary.
local report = {}

local thread_count = 0

-- Runs in the main Lua state once per wrk thread, before the threads start: give each thread
-- its own seed, or both threads would request the same "random" sequence.
function report.setup(thread)
   thread_count = thread_count + 1
   thread:set("seed", os.time() * 100 + thread_count)
end

function report.init()
   math.randomseed(seed)
end

-- Latencies are in microseconds, duration too; wrk counts HTTP statuses above 399 as
-- errors.status (there are no 3xx responses in these scenarios).
function report.done(summary, latency, _requests)
   local e = summary.errors
   io.write(string.format(
      '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, '
         .. '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d}}\n',
      summary.requests, summary.duration,
      latency:percentile(50), latency:percentile(99), latency.max,
      e.connect, e.read, e.write, e.timeout, e.status))
end

return report
