-- GET /bench/layers/write-select-1: the writing session's transaction around one statement,
-- for bench.ceiling (bench/apps/service.py).
local report = require("report")
setup, init, done = report.setup, report.init, report.done

wrk.path = "/bench/layers/write-select-1"
