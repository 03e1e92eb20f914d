"""Signed-in people using the portal, for make bench: each one opens a page, reads it for a
while, and opens it again. Prints the same lines as scripts/wrk_percentiles.lua.

Usage: bench_people.py BASE_URL PATH COOKIE PEOPLE SECONDS PAUSE_MS

wrk cannot play this part against gunicorn's sync workers: it reconnects as soon as a
response ends and only then pauses, so a worker sits waiting on a connection that sends
nothing (in production a buffering proxy in front of gunicorn takes that wait). Here each
person connects when they click, as a browser behind such a proxy would, after a random
pause of half to one and a half times PAUSE_MS, so they do not all click at once.
"""

import http.client
import random
import statistics
import sys
import threading
import time
import urllib.parse

from bench_sign_in import browser_headers


def person(host, port, path, cookie, until, pause, latencies, failures):
    rng = random.Random()
    time.sleep(rng.uniform(0, pause))  # people arrive one by one
    while time.monotonic() < until:
        started = time.perf_counter()
        connection = http.client.HTTPConnection(host, port, timeout=30)
        try:
            connection.request("GET", path, headers=browser_headers(cookie))
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                failures.append(response.status)
        except OSError as error:
            failures.append(str(error))
        finally:
            connection.close()
        latencies.append((time.perf_counter() - started) * 1000)
        time.sleep(rng.uniform(pause / 2, pause * 3 / 2))


def main(base, path, cookie, people, seconds, pause_ms):
    address = urllib.parse.urlsplit(base)
    latencies, failures = [], []
    until = time.monotonic() + float(seconds)
    crowd = [threading.Thread(target=person, daemon=True,
                              args=(address.hostname, address.port, path, cookie, until,
                                    int(pause_ms) / 1000, latencies, failures))
             for _ in range(int(people))]
    for one in crowd:
        one.start()
    for one in crowd:
        one.join()
    cuts = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else []
    print(f"Requests/sec: {len(latencies) / float(seconds):.2f}")
    if failures:
        print(f"Non-2xx or socket errors: {len(failures)} (first: {failures[0]})")
    for percent in (50, 95, 99):
        if cuts:
            print(f"percentile {percent} {cuts[percent - 1]:.2f}")


if __name__ == "__main__":
    main(*sys.argv[1:7])
