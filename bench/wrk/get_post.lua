-- GET /api/v1/posts/{id} with an id drawn from the 10,000 seeded posts.
local report = require("report")
setup, init, done = report.setup, report.init, report.done

function request()
   return wrk.format("GET", "/api/v1/posts/" .. math.random(1, 10000))
end
