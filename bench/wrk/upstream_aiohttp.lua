-- GET /bench/upstream-aiohttp/posts/{id}: as upstream.lua, the async service's client being aiohttp.
local report = require("report")
setup, init, done = report.setup, report.init, report.done

function request()
   return wrk.format("GET", "/bench/upstream-aiohttp/posts/" .. math.random(1, 10000))
end
