-- GET /bench/upstream/posts/{id}: wait ~100 ms on an upstream service, then read one post.
local report = require("report")
setup, init, done = report.setup, report.init, report.done

function request()
   return wrk.format("GET", "/bench/upstream/posts/" .. math.random(1, 10000))
end
