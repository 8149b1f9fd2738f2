-- GET /bench/slow: a 10 ms query (pg_sleep) through the app's session.
local report = require("report")
setup, init, done = report.setup, report.init, report.done

wrk.path = "/bench/slow"
