-- wrk -s scripts/wrk_percentiles.lua: after the run, print the latency percentiles that
-- wrk's --latency table leaves out (it has 50/75/90/99, not 95), in milliseconds, one per
-- line, for scripts/bench.sh to read: "percentile 95 12.34".
-- With THINK_MS set, each connection pauses that long before each request, as a person
-- reading the page would; the latencies are still those of the requests alone.
local think = tonumber(os.getenv("THINK_MS") or "0") or 0
if think > 0 then
  delay = function()
    return think
  end
end

done = function(summary, latency, requests)
  for _, p in ipairs({50, 95, 99}) do
    io.write(string.format("percentile %d %.2f\n", p, latency:percentile(p) / 1000.0))
  end
end
