#!/usr/bin/python3
"""console_bench.py: the console's speed in Debian's headless Chromium
(issue 27's targets: each page's data in <= 200 ms of server time on a
ledger of 1,000,000 complaints; first contentful paint <= 1 s).

Against a running ledgerd with --http_listen (e.g. tools/scale_bench.sh's
ledger started with --insecure_no_auth --http_listen 127.0.0.1:8080):

  /usr/bin/python3 tools/console_bench.py --url http://127.0.0.1:8080 \\
      --month 2026-10 --owner a1 [--token JWT] [--runs 5]

For each run and page it prints, from the browser's own Resource Timing
and Paint Timing entries:
  - first contentful paint of a fresh load of the console;
  - per page: the API calls it made, the slowest call's server time
    (responseStart - requestStart: the request's wait for its first byte,
    on loopback nearly all of it the server's), the sum of its calls'
    server times (what the page costs the server), and the page's data time
    (first request sent to last answer received; the page makes some calls
    side by side, up to Chromium's 6 connections);
  - the time from navigation to the page drawn.
Timings depend on the machine: a benchmark, not a test.
"""

import argparse
import statistics
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

PAGES = [
    ("today", "#/today?owner={owner}"),
    ("stations", "#/stations/{month}"),
    ("analysis", "#/analysis/{month}"),
    ("agents", "#/agents/{month}"),
    ("ledger", "#/ledger"),
    ("complaint", "#/complaint/{complaint}"),
]


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-dev-shm-usage", "--disable-background-networking",
                 "--window-size=1400,1000",
                 "--user-data-dir=" + tempfile.mkdtemp(prefix="chromium-")]:
        options.add_argument(flag)
    options.accept_insecure_certs = True
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"),
                            options=options)


def wait(driver, script, timeout=120):
    deadline = time.monotonic() + timeout
    while not driver.execute_script(script):
        if time.monotonic() > deadline:
            raise RuntimeError("timed out: " + script)
        time.sleep(0.01)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--month", required=True)
    parser.add_argument("--owner", default="a1")
    parser.add_argument("--complaint", default="W1-000001")
    parser.add_argument("--token", default="")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    driver = browser()
    results = {name: [] for name, _ in PAGES}
    paints = []
    try:
        for run in range(args.runs):
            driver.get("about:blank")
            fragment = "#token=" + args.token if args.token else "#/today?owner=" + args.owner
            driver.get(args.url + "/" + fragment)
            wait(driver, "return document.body.dataset.ready === 'today'")
            paint = driver.execute_script(
                "const p = performance.getEntriesByName("
                "'first-contentful-paint')[0]; return p ? p.startTime : null")
            paints.append(paint)
            for name, fragment in PAGES:
                target = fragment.format(month=args.month, owner=args.owner,
                                         complaint=args.complaint)
                # A fragment of its own each time (the same again would
                # not route).
                target += ("&" if "?" in target else "?") + "run=%d" % run
                driver.execute_script(
                    "performance.clearResourceTimings();"
                    "document.body.dataset.ready = '';"
                    "window.benchStart = performance.now();"
                    "location.hash = arguments[0];", target)
                wait(driver, "return document.body.dataset.ready === '%s' && "
                     "document.body.dataset.readyHash === '%s'" % (name, target))
                drawn = driver.execute_script(
                    "return performance.now() - window.benchStart")
                calls = driver.execute_script(
                    "return performance.getEntriesByType('resource')"
                    ".filter(e => e.name.includes('/api/v1/') &&"
                    " !e.name.endsWith('/live'))"
                    ".map(e => [e.requestStart, e.responseStart,"
                    " e.responseEnd, e.startTime])")
                if not calls:
                    continue
                server = max(c[1] - c[0] for c in calls)
                data = max(c[2] for c in calls) - min(c[3] for c in calls)
                total = sum(c[1] - c[0] for c in calls)
                results[name].append((len(calls), server, data, drawn, total))
    finally:
        driver.quit()
    print("first contentful paint (ms), %d loads: %s; median %.0f"
          % (len(paints), ", ".join("%.0f" % p for p in paints if p),
             statistics.median(p for p in paints if p)))
    print("%-10s %6s %22s %22s %22s %22s" % (
        "page", "calls", "slowest call (ms)", "all calls (ms)",
        "data time (ms)", "drawn (ms)"))
    for name, _ in PAGES:
        rows = results[name]
        if not rows:
            print("%-10s (no API calls)" % name)
            continue
        fmt = lambda i: "%6.0f median %6.0f max" % (
            statistics.median(r[i] for r in rows), max(r[i] for r in rows))
        print("%-10s %6d %22s %22s %22s %22s" % (
            name, rows[0][0], fmt(1), fmt(4), fmt(2), fmt(3)))


if __name__ == "__main__":
    main()
