-- random.lua: wrk script requesting random pages from a URL list (one path per line).
--   URLS=bench/out/urls.txt wrk -t2 -c16 -d10s --latency -s bench/random.lua http://127.0.0.1:PORT
-- Each thread reads the list once and seeds math.random with a fixed per-thread seed
-- (SEED, default 42, plus the thread number), so every run walks the same sequences.
-- done() prints one machine-readable "BENCH ..." line (see report.lua).

local counter = 0

function setup(thread)
	counter = counter + 1
	thread:set("id", counter)
end

function init(args)
	local file = os.getenv("URLS") or "bench/out/urls.txt"
	local f = assert(io.open(file, "r"), "random.lua: cannot open " .. file)
	reqs = {}
	for line in f:lines() do
		if line ~= "" then
			reqs[#reqs + 1] = wrk.format("GET", line)
		end
	end
	f:close()
	assert(#reqs > 0, "random.lua: no URLs in " .. file)
	math.randomseed((tonumber(os.getenv("SEED")) or 42) + 1000 * (id or 0))
	math.random(); math.random() -- discard the first draws
end

function request()
	return reqs[math.random(#reqs)]
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		"BENCH requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d sockerr=%d\n",
		summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
		latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3,
		latency.max / 1e3, e.status, e.connect + e.read + e.write + e.timeout))
end
