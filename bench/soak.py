#!/usr/bin/python3
"""Mixed traffic against a running vertrouwd for the soak run (bench/soak.sh starts it).

Actors, each a thread on its own schedule (intervals divided by --rate):
  2 starters      every 6 s: GET /start, POST /start (200 with a receipt)
  2 returners     every 6 s: a known receipt: GET /open, POST /open (303), GET /c, POST
                  /c/reply (303), GET /c (the reply is there)
  2 advisors      every 3 s: GET /staff, GET /staff/c/ID of a listed conversation; every
                  second round POST /staff/c/ID/reply (303)
  1 coordinator   every 30 s: GET /staff/reports, POST /staff/reports for the period (303 to
                  the stored release, never re-noised), GET that release, GET the internal
                  report with exact tables
Every 10 s a sampler writes one CSV row: requests, errors, p50/p99 of pages and of the
requests that run Argon2id (POST /start, POST /open), and the server's RSS (VmRSS), open
file descriptors and threads from /proc/PID. Any answer other than the expected status is an
error. Only the Python standard library (Debian's python3).
"""

import argparse
import http.client
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
import urllib.parse

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
RECEIPT_RE = re.compile(r"<span>([0-9]{4})</span>")
CONV_RE = re.compile(r'href="/staff/c/([A-Za-z0-9_-]+)"')
HASHED = {"POST /start", "POST /open", "POST /staff/login"}


class Stats:
    def __init__(self):
        self.mu = threading.Lock()
        self.window = {"page": [], "hash": []}
        self.requests = 0
        self.errors = 0
        self.error_kinds = {}

    def record(self, what, ms, ok, status):
        with self.mu:
            self.requests += 1
            self.window["hash" if what in HASHED else "page"].append(ms)
            if not ok:
                self.errors += 1
                key = f"{what} -> {status}"
                self.error_kinds[key] = self.error_kinds.get(key, 0) + 1

    def take(self):
        with self.mu:
            w, self.window = self.window, {"page": [], "hash": []}
            return w, self.requests, self.errors


def pct(values, p):
    if not values:
        return 0.0
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


class Client:
    """One browser: its own cookies, its own client address (X-Real-IP, trusted proxy)."""

    def __init__(self, host, port, stats, address=None):
        self.host, self.port, self.stats = host, port, stats
        self.cookies = {}
        self.csrf = ""
        self.location = ""
        self.address = address or "198.18.%d.%d" % (random.randint(0, 255), random.randint(1, 254))

    def request(self, method, path, form=None, expect=200, label=None):
        headers = {"Accept-Language": "en", "X-Real-IP": self.address}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        what = label or f"{method} {path}"
        t0 = time.monotonic()
        status, text = 0, ""
        try:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            status = resp.status
            self.location = resp.getheader("Location", "")
            text = resp.read().decode("utf-8", "replace")
            for name, value in resp.getheaders():
                if name.lower() == "set-cookie":
                    pair = value.split(";", 1)[0]
                    k, _, v = pair.partition("=")
                    if v == "" or "Max-Age=0" in value:
                        self.cookies.pop(k.strip(), None)
                    else:
                        self.cookies[k.strip()] = v.strip()
            conn.close()
        except Exception as e:  # a refused or reset connection is an error like a 5xx
            status = f"exception {type(e).__name__}"
        ms = (time.monotonic() - t0) * 1000.0
        ok = status == expect
        self.stats.record(what, ms, ok, status)
        m = CSRF_RE.search(text)
        if m:
            self.csrf = m.group(1)
        return ok, text


