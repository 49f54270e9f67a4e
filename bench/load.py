"""Load test: N browser sessions train in the Training lab of one local server at once.

    python bench/load.py --sessions 10 --seconds 30

Starts `streamlit run app.py` on a free loopback port, opens N sessions (browser contexts of one
headless Chromium), presses Train in each (every session its own seed, so every run differs),
watches for a while, closes them all and reports:

- page-load time of each session (navigation until the script is idle), percentiles;
- page loads and /_stcore/health answers while everything trains (is the server responsive?);
- live refresh rate per session (distinct last-steps of the loss chart per second);
- sessions queued for a training slot (the status metric reads "queued");
- the server's peak resident memory (VmHWM) and thread count (VmRSS/Threads from /proc);
- threads left after all sessions closed, against the baseline before any session opened.

Bounded: at most --sessions contexts, --seconds of watching, loopback only. The browser runs on the
same machine as the server, so its CPU use is part of the load; the report says how many cores.
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("RNNX_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                 "--no-first-run", "--disable-component-update", "--disable-sync"]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
LOSS_LAST_STEP_JS = """() => {
  const p = [...document.querySelectorAll('.js-plotly-plot')].find(el => el.layout && el.layout.title
      && String(el.layout.title.text).replace(/<[^>]*>/g, '').startsWith('Loss'));
  // a student watches the chart: one out of sight is not redrawn (explorer/app/live_chart.py)
  if (p) { const r = p.getBoundingClientRect(); if (r.bottom < 0 || r.top > innerHeight) p.scrollIntoView({block: 'center'}); }
  if (!p || !p._fullData || !p._fullData.length || !p._fullData[0].x) return -1;
  const x = p._fullData[0].x;
  return x.length ? Number(x[x.length - 1]) : 0;
}"""
STATUS_JS = """() => { const m = document.querySelector('[data-testid=stMetricValue]');
  return m ? m.innerText.trim() : ''; }"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid: int, workers: bool = True) -> dict:
    """VmRSS, VmHWM (kB) and Threads of ``pid`` from /proc, with its training workers: Workers (how
    many processes it has forked and not reaped) and TreeMB (its VmRSS plus the workers' private
    memory, in MiB: a forked worker shares the server's pages until either writes them, so this
    counts every page the two use once)."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "Threads"):
                out[k] = int(v.split()[0])
    if not workers:  # the server alone (cheap enough to sample every few ms)
        return out
    kids = descendants(pid)
    out["Workers"] = len(kids)
    out["TreeMB"] = (out.get("VmRSS", 0) + sum(private_kb(k) for k in kids)) / 1024
    return out


def autogroup() -> bool | None:
    """Whether Linux groups CPU time by session (``kernel.sched_autogroup_enabled``; None: not
    Linux, or no such setting). A training worker is a session of its own (explorer/jobs/forked.py):
    with autogroup its CPU share does not shrink as the server and other local programs get busy."""
    try:
        with open("/proc/sys/kernel/sched_autogroup_enabled") as f:
            return f.read().strip() == "1"
    except OSError:
        return None


def descendants(pid: int) -> list[int]:
    """The processes below ``pid`` (the training workers a server forked), from /proc."""
    parent = {}
    for d in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{d}/stat") as f:
                parent[int(d)] = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        out += kids
        todo += kids
    return out


def private_kb(pid: int) -> int:
    """Private_Clean + Private_Dirty (kB) of ``pid``: memory no other process shares (0 once gone)."""
    total = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith(("Private_Clean:", "Private_Dirty:")):
                    total += int(line.split()[1])
    except OSError:
        return 0
    return total


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) of ``pid``, of the children it has reaped (finished training
    workers) and of its live descendants (workers still training)."""
    total = 0.0
    for p in [pid, *descendants(pid)]:
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return total


def start_server(port: int, *, ttl: int, max_jobs: int | None, log_dir: Path) -> subprocess.Popen:
    """`streamlit run app.py` on 127.0.0.1:port in its own process group; returns once healthy."""
    env = dict(os.environ)
    if max_jobs:
        env["RNNX_MAX_JOBS"] = str(max_jobs)
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
           "--server.disconnectedSessionTTL", str(ttl)]
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / "server.log", "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    end = time.monotonic() + 60
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited ({proc.returncode}); see {log_dir / 'server.log'}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return proc
        except OSError:
            pass
        time.sleep(0.2)
    stop_server(proc)
    raise RuntimeError("streamlit did not become healthy within 60 s")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


