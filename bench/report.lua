-- report.lua: wrk script for a fixed URL (the one on the command line); it only adds a
-- done() that prints one machine-readable line, which bench/run.sh parses:
--   BENCH requests=N duration_s=S rps=R p50_ms=.. p90_ms=.. p99_ms=.. max_ms=.. non2xx=N sockerr=N
-- (latencies in milliseconds; non2xx counts responses that were not 2xx/3xx; sockerr sums
-- connect, read, write and timeout errors).

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		"BENCH requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d sockerr=%d\n",
		summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
		latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3,
		latency.max / 1e3, e.status, e.connect + e.read + e.write + e.timeout))
end
