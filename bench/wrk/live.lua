-- GET /health/live: the framework alone, no database.
local report = require("report")
setup, init, done = report.setup, report.init, report.done

wrk.path = "/health/live"