# The health check is timed from a process of its own: a client thread inside a bench process that
# also drives dozens of websocket clients would time its own wait for that process's GIL.
HEALTH_PROBE = r"""
import sys, time, urllib.request
url, every = sys.argv[1], float(sys.argv[2])
while True:
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            r.read()
        print(time.monotonic(), (time.perf_counter() - t0) * 1000, flush=True)
    except OSError:
        print(time.monotonic(), -1, flush=True)
    time.sleep(every)
"""


class Monitor(threading.Thread):
    """Samples the server's memory, threads and workers in the background, and has a separate
    process time its health check every ``every`` seconds (``health_ms``, ``health_at``)."""

    def __init__(self, pid: int, port: int, every: float = 0.5):
        super().__init__(daemon=True)
        self.pid, self.port, self.every = pid, port, every
        self.halt = threading.Event()
        self.samples: list[tuple[float, dict]] = []
        self.health_ms: list[float] = []
        self.health_at: list[float] = []  # monotonic time of each health_ms sample
        self.health_failures = 0

    def run(self) -> None:
        probe = subprocess.Popen([sys.executable, "-c", HEALTH_PROBE, f"http://127.0.0.1:{self.port}/_stcore/health",
                                  str(self.every)], stdout=subprocess.PIPE, text=True)
        reader = threading.Thread(target=self._read, args=(probe.stdout,), daemon=True)
        reader.start()
        try:
            while not self.halt.is_set():
                self.samples.append((time.monotonic(), proc_status(self.pid)))
                self.halt.wait(self.every)
        finally:
            probe.kill()
            probe.wait(5)
            reader.join(5)

    def _read(self, out) -> None:
        for line in out:
            at, ms = (float(x) for x in line.split())
            if ms < 0:
                self.health_failures += 1
            else:
                self.health_ms.append(ms)
                self.health_at.append(at)


def pct(values, q) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(round(q / 100 * (len(v) - 1))))]


