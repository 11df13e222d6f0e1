-- SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
-- wrk script for bench/bmt.sh: prints the summary and the latency percentiles
-- (microseconds, 0..100 in steps of 1, plus 99.9) in lines that
-- bench/bmt_stats.py reads ("BMT key value", "BMTP percent value").
done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("BMT requests %d\n", summary.requests))
	io.write(string.format("BMT duration_us %d\n", summary.duration))
	io.write(string.format("BMT connect %d\nBMT read %d\nBMT write %d\nBMT status %d\nBMT timeout %d\n",
		e.connect, e.read, e.write, e.status, e.timeout))
	io.write(string.format("BMTP 0 %d\n", latency.min))
	for p = 1, 99 do
		io.write(string.format("BMTP %d %d\n", p, latency:percentile(p)))
	end
	io.write(string.format("BMTP 99.9 %d\n", latency:percentile(99.9)))
	io.write(string.format("BMTP 100 %d\n", latency.max))
end