class Soak:
    def __init__(self, args):
        self.args = args
        u = urllib.parse.urlparse(args.base)
        self.host, self.port = u.hostname, u.port
        self.stats = Stats()
        self.stop = threading.Event()
        self.receipts = []  # (receipt, first message)
        self.receipts_mu = threading.Lock()
        self.release = None

    def every(self, seconds):
        return seconds / self.args.rate

    def sleep(self, seconds):
        self.stop.wait(random.uniform(0.8, 1.2) * seconds)

    def starter(self, n):
        i = 0
        while not self.stop.is_set():
            c = Client(self.host, self.port, self.stats)
            ok, _ = c.request("GET", "/start")
            if ok:
                text = f"soak starter {n} message {i} " + "x" * random.randint(20, 400)
                ok, body = c.request("POST", "/start", {"csrf": c.csrf, "organisation": "dehaven",
                                                        "message": text}, label="POST /start")
                groups = RECEIPT_RE.findall(body)
                if ok and len(groups) >= 4:
                    with self.receipts_mu:
                        self.receipts.append(("".join(groups[:4]), text))
                        del self.receipts[:-200]
            i += 1
            self.sleep(self.every(6))

    def returner(self, n):
        i = 0
        while not self.stop.is_set():
            with self.receipts_mu:
                pick = random.choice(self.receipts) if self.receipts else None
            if pick:
                c = Client(self.host, self.port, self.stats)
                c.request("GET", "/open")
                ok, _ = c.request("POST", "/open", {"csrf": c.csrf, "receipt": pick[0]}, expect=303,
                                  label="POST /open")
                if ok:
                    ok, body = c.request("GET", "/c")
                    if ok and pick[1] not in body:
                        self.stats.record("GET /c (first message missing)", 0, False, 200)
                    reply = f"soak returner {n} reply {i}"
                    c.request("POST", "/c/reply", {"csrf": c.csrf, "message": reply}, expect=303)
                    ok, body = c.request("GET", "/c")
                    if ok and reply not in body:
                        self.stats.record("GET /c (reply missing)", 0, False, 200)
            i += 1
            self.sleep(self.every(6))

    def login(self, username, secret):
        c = Client(self.host, self.port, self.stats, address="198.19.0.%d" % random.randint(1, 254))
        c.request("GET", "/staff/login")
        code = subprocess.run([self.args.binary, "totp", secret], capture_output=True, text=True,
                              check=True).stdout.strip().split()[-1]
        ok, _ = c.request("POST", "/staff/login", {"csrf": c.csrf, "username": username,
                                                   "password": self.args.password, "code": code},
                          expect=303)
        if not ok:
            raise SystemExit(f"soak: {username} could not log in")
        return c

    def advisor(self, c, n):
        i = 0
        while not self.stop.is_set():
            ok, body = c.request("GET", "/staff", label="GET /staff")
            ids = CONV_RE.findall(body) if ok else []
            if ids:
                cid = random.choice(ids)
                c.request("GET", f"/staff/c/{cid}", label="GET /staff/c/ID")
                if i % 2 == 0:
                    c.request("POST", f"/staff/c/{cid}/reply",
                              {"csrf": c.csrf, "message": f"soak advisor {n} reply {i}"}, expect=303,
                              label="POST /staff/c/ID/reply")
            i += 1
            self.sleep(self.every(3))

    def coordinator(self, c):
        while not self.stop.is_set():
            c.request("GET", "/staff/reports", label="GET /staff/reports")
            ok, _ = c.request("POST", "/staff/reports", {"csrf": c.csrf, "period": self.args.period},
                              expect=303, label="POST /staff/reports")
            if ok and c.location:
                c.request("GET", c.location, label="GET /staff/reports/ID")
            c.request("GET", "/staff/reports/internal?period=" + urllib.parse.quote(self.args.period),
                      label="GET /staff/reports/internal")
            self.sleep(self.every(30))

    def proc(self):
        pid = self.args.pid
        rss = threads = 0
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("Threads:"):
                    threads = int(line.split()[1])
        fds = len(os.listdir(f"/proc/{pid}/fd"))
        return rss, fds, threads

    def run(self):
        staff = [line.split() for line in open(self.args.staff) if line.strip()]
        threads = []
        advisors = [s for s in staff if s[0] == "advisor"]
        coordinators = [s for s in staff if s[0] == "coordinator"]
        for n, (_, user, secret) in enumerate(advisors[:2]):
            c = self.login(user, secret)
            threads.append(threading.Thread(target=self.advisor, args=(c, n), daemon=True))
        for _, user, secret in coordinators[:1]:
            c = self.login(user, secret)
            threads.append(threading.Thread(target=self.coordinator, args=(c,), daemon=True))
        for n in range(2):
            threads.append(threading.Thread(target=self.starter, args=(n,), daemon=True))
            threads.append(threading.Thread(target=self.returner, args=(n,), daemon=True))
        out = open(self.args.out, "w")
        out.write("t_s,requests,errors,page_n,page_p50_ms,page_p99_ms,hash_n,hash_p50_ms,hash_p99_ms,"
                  "rss_kib,fds,threads\n")
        t0 = time.monotonic()
        rss, fds, nthreads = self.proc()
        out.write(f"0,0,0,0,0,0,0,0,0,{rss},{fds},{nthreads}\n")
        out.flush()
        for t in threads:
            t.start()
        end = t0 + self.args.minutes * 60
        samples = []
        next_at = t0 + 10
        while True:
            now = time.monotonic()
            if now >= end - 0.01:
                break
            time.sleep(max(0.0, min(next_at, end) - now))
            window, total, errors = self.stats.take()
            rss, fds, nthreads = self.proc()
            row = {"t": round(time.monotonic() - t0), "requests": total, "errors": errors,
                   "page_n": len(window["page"]), "page_p50": pct(window["page"], 50),
                   "page_p99": pct(window["page"], 99), "hash_n": len(window["hash"]),
                   "hash_p50": pct(window["hash"], 50), "hash_p99": pct(window["hash"], 99),
                   "rss": rss, "fds": fds, "threads": nthreads}
            samples.append(row)
            out.write("{t},{requests},{errors},{page_n},{page_p50:.1f},{page_p99:.1f},{hash_n},"
                      "{hash_p50:.1f},{hash_p99:.1f},{rss},{fds},{threads}\n".format(**row))
            out.flush()
            print("t={t:>5}s req={requests:>6} err={errors} page p99 {page_p99:7.1f} ms  hash p99 "
                  "{hash_p99:7.1f} ms  rss {rss} KiB  fds {fds}".format(**row), flush=True)
            next_at += 10
        self.stop.set()
        for t in threads:
            t.join(timeout=60)
        _, total, errors = self.stats.take()
        return self.verdict(samples, total, errors)

    def verdict(self, samples, total, errors):
        a = self.args
        # Warm-up: a fifth of the run, at most 2 minutes (SQLite's page cache and the
        # allocator's arenas fill). RSS is compared as the lowest sample of a minute: a
        # sample taken while an Argon2id hash runs holds up to its 64 MiB, which is freed
        # right after, so single samples swing by that much.
        warm = min(120, a.minutes * 60 / 5)
        after = [s for s in samples if s["t"] >= warm]
        base_rss = min(s["rss"] for s in after[:6])
        end_rss = min(s["rss"] for s in samples[-6:])
        fds_base = min(s["fds"] for s in after)
        fds_max = max(s["fds"] for s in samples)
        page_p99_max = max(s["page_p99"] for s in samples)
        hash_p99_max = max(s["hash_p99"] for s in samples)
        third = max(1, len(after) // 3)
        p99_first = pct([s["page_p99"] for s in after[:third]], 50)
        p99_last = pct([s["page_p99"] for s in after[-third:]], 50)
        problems = []
        if errors:
            problems.append(f"{errors} errors: {json.dumps(self.stats.error_kinds)}")
        if end_rss - base_rss > a.rss_growth_kib:
            problems.append(f"RSS grew {end_rss - base_rss} KiB after warm-up (bound {a.rss_growth_kib})")
        if fds_max - fds_base > a.fd_growth:
            problems.append(f"file descriptors rose from {fds_base} to {fds_max} (bound +{a.fd_growth})")
        if page_p99_max > a.page_p99_ms:
            problems.append(f"page p99 reached {page_p99_max:.0f} ms (bound {a.page_p99_ms})")
        if hash_p99_max > a.hash_p99_ms:
            problems.append(f"Argon2id request p99 reached {hash_p99_max:.0f} ms (bound {a.hash_p99_ms})")
        if p99_last > 2 * p99_first + 50:
            problems.append(f"page p99 drifted from {p99_first:.0f} ms (first third) to {p99_last:.0f} ms (last third)")
        summary = {
            "minutes": a.minutes, "rate": a.rate, "samples": len(samples), "requests": total, "errors": errors,
            "requests_per_s": round(total / (a.minutes * 60), 2),
            "rss_kib": {"first_sample": samples[0]["rss"], "after_warmup_min_of_minute": base_rss,
                        "end_min_of_last_minute": end_rss, "max_sample": max(s["rss"] for s in samples)},
            "fds": {"after_warmup_min": fds_base, "max": fds_max},
            "threads_max": max(s["threads"] for s in samples),
            "page_p99_ms": {"median_window": round(pct([s["page_p99"] for s in samples], 50), 1),
                            "first_third_median": round(p99_first, 1), "last_third_median": round(p99_last, 1),
                            "max_window": round(page_p99_max, 1)},
            "page_p50_ms_median_window": round(pct([s["page_p50"] for s in samples], 50), 1),
            "hash_p99_ms": {"median_window": round(pct([s["hash_p99"] for s in samples], 50), 1),
                            "max_window": round(hash_p99_max, 1)},
            "problems": problems,
        }
        print(json.dumps(summary, indent=2))
        with open(a.out.rsplit(".", 1)[0] + ".json", "w") as f:
            json.dump(summary, f, indent=2)
        return 1 if problems else 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", required=True)
    p.add_argument("--pid", required=True, type=int)
    p.add_argument("--binary", required=True)
    p.add_argument("--staff", required=True, help="file of 'ROLE USERNAME TOTP_SECRET' lines")
    p.add_argument("--password", required=True)
    p.add_argument("--period", required=True)
    p.add_argument("--minutes", type=float, default=30)
    p.add_argument("--rate", type=float, default=1.0, help="multiplies every actor's pace")
    p.add_argument("--out", required=True, help="CSV of the 10 s samples")
    p.add_argument("--rss-growth-kib", type=int, default=32 * 1024)
    p.add_argument("--fd-growth", type=int, default=32)
    p.add_argument("--page-p99-ms", type=float, default=2000)
    p.add_argument("--hash-p99-ms", type=float, default=5000)
    sys.exit(Soak(p.parse_args()).run())


if __name__ == "__main__":
    main()
