-- GET /api/v1/posts?limit=20: a count and the first page of 20 posts with their authors.
local report = require("report")
setup, init, done = report.setup, report.init, report.done

wrk.path = "/api/v1/posts?limit=20"
