-- GET /bench/layers/connection-select-1: one statement through a Core connection instead of
-- the session, for bench.ceiling (bench/apps/service.py).
local report = require("report")
setup, init, done = report.setup, report.init, report.done

wrk.path = "/bench/layers/connection-select-1"
