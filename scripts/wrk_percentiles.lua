-- wrk -s scripts/wrk_percentiles.lua: after the run, print the latency percentiles that
-- wrk's --latency table leaves out (it has 50/75/90/99, not 95), in milliseconds, one per
-- line, for scripts/bench.sh to read: "percentile 95 12.34".
done = function(summary, latency, requests)
  for _, p in ipairs({50, 95, 99}) do
    io.write(string.format("percentile %d %.2f\n", p, latency:percentile(p) / 1000.0))
  end
end
