-- POST /api/v1/posts by one of the 1,000 seeded authors, chosen at random.
local report = require("report")
setup, init, done = report.setup, report.init, report.done

local headers = { ["Content-Type"] = "application/json" }

function request()
   local body = string.format(
      '{"title": "Benchmark post", "body": "Written by wrk.", "author_id": %d}',
      math.random(1, 1000))
   return wrk.format("POST", "/api/v1/posts", headers, body)
end