def open_session(browser, url: str, timeout_ms: int = 120_000):
    """A fresh context on ``url``; returns (context, page, seconds until the script is idle)."""
    ctx = browser.new_context(viewport={"width": 1200, "height": 800})
    page = ctx.new_page()
    t0 = time.perf_counter()
    page.goto(url, timeout=timeout_ms)
    page.wait_for_selector(IDLE, state="attached", timeout=timeout_ms)
    return ctx, page, time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=10, help="browser sessions (at most 60)")
    ap.add_argument("--seconds", type=float, default=30.0, help="how long to watch the runs train")
    ap.add_argument("--max-jobs", type=int, default=None, help="RNNX_MAX_JOBS of the server (default: its cores)")
    ap.add_argument("--ttl", type=int, default=5, help="server.disconnectedSessionTTL (s) for this test")
    ap.add_argument("--poll", type=float, default=1.0, help="seconds between looks at every session")
    ap.add_argument("--verbose", action="store_true", help="print every look at the sessions")
    ap.add_argument("--log-dir", default="/tmp/rnnx-load", help="server log directory")
    a = ap.parse_args(argv)
    n = max(1, min(60, a.sessions))

    from playwright.sync_api import sync_playwright

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(port, ttl=a.ttl, max_jobs=a.max_jobs, log_dir=Path(a.log_dir))
    mon = Monitor(proc.pid, port)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            # baseline: the server after one session came and went (its pools and caches exist)
            c, _, _ = open_session(browser, f"{base}/training_lab")
            c.close()
            time.sleep(a.ttl + 4)
            base_threads = proc_status(proc.pid)["Threads"]
            mon.start()
            sessions, loads = [], []
            for i in range(n):  # one after another, as students arrive
                ctx, page, dt = open_session(browser, f"{base}/training_lab?lab.seed={i}&lab.steps=100000")
                sessions.append((ctx, page))
                loads.append(dt)
            for _, page in sessions:
                page.get_by_role("button", name="Train").click()
            started_js = f"() => ['running', 'queued', 'done'].includes(({STATUS_JS})())"
            retries = 0
            for _, page in sessions:  # every click reached its server run (press again once if not)
                try:
                    page.wait_for_function(started_js, timeout=60_000)
                except Exception:
                    retries += 1
                    shot = Path(a.log_dir) / f"not_started_{retries}.png"
                    page.screenshot(path=str(shot))
                    print(f"a session did not start within 60 s (status {page.evaluate(STATUS_JS)!r}); see {shot}",
                          flush=True)
            t_train = time.monotonic()
            seen = [set() for _ in sessions]
            statuses: list[list[str]] = []
            loads_busy = []
            end = time.monotonic() + a.seconds
            while time.monotonic() < end:
                row = []
                for k, (_, page) in enumerate(sessions):
                    v = page.evaluate(LOSS_LAST_STEP_JS)
                    if v > 0:
                        seen[k].add(v)
                    row.append(page.evaluate(STATUS_JS))
                statuses.append(row)
                if a.verbose:
                    print(f"t={time.monotonic() - t_train:5.1f}s status {row} last steps {[max(s, default=0) for s in seen]}",
                          flush=True)
                time.sleep(a.poll)
            watched = time.monotonic() - t_train
            for path in ("/", "/training_lab"):  # a late student arrives while everything trains
                try:
                    c, _, dt = open_session(browser, base + path, timeout_ms=60_000)
                    c.close()
                except Exception:  # noqa: BLE001 - report it, keep measuring
                    dt = float("inf")
                loads_busy.append(dt)
            st_during = proc_status(proc.pid)
            for ctx, _ in sessions:
                ctx.close()
            t_closed = time.monotonic()
            time.sleep(4.0)  # a closed tab's session caches are cleared at once: its job stops
            c0 = cpu_seconds(proc.pid)
            time.sleep(3.0)
            cpu_rate = (cpu_seconds(proc.pid) - c0) / 3.0
            threads_closed = proc_status(proc.pid)["Threads"]
            # Streamlit drops a disconnected session after its TTL, when the session store is next
            # touched: a visitor comes and goes, then count again
            time.sleep(a.ttl + 1)
            c, _, _ = open_session(browser, base + "/")
            c.close()
            browser.close()
        threads_after = threads_closed
        for _ in range(15):
            threads_after = proc_status(proc.pid)["Threads"]
            if threads_after <= base_threads:
                break
            time.sleep(1.0)
        t_freed = time.monotonic() - t_closed
        mon.halt.set()
        mon.join(5)
        hwm = proc_status(proc.pid)["VmHWM"]
    finally:
        mon.halt.set()
        stop_server(proc)

    rates = [len(s) / watched for s in seen]
    queued = [sum(s == "queued" for s in row) for row in statuses]
    running = [sum(s == "running" for s in row) for row in statuses]
    peak_threads = max(s["Threads"] for _, s in mon.samples)
    health_during = [h for (t, _), h in zip(mon.samples, mon.health_ms) if t >= t_train and t <= t_closed]
    print(f"RNN Explorer load test: {n} sessions, {os.cpu_count()} CPU cores (browser on the same machine), "
          f"RNNX_MAX_JOBS={a.max_jobs or 'cores'}, watched {watched:.0f} s, session TTL {a.ttl} s")
    print(f"page load (s), sessions arriving one by one: p50 {pct(loads, 50):.2f}  p90 {pct(loads, 90):.2f}  "
          f"max {max(loads):.2f}  (opened {n} in {sum(loads):.1f} s)")
    print(f"page load (s) while all train: home {loads_busy[0]:.2f}, training lab {loads_busy[1]:.2f}")
    print(f"health check (ms) while all train: p50 {pct(health_during, 50):.0f}  p95 {pct(health_during, 95):.0f}"
          f"  max {max(health_during, default=float('nan')):.0f}  failures {mon.health_failures}")
    print(f"loss-chart updates seen per session per s: min {min(rates):.2f}  median {statistics.median(rates):.2f}  "
          f"max {max(rates):.2f}  (sessions with no update: {sum(r == 0 for r in rates)}; each session was looked "
          f"at {len(statuses) / watched:.2f} times per s, the most this can count)")
    print(f"Train presses that had to be repeated: {retries}")
    print(f"training at once: max {max(running)}  queued: max {max(queued)}, at the end {queued[-1]}")
    print(f"server memory: peak RSS (VmHWM) {hwm / 1024:.0f} MiB, RSS while training {st_during['VmRSS'] / 1024:.0f} MiB")
    print(f"server threads: baseline {base_threads}, peak {peak_threads}; 7 s after closing all {threads_closed} "
          f"(CPU then {cpu_rate * 100:.0f} % of a core); after the session TTL and one more visitor "
          f"{threads_after} ({t_freed:.0f} s after closing)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
