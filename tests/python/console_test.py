#!/usr/bin/python3
"""The supervisor's console in a real browser.

A real ledgerd over TLS with a development identity (tools/dev_identity.sh),
seeded with two months of a simulated call centre (tools/ledger_seed), its
console on --http_listen; Debian's headless Chromium driven by Selenium
(chromium-driver, python3-selenium). Every figure the pages show is checked
against the gRPC answer at the same log position (and the same "now"), by
Python's own gRPC client on stubs generated from proto/:

  - an anonymous browser gets the login page, and the API refuses it (401);
  - signing in with a token sets the session; a Chinese browser gets
    Chinese, the switch gives English;
  - Today: each queue's count and rows; a complaint taken in over gRPC
    appears in its owner's queue live (Server-Sent Events), the delay
    printed;
  - a complaint: its stage and its timeline, position for position; the
    customer's personal data for the centre head, none for the auditor;
  - the station month: every row and the totals; the Excel export,
    downloaded by the browser and read with openpyxl; the A4 penalty table
    printed to PDF by Chromium;
  - the month analysis: the cases and every KPI tile;
  - agents: every scorecard, and sorting by a column;
  - the ledger: the log's end, the write path's health, the projections;
  - a station head sees their station's row only.

Screenshots of every page, the workbook and the PDF are kept in
--artifacts.

  /usr/bin/python3 tests/python/console_test.py --ledgerd build/services/ledgerd \\
      --ledgerctl build/tools/ledgerctl --ledger_seed build/tools/ledger_seed \\
      --dev_identity tools/dev_identity.sh --ledger_token build/tools/ledger_token \\
      --proto_dir proto --artifacts build/test-artifacts/console
"""

import argparse
import base64
import glob
import http.client
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ledgerd_process import generate_stubs, start_ledgerd  # noqa: E402

failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        failures.append(what)
    return condition


def start_console_ledgerd(args, work_dir, identity):
    """(process, grpc target, http port): over TLS, on the real clock (the
    seed's events are of today), with the console and single sign-on."""
    http_port_file = os.path.join(work_dir, "http_port")
    process, target = start_ledgerd(
        args.ledgerd, work_dir, identity, start_time=None,
        extra_args=["--http_listen=127.0.0.1:0",
                    "--http_port_file=" + http_port_file,
                    "--http_sso_header=X-Forwarded-Access-Token",
                    "--http_sso_proxies=127.0.0.1",
                    "--key_file=" + os.path.join(identity, "site-keys.txt")])
    with open(http_port_file) as f:
        return process, target, int(f.read().strip())


def token_of(identity, agent):
    with open(os.path.join(identity, "tokens", agent + ".token")) as f:
        return f.read().strip()


def browser(download_dir, language):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--window-size=1400,1000", "--lang=" + language,
                 "--user-data-dir=" + tempfile.mkdtemp(prefix="chromium-")]:
        options.add_argument(flag)
    options.accept_insecure_certs = True
    options.add_experimental_option("prefs", {
        "intl.accept_languages": language,
        "download.default_directory": download_dir,
        "download.prompt_for_download": False,
    })
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"),
                              options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {
        "behavior": "allow", "downloadPath": download_dir})
    return driver


def wait_for(what, predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
            if value:
                return value
        except Exception:  # The page is between renders.
            pass
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.05)


navigations = [0]


def open_page(driver, base, fragment, page):
    """Navigates to `fragment` and waits for the page to have drawn. (A
    number makes each fragment new: the same one again would not route.)"""
    navigations[0] += 1
    fragment += ("&" if "?" in fragment else "?") + "n=%d" % navigations[0]
    driver.get(base + "/" + fragment)
    # Drawn for this very fragment (an earlier route finishing late says
    # nothing of it).
    wait_for(fragment, lambda: driver.execute_script(
        "return [document.body.dataset.ready, document.body.dataset.readyHash]")
        == [page, fragment])


