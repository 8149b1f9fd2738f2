-- GET /bench/upstream-shipped/posts/{id}: as upstream.lua, through the client the template ships.
local report = require("report")
setup, init, done = report.setup, report.init, report.done

function request()
   return wrk.format("GET", "/bench/upstream-shipped/posts/" .. math.random(1, 10000))
end
