-- GET /bench/layers/route: one layer of a read, for bench.ceiling (bench/apps/service.py).
local report = require("report")
setup, init, done = report.setup, report.init, report.done

wrk.path = "/bench/layers/route"