def sign_in_by_link(driver, base, token, agent, first_page):
    """Signs in by a link with the token in its fragment (as tools/run.sh
    prints), and waits for the first page the role may open."""
    driver.delete_all_cookies()
    driver.execute_script("document.body.dataset.ready = ''")
    driver.get(base + "/#token=" + token)
    wait_for("signed in as " + agent, lambda: driver.execute_script(
        "return document.getElementById('who').textContent.includes("
        "arguments[0]) && document.body.dataset.ready === arguments[1]",
        agent, first_page))


def shot(driver, args, name):
    driver.save_screenshot(os.path.join(args.artifacts, name + ".png"))


def attr(element, name):
    return element.get_attribute(name)


def run(args, work_dir):
    identity = os.path.join(work_dir, "identity")
    agents = ["h1", "a17", "a18", "c1", "gm", "au1", "feed", "sh2"]
    subprocess.run(["bash", args.dev_identity, identity] + agents,
                   env=dict(os.environ, LEDGER_TOKEN_TOOL=args.ledger_token),
                   check=True, capture_output=True)
    subprocess.run([args.ledger_seed, "--data_dir",
                    os.path.join(work_dir, "data"), "--history_months", "2",
                    "--key_file", os.path.join(identity, "site-keys.txt")],
                   check=True, capture_output=True)
    process, target, http_port = start_console_ledgerd(args, work_dir,
                                                       identity)
    base = "https://127.0.0.1:%d" % http_port

    def ledgerctl(agent, *command):
        done = subprocess.run(
            [args.ledgerctl, "--target", target, "--as", agent] + list(command),
            env=dict(os.environ, LEDGER_IDENTITY=identity,
                     LEDGERCTL_CONFIG="/dev/null"),
            capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError("ledgerctl %s: %s" % (command, done.stderr))
        return done.stdout

    # A station head, of s2.
    ledgerctl("h1", "register-agent", "--agent-id", "sh2", "--display-name",
              "Head of West", "--roles", "station-head", "--active")
    ledgerctl("h1", "register-station", "--station-id", "s2", "--name",
              "West station", "--head-agent-id", "sh2")

    import grpc
    generate_stubs(args.proto_dir, os.path.join(work_dir, "stubs"))
    from ledger.v1 import common_pb2 as common
    from ledger.v1 import complaint_service_pb2 as complaints
    from ledger.v1 import complaint_service_pb2_grpc as complaints_grpc
    from ledger.v1 import complaint_state_pb2 as state_pb
    from ledger.v1 import ledger_service_pb2 as ledger_pb
    from ledger.v1 import ledger_service_pb2_grpc as ledger_grpc
    from ledger.v1 import query_service_pb2 as query
    from ledger.v1 import query_service_pb2_grpc as query_grpc
    with open(os.path.join(identity, "ca.pem"), "rb") as f:
        tls = grpc.ssl_channel_credentials(f.read())

    def channel(agent):
        return grpc.secure_channel(target, grpc.composite_channel_credentials(
            tls, grpc.access_token_call_credentials(token_of(identity, agent))))

    head = channel("h1")
    queries = query_grpc.QueryServiceStub(head)
    complaint_rpc = complaints_grpc.ComplaintServiceStub(head)

    # --- Anonymous: the login page, and the API says 401. ------------------
    context = ssl.create_default_context(
        cafile=os.path.join(identity, "ca.pem"))
    connection = http.client.HTTPSConnection("127.0.0.1", http_port,
                                             context=context, timeout=30)
    connection.request("POST", "/api/v1/ledger.v1.QueryService/GetStationTable",
                       body="{}", headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    body = response.read()
    check(response.status == 401 and b"UNAUTHENTICATED" in body,
          "the JSON API without a token: 401 (%d %s)" % (response.status, body))
    connection.request("GET", "/", headers={})
    response = connection.getresponse()
    response.read()
    check(response.status == 200 and "script-src 'self'" in
          (response.getheader("Content-Security-Policy") or ""),
          "the page is served with a Content-Security-Policy")
    connection.close()

    def request(method, path, headers, body=None, source="127.0.0.1"):
        c = http.client.HTTPSConnection("127.0.0.1", http_port,
                                        context=context, timeout=30,
                                        source_address=(source, 0))
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, r, data

    # Single sign-on: the proxy's header, believed from the proxy only.
    sso = {"X-Forwarded-Access-Token": token_of(identity, "a17")}
    status, _, data = request("GET", "/session", sso)
    check(status == 200 and json.loads(data)["agent_id"] == "a17",
          "the SSO proxy's header signs a17 in (from 127.0.0.1)")
    status, _, _ = request("GET", "/session", sso, source="127.0.0.2")
    check(status == 401, "the same header from elsewhere (127.0.0.2) is not "
          "believed: %d" % status)
    # The session cookie, and what it does not allow.
    status, r, _ = request("POST", "/session",
                           {"Content-Type": "application/json"},
                           json.dumps({"token": token_of(identity, "h1")}))
    check(status == 403, "POST /session without X-Ledger-Console is "
          "refused (a login from another site's form): %d" % status)
    status, r, _ = request("POST", "/session",
                           {"Content-Type": "application/json",
                            "X-Ledger-Console": "1"},
                           json.dumps({"token": token_of(identity, "h1")}))
    cookie = (r.getheader("Set-Cookie") or "").split(";")[0]
    check(status == 200 and cookie.startswith("__Host-ledger_session="),
          "POST /session with a token sets the session cookie (%s)"
          % cookie[:24])
    status, _, _ = request("POST", "/session",
                           {"Content-Type": "application/json",
                            "X-Ledger-Console": "1"},
                           json.dumps({"token": "not-a-token"}))
    check(status == 401, "POST /session with a bad token: 401 (%d)" % status)
    api_path = "/api/v1/ledger.v1.ReferenceDataService/ListReferenceData"
    status, _, data = request("POST", api_path, {"Cookie": cookie}, "{}")
    check(status == 403 and b"X-Ledger-Console" in data,
          "a cookie-borne POST without X-Ledger-Console is refused (%d)"
          % status)
    status, _, data = request("POST", api_path,
                              {"Cookie": cookie, "X-Ledger-Console": "1"},
                              "{}")
    check(status == 200 and b'"agents"' in data,
          "with it, the API answers the session's agent")
    status, r, _ = request("DELETE", "/session",
                           {"Cookie": cookie, "X-Ledger-Console": "1"})
    cleared = r.getheader("Set-Cookie") or ""
    check(status == 200 and cleared.startswith("__Host-ledger_session=;")
          and "Max-Age=0" in cleared and "Secure" in cleared,
          "DELETE /session clears the cookie (%s)" % cleared)
    status, _, data = request("POST", api_path, sso, "{}")
    check(status == 403, "a POST signed in by the SSO proxy's header without "
          "X-Ledger-Console is refused too (%d)" % status)
    for bad in ["Bearer caf\u00e9", "Bearer a%00b", "Basic aDE6aDE=",
                "Bearer a b"]:
        status, _, _ = request("POST", api_path, {"Authorization": bad}, "{}")
        check(status == 401, "a credential that is no bearer token (%r): 401"
              % bad[:20])
    status, _, _ = request("GET", "/session",
                           {"Authorization": "Bearer " +
                            token_of(identity, "h1")})
    check(status == 200, "ledgerd still answers after them")
    status, _, data = request(
        "POST", "/api/v1/ledger.v1.QueryService/GetQueue",
        {"Cookie": cookie, "X-Ledger-Console": "1"}, '{"kind": 3, "x": 1}')
    check(status == 400 and b"INVALID_ARGUMENT" in data,
          "a request body that is not the RPC's: 400 naming it (%s)" % data)
    status, _, data = request(
        "POST", "/api/v1/ledger.v1.Subscriptions/Subscribe",
        {"Cookie": cookie, "X-Ledger-Console": "1"}, "{}")
    check(status == 404, "a streaming RPC is not served as JSON (%d)" % status)
    status, _, data = request(
        "POST", "/api/v1/ledger.v1.QueryService/Rebuild",
        {"Authorization": "Bearer " + token_of(identity, "a17")},
        '{"name": "queues"}')
    check(status == 403 and b"PERMISSION_DENIED" in data,
          "an agent calling Rebuild over JSON: 403, as over gRPC (%d)" % status)

    downloads = os.path.join(work_dir, "downloads")
    os.makedirs(downloads)
    driver = browser(downloads, "zh-CN")
    try:
        from selenium.webdriver.common.by import By
        driver.get(base + "/")
        wait_for("the login form", lambda: driver.find_element(By.ID, "login"))
        check(driver.execute_script("return document.documentElement.lang")
              == "zh" and "登录" in driver.find_element(By.ID, "login").text,
              "a Chinese browser gets the login page in Chinese")
        check(not driver.find_elements(By.CSS_SELECTOR, "#nav a"),
              "an anonymous browser sees no pages")
        shot(driver, args, "0-login")

        # --- Sign in. ------------------------------------------------------
        driver.find_element(By.ID, "token").send_keys(token_of(identity, "h1"))
        driver.find_element(By.ID, "signin").click()
        wait_for("Today", lambda: driver.execute_script(
            "return document.body.dataset.ready") == "today")
        cookies = {c["name"]: c for c in driver.get_cookies()}
        session = cookies.get("__Host-ledger_session", {})
        check(session.get("httpOnly") and session.get("secure")
              and session.get("sameSite") == "Strict",
              "the session cookie is HttpOnly, Secure, SameSite=Strict")
        check("今日" in driver.find_element(By.ID, "nav").text,
              "the pages are in Chinese")
        driver.find_element(By.ID, "lang").click()
        wait_for("English", lambda: "Today" in
                 driver.find_element(By.ID, "nav").text)
        check(driver.execute_script("return document.documentElement.lang")
              == "en", "the switch gives English")

        # --- Today: each queue as gRPC answers it at the same position. ---
        open_page(driver, base, "#/today?owner=a17", "today")
        wait_for("the live stream", lambda: driver.find_element(
            By.ID, "live").get_attribute("data-position"))
        cards = driver.find_elements(By.CSS_SELECTOR, "#queues [data-queue]")
        check(len(cards) == 8, "Today shows the 8 queues (%d)" % len(cards))
        for card in cards:
            kind = attr(card, "data-queue")
            if attr(card, "data-error"):
                check(False, "%s: %s" % (kind, card.text))
                continue
            request = query.GetQueueRequest(
                kind=query.QueueKind.Value(kind), page_size=10,
                as_of_position=int(attr(card, "data-position")),
                now_us=int(attr(card, "data-now")))
            if kind == "QUEUE_KIND_OPEN_BY_OWNER":
                request.owner_agent_id = "a17"
            answer = queries.GetQueue(request, timeout=60)
            shown = [attr(r, "data-complaint") for r in
                     card.find_elements(By.CSS_SELECTOR, "tr[data-complaint]")]
            overdue = len(card.find_elements(By.CSS_SELECTOR, "tr.overdue"))
            check(int(attr(card, "data-total")) == answer.total and
                  shown == [i.complaint_id for i in answer.items] and
                  overdue == sum(1 for i in answer.items if i.overdue),
                  "%s: %s complaints, rows and overdue colouring as gRPC "
                  "says at position %s" % (kind, attr(card, "data-total"),
                                          attr(card, "data-position")))
        shot(driver, args, "1-today")

        # A complaint taken in over gRPC shows in a17's queue, live.
        def open_total():
            card = driver.find_element(
                By.CSS_SELECTOR, "[data-queue=QUEUE_KIND_OPEN_BY_OWNER]")
            return int(attr(card, "data-total"))
        before = open_total()
        taken = time.monotonic()
        out = ledgerctl("a17", "receive", "--channel", "phone",
                        "--customer-name", "Customer Live",
                        "--customer-phone", "13900139000",
                        "--content", "Paper late again", "--station-id", "s2",
                        "--format", "json")
        new_id = json.loads(out)["state"]["complaint_id"]
        wait_for("the live update", lambda: open_total() == before + 1)
        print("     the live update showed %.2f s after the command was sent"
              % (time.monotonic() - taken))
        check(driver.find_elements(
            By.CSS_SELECTOR, "tr[data-complaint='%s']" % new_id) or
            open_total() > 10,
            "a17's open queue shows %s live, without a reload" % new_id)

        # --- A complaint. -------------------------------------------------
        open_page(driver, base, "#/complaint/" + new_id, "complaint")
        view = complaint_rpc.GetComplaint(
            complaints.GetComplaintRequest(complaint_id=new_id), timeout=60)
        rows = [int(attr(r, "data-position")) for r in driver.find_elements(
            By.CSS_SELECTOR, "#timeline tr[data-position]")]
        check(rows == [e.position for e in view.timeline],
              "the complaint's timeline is its events, position for position")
        check(attr(driver.find_element(By.ID, "state"), "data-stage") ==
              state_pb.Stage.Name(view.state.stage),
              "the complaint's stage as gRPC says (%s)"
              % state_pb.Stage.Name(view.state.stage))
        check("13900139000" in driver.find_element(By.ID, "customer").text,
              "the centre head sees the customer's phone")
        shot(driver, args, "2-complaint")

        # --- The station month, its export and its print. ------------------
        months = []
        now = time.localtime()
        year, mon = now.tm_year, now.tm_mon
        for _ in range(2):
            mon -= 1
            if mon == 0:
                year, mon = year - 1, 12
            months.append((year, mon))
        year, mon = months[0]  # Last month: whole, with penalties.
        month = "%04d-%02d" % (year, mon)
        open_page(driver, base, "#/stations/" + month, "stations")
        position = int(attr(driver.find_element(
            By.CSS_SELECTOR, ".position"), "data-position"))
        table = queries.GetStationTable(query.GetStationTableRequest(
            month=common.YearMonth(year=year, month=mon),
            as_of_position=position), timeout=60)
        check(len(table.stations) >= 3,
              "%s has %d stations" % (month, len(table.stations)))

        def fields(row):
            return {attr(c, "data-field"): c.text for c in
                    row.find_elements(By.CSS_SELECTOR, "[data-field]")}

        def expected(s):
            return {"complaints": str(s.complaints), "copies": str(s.copies),
                    "ratio_per_10k": "%.2f" % s.ratio_per_10k,
                    "rank": str(s.rank) if s.rank else "—",
                    "repeat": str(s.repeat), "malicious": str(s.malicious),
                    "penalty_charged": "%.2f" % (
                        s.penalty_charged.minor_units / 100),
                    "penalty_not_charged": "%.2f" % (
                        s.penalty_not_charged.minor_units / 100)}
        for s in table.stations:
            row = driver.find_element(
                By.CSS_SELECTOR, "#stations tr[data-station='%s']" % s.station_id)
            check(fields(row) == expected(s),
                  "station %s of %s as gRPC says at position %d"
                  % (s.station_id, month, position))
        totals = fields(driver.find_element(
            By.CSS_SELECTOR, "#stations tr[data-station=totals]"))
        want = expected(table.totals)
        check(all(totals[k] == want[k] for k in totals),
              "the totals of %s as gRPC says" % month)
        wait_for("the ratio chart", lambda: attr(driver.find_element(
            By.ID, "ratio-trend"), "data-drawn") == "1")
        check(driver.find_elements(By.CSS_SELECTOR, "#ratio-trend svg"),
              "the 12-month ratio chart is drawn")
        shot(driver, args, "3-stations")

        driver.find_element(By.ID, "export").click()
        book = wait_for("the download", lambda: [
            f for f in glob.glob(os.path.join(downloads, "*.xlsx"))])[0]
        wait_for("the whole download", lambda: os.path.getsize(book) > 0 and
                 not glob.glob(os.path.join(downloads, "*.crdownload")))
        shutil.copy(book, args.artifacts)
        import openpyxl
        sheet = openpyxl.load_workbook(book, data_only=True).active
        check(sheet.title == month, "the workbook's sheet is %s" % month)
        rows = {r[0]: r for r in sheet.iter_rows(values_only=True) if r[0]}
        for s in table.stations:
            r = rows.get(s.station_id)
            check(r is not None and r[2] == s.complaints and r[3] == s.copies
                  and abs(r[4] - s.ratio_per_10k) < 1e-9 and r[6] == s.repeat
                  and r[7] == s.malicious
                  and abs(r[8] - s.penalty_charged.minor_units / 100) < 1e-9,
                  "the workbook's row of %s has gRPC's numbers" % s.station_id)
        total = rows.get("合计 Total")
        check(total is not None and total[2] == table.totals.complaints and
              abs(total[8] - table.totals.penalty_charged.minor_units / 100)
              < 1e-9, "the workbook's totals are gRPC's")
        check(os.path.basename(book) == "stations-%s-at-%d.xlsx"
              % (month, position), "the workbook is named by month and "
              "position (%s)" % os.path.basename(book))

        open_page(driver, base, "#/print/stations/" + month, "print")
        sheet_text = driver.find_element(By.ID, "penalty-sheet").text
        check("Monthly penalty summary" in sheet_text and
              "Head of the service centre" in sheet_text,
              "the print page is the penalty table with signature lines")
        pdf = base64.b64decode(driver.execute_cdp_cmd("Page.printToPDF", {
            "printBackground": True, "preferCSSPageSize": True})["data"])
        with open(os.path.join(args.artifacts, "penalty-table.pdf"), "wb") as f:
            f.write(pdf)
        boxes = [tuple(float(v) for v in m.groups()) for m in re.finditer(
            rb"/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]", pdf)]
        # A4 landscape: 297 x 210 mm, 842 x 595 points.
        check(pdf.startswith(b"%PDF") and len(boxes) == 1 and
              abs(boxes[0][0] - 842) < 1 and abs(boxes[0][1] - 595) < 1,
              "the penalty table prints to one A4 landscape page (%s, %d "
              "bytes)" % (boxes, len(pdf)))
        shot(driver, args, "4-print")

        # --- The month analysis. -------------------------------------------
        open_page(driver, base, "#/analysis/" + month, "analysis")
        position = int(attr(driver.find_element(
            By.CSS_SELECTOR, ".position"), "data-position"))
        analysis = queries.GetMonthlyAnalysis(query.GetMonthlyAnalysisRequest(
            month=common.YearMonth(year=year, month=mon),
            as_of_position=position), timeout=60)
        check(int(attr(driver.find_element(By.ID, "cases"), "data-value"))
              == analysis.month.cases,
              "%s: %d cases as gRPC says" % (month, analysis.month.cases))
        tiles = {attr(t, "data-kpi"): t for t in driver.find_elements(
            By.CSS_SELECTOR, "#kpis [data-kpi]")}
        check(len(tiles) == len(analysis.month.kpis) > 0,
              "a tile per KPI (%d)" % len(tiles))
        for k in analysis.month.kpis:
            tile = tiles.get(k.name)
            state = ("pending" if k.pending else "nodata" if k.no_data else
                     "pass" if getattr(k, "pass") else "fail")
            check(tile is not None and attr(tile, "data-state") == state and
                  abs(float(attr(tile, "data-value")) - k.value) < 1e-9 and
                  "%d / %d" % (k.numerator, k.denominator) in tile.text,
                  "KPI %s: %s, %.4f as gRPC says" % (k.name, state, k.value))
        wait_for("the trend chart", lambda: attr(driver.find_element(
            By.ID, "kpi-trend"), "data-drawn") == "1")
        shot(driver, args, "5-analysis")

        # --- Agents. -------------------------------------------------------
        open_page(driver, base, "#/agents/" + month, "agents")
        rows = driver.find_elements(By.CSS_SELECTOR, "#scorecards tr[data-agent]")
        check(len(rows) >= 2, "a scorecard per agent (%d)" % len(rows))
        for row in rows:
            agent = attr(row, "data-agent")
            card = queries.GetAgentScorecard(query.GetAgentScorecardRequest(
                agent_id=agent, month=common.YearMonth(year=year, month=mon),
                as_of_position=int(attr(row, "data-position"))), timeout=60)
            f = fields(row)
            check(f["cases_owned"] == str(card.cases_owned) and
                  f["replies_on_time"] == str(card.replies_on_time) and
                  f["revisits_satisfied"] == str(card.revisits_satisfied),
                  "%s's scorecard as gRPC says" % agent)
            sample = queries.GetSecondRevisitSample(
                query.GetSecondRevisitSampleRequest(
                    agent_id=agent, month=common.YearMonth(year=year, month=mon),
                    as_of_position=int(attr(row, "data-position"))),
                timeout=60).agents[0]
            check(f["sample_quota"] == str(sample.quota) and
                  f["sample_done"] == str(sample.done),
                  "%s's month-end sample %d/%d as gRPC says"
                  % (agent, sample.done, sample.quota))
            # The assessment: total and months below standard in a row.
            # (An agent with nothing in the month has no row: "—", 0.)
            rows_of = [a for a in queries.GetAssessment(
                query.GetAssessmentRequest(
                    month=common.YearMonth(year=year, month=mon),
                    as_of_position=int(attr(row, "data-position"))),
                timeout=60).agents if a.agent_id == agent]
            assessment = rows_of[0] if rows_of else query.AgentAssessment(
                total_na=True)
            total = ("—" if assessment.total_na
                     else "%.1f" % (assessment.total_tenths / 10))
            check(f["assessment_total"] == total and
                  f["months_below"] == str(assessment.months_below_in_a_row) and
                  attr(row, "data-flagged") == ("1" if assessment.flagged
                                                else "0"),
                  "%s's assessment %s, %d month(s) below, as gRPC says"
                  % (agent, total, assessment.months_below_in_a_row))
            # The agent's KPIs: one cell each, its state as gRPC judges it.
            check(len(card.kpis) == 6, "six KPIs per agent")
            for k in card.kpis:
                cell = row.find_element(
                    By.CSS_SELECTOR, '[data-field="kpi:%s"]' % k.name)
                state = ("pending" if k.pending else "nodata" if k.no_data
                         else "pass" if getattr(k, "pass") else "fail")
                check(attr(cell, "data-state") == state and
                      (cell.text == "—") == k.no_data,
                      "%s's KPI %s: %s" % (agent, k.name, state))
        driver.find_element(By.CSS_SELECTOR, "th[data-sort=cases_owned]").click()
        owned = [int(fields(r)["cases_owned"]) for r in driver.find_elements(
            By.CSS_SELECTOR, "#scorecards tr[data-agent]")]
        check(owned == sorted(owned),
              "a click on a column sorts by it, again reverses (%s)" % owned)
        shot(driver, args, "6-agents")

        # --- The ledger. ---------------------------------------------------
        open_page(driver, base, "#/ledger", "ledger")
        log_head = ledger_grpc.LedgerStub(head).GetLogHead(
            ledger_pb.GetLogHeadRequest(), timeout=60)
        check(int(attr(driver.find_element(By.ID, "log-head"),
                       "data-position")) == log_head.position_last,
              "the ledger page shows the log's end, %d"
              % log_head.position_last)
        check(attr(driver.find_element(By.ID, "health"), "data-status")
              == "SERVING", "the write path is SERVING")
        projections = driver.find_elements(
            By.CSS_SELECTOR, "#projections tr[data-projection]")
        check(len(projections) >= 3, "the projections and their lag (%d)"
              % len(projections))
        shot(driver, args, "7-ledger")

        # --- The auditor: no personal data. --------------------------------
        sign_in_by_link(driver, base, token_of(identity, "au1"), "au1",
                        "stations")
        open_page(driver, base, "#/complaint/" + new_id, "complaint")
        check(not driver.find_elements(By.ID, "customer") and
              "13900139000" not in driver.page_source,
              "the auditor sees the complaint without the customer's data")

        # --- A station head: their station only. ---------------------------
        sign_in_by_link(driver, base, token_of(identity, "sh2"), "sh2",
                        "today")
        pages = driver.execute_script(
            "return [...document.querySelectorAll('#nav a')]"
            ".map(a => a.dataset.page)")
        check(pages == ["today", "stations", "ledger"],
              "a station head is offered the pages their role may read (%s)"
              % pages)
        open_page(driver, base, "#/today", "today")
        queues = [attr(c, "data-queue") for c in driver.find_elements(
            By.CSS_SELECTOR, "#queues [data-queue]")]
        check(queues == ["QUEUE_KIND_ASSISTS_PENDING"] and not
              driver.find_elements(By.CSS_SELECTOR, "#queues [data-error]"),
              "their Today is their station's assists pending (%s)" % queues)
        open_page(driver, base, "#/stations/" + month, "stations")
        shown = [attr(r, "data-station") for r in driver.find_elements(
            By.CSS_SELECTOR, "#stations tbody tr[data-station]")]
        check(shown == ["s2"], "the head of s2 sees only s2's row (%s)" % shown)
        shot(driver, args, "8-station-head")
    finally:
        driver.quit()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def open_gate_checks(args, work_dir):
    """Without authentication (loopback only), the HTTP side answers only
    requests for a loopback host: a page of a site whose name was made to
    resolve to 127.0.0.1 (DNS rebinding) gets nothing."""
    data = os.path.join(work_dir, "open")
    os.makedirs(data)
    http_port_file = os.path.join(data, "http_port")
    process, _ = start_ledgerd(
        args.ledgerd, data, None, start_time=None,
        extra_args=["--http_listen=127.0.0.1:0",
                    "--http_port_file=" + http_port_file])
    try:
        with open(http_port_file) as f:
            port = int(f.read().strip())
        for host, expected in [("127.0.0.1:%d" % port, 200),
                               ("localhost:%d" % port, 200),
                               ("rebound.example:%d" % port, 403)]:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            c.putrequest("GET", "/session", skip_host=True)
            c.putheader("Host", host)
            c.endheaders()
            status = c.getresponse().status
            c.close()
            check(status == expected, "no authentication: Host %s gets %d "
                  "(%d)" % (host, expected, status))
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def main():
    parser = argparse.ArgumentParser()
    for flag in ["ledgerd", "ledgerctl", "ledger_seed", "dev_identity",
                 "ledger_token", "proto_dir", "artifacts"]:
        parser.add_argument("--" + flag, required=True)
    args = parser.parse_args()
    # Under Bazel, beside its other outputs of the test.
    args.artifacts = os.path.join(
        os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR", ""), args.artifacts)
    os.makedirs(args.artifacts, exist_ok=True)
    work_dir = tempfile.mkdtemp(prefix="console-test-")
    try:
        run(args, work_dir)
        open_gate_checks(args, work_dir)
    finally:
        if failures:
            print("ledgerd's log:", os.path.join(work_dir, "ledgerd.log"))
        else:
            shutil.rmtree(work_dir, ignore_errors=True)
    if failures:
        print("%d failed:\n  %s" % (len(failures), "\n  ".join(failures)))
        sys.exit(1)
    print("all passed; screenshots in", args.artifacts)


if __name__ == "__main__":
    main()
