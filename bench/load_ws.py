"""Load test with protocol-level clients: N sessions train in the Training lab of one server.

    python bench/load_ws.py --sessions 30 --seconds 60 [--json]
    python bench/load_ws.py --followers 60 [--json]     (class mode: bench/ws_class.py)

bench/load.py drives real Chromium pages, but on a 2-core machine thirty browsers measure the
browser, not the server. Here each session is a websocket client that speaks Streamlit's own
protocol (the protobuf BackMsg/ForwardMsg the browser sends and receives): it opens the Training
lab, sets its own seed and a budget longer than the test, presses Train, and then asks for the live fragment's reruns as the browser
does (the `auto_rerun` interval, one request at a time: a slow client never piles up requests). So
the figures are the server's: every script run, every figure built and serialised, every job.

Prints:
- page-load time (request until the script finished, as the browser waits) as sessions arrive,
  and for a newcomer while all train; /_stcore/health latency throughout;
- live refreshes per session per second (fragment runs that delivered the progress line) and the
  training steps each session saw;
- isolation: each session saw only its own run (steps move only in sessions that hold a training
  slot; the others say "queued" with their position, and positions are distinct);
- jobs running / queued, the server's peak memory, threads during the run and after all closed.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load as L  # noqa: E402  (server start/stop, monitor, percentiles)

import websockets  # noqa: E402  (a Streamlit dependency)
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: E402

PAGE = "training_lab"
PROGRESS_RE = re.compile(r"^step ([\d,]+)|중 ([\d,]+)")  # the step in a progress line, English or Korean
POS_RE = re.compile(r"position (\d+)")
MAX_MESSAGE_AGE = 2  # the browser forgets a cached message after this many runs without it (Streamlit's default)


@dataclass
class Session:
    """One simulated browser tab."""

    idx: int
    url: str
    page: str = PAGE  # url path of the page it opens
    query: str = ""  # its query string ("room=...&lang=ko")
    load_s: float = float("nan")  # page open: request until script_finished
    page_hash: str = ""
    widgets: dict = field(default_factory=dict)  # user key -> widget id
    refreshes: list = field(default_factory=list)  # monotonic times of fragment runs with a progress line
    steps: list = field(default_factory=list)  # (time, step) seen in the progress line
    statuses: list = field(default_factory=list)  # status metric values seen
    positions: list = field(default_factory=list)  # queue positions seen
    fragments: dict = field(default_factory=dict)  # fragment id -> rerun interval (s) the server asked for
    error: str = ""
    bytes_in: int = 0  # bytes of ForwardMsgs received
    cache: dict = field(default_factory=dict)  # message hash -> run it was last used in (the browser's cache)
    runs: int = 0  # script and fragment runs finished

    async def _run_until_finished(self, ws, msg: BackMsg, timeout: float = 120.0) -> list:
        """Send ``msg`` and read until script_finished; returns the ForwardMsgs."""
        if not msg.rerun_script.fragment_id:
            self.fragments.clear()  # a whole run announces its fragments anew (their ids may change), as the browser's
        await ws.send(msg.SerializeToString())
        out = []
        end = time.monotonic() + timeout
        while True:
            data = await asyncio.wait_for(ws.recv(), max(0.1, end - time.monotonic()))
            self.bytes_in += len(data)
            f = ForwardMsg()
            f.ParseFromString(data)
            out.append(f)
            kind = f.WhichOneof("type")
            # as the browser: keep big messages by hash and say so in the next request, so the server
            # sends a reference instead of an element that did not change
            if kind == "ref_hash":
                self.cache[f.ref_hash] = self.runs
            elif f.metadata.cacheable and f.hash:
                self.cache[f.hash] = self.runs
            if kind == "navigation":
                # a whole run (also one the server started itself: st.rerun): as the browser, forget the
                # fragments' timers; the run announces its own (a vanished one's rerun gets no answer)
                self.fragments.clear()
            if kind == "navigation" and not self.page_hash:
                for p in f.navigation.app_pages:
                    if p.url_pathname == self.page:
                        self.page_hash = p.page_script_hash
            elif kind == "auto_rerun":
                self.fragments[f.auto_rerun.fragment_id] = f.auto_rerun.interval
            elif kind == "stop_auto_rerun":
                self.fragments.pop(f.stop_auto_rerun.fragment_id, None)
            elif kind == "script_finished":
                self.runs += 1
                self.cache = {h: r for h, r in self.cache.items() if self.runs - r <= MAX_MESSAGE_AGE}
                return out

    def _read(self, msgs: list, now: float) -> None:
        """Widget ids, and the live part: progress line, status metric, queue position."""
        progressed = False
        for f in msgs:
            if f.WhichOneof("type") != "delta" or f.delta.WhichOneof("type") != "new_element":
                continue
            el = f.delta.new_element
            kind = el.WhichOneof("type")
            inner = getattr(el, kind)
            wid = getattr(inner, "id", "") if hasattr(inner, "id") else ""
            if wid.startswith("$$ID-"):
                self.widgets[wid.split("-", 2)[2]] = wid
            if kind == "progress":
                m = PROGRESS_RE.search(inner.text)
                if m:
                    self.steps.append((now, int((m.group(1) or m.group(2)).replace(",", ""))))
                    progressed = True
            elif kind == "metric" and inner.label == "Status":
                self.statuses.append(inner.body)
            elif kind == "alert":
                m = POS_RE.search(inner.body)
                if m:
                    self.positions.append(int(m.group(1)))
        if progressed:
            self.refreshes.append(now)

    def _rerun(self, widgets=(), fragment_id: str = "") -> BackMsg:
        m = BackMsg()
        cs = m.rerun_script
        cs.query_string = self.query
        cs.page_name = self.page
        cs.page_script_hash = self.page_hash
        cs.cached_message_hashes.extend(self.cache)
        if fragment_id:
            cs.fragment_id = fragment_id
            cs.is_auto_rerun = True
        cs.widget_states.widgets.extend(widgets)
        return m

    async def timers(self, ws, stop: asyncio.Event, fixed_rate: bool = False) -> None:
        """Ask for the fragments' reruns at the intervals the server set, one request at a time,
        until ``stop``; the next is due an interval after this one was sent, or with ``fixed_rate`` (as
        the browser's setInterval) an interval after this one was due (one that is late goes at once)."""
        due: dict = {}  # fragment id -> when its timer fires next
        while not stop.is_set():
            for fid, interval in self.fragments.items():
                due.setdefault(fid, time.monotonic() + interval)
            live = {f: d for f, d in due.items() if f in self.fragments}
            if not live:
                try:
                    await asyncio.wait_for(stop.wait(), 0.5)
                    break
                except asyncio.TimeoutError:
                    continue
            fid = min(live, key=live.get)
            wait = live[fid] - time.monotonic()
            if wait > 0:
                try:
                    await asyncio.wait_for(stop.wait(), wait)
                    break
                except asyncio.TimeoutError:
                    pass
            interval = self.fragments.get(fid, 1.0)
            now = time.monotonic()
            due[fid] = max(due[fid] + interval, now) if fixed_rate else now + interval
            msgs = await self._run_until_finished(ws, self._rerun(fragment_id=fid))
            self._read(msgs, time.monotonic())

    async def run(self, started: asyncio.Event, stop: asyncio.Event, seed: int) -> None:
        try:
            async with websockets.connect(self.url, subprotocols=["streamlit"], max_size=None,
                                          open_timeout=120, ping_interval=None) as ws:
                t0 = time.perf_counter()
                msgs = await self._run_until_finished(ws, self._rerun())
                self.load_s = time.perf_counter() - t0
                self._read(msgs, time.monotonic())
                # its own seed, and a budget that outlasts the test (every run keeps training)
                mine = [WidgetState(id=self.widgets["lab.seed"], int_value=seed),
                        WidgetState(id=self.widgets["lab.steps"], int_value=200_000)]
                msgs = await self._run_until_finished(ws, self._rerun(mine))
                self._read(msgs, time.monotonic())
                train = WidgetState(id=self.widgets["lab.btn.train"], trigger_value=True)
                msgs = await self._run_until_finished(ws, self._rerun([*mine, train]))
                self._read(msgs, time.monotonic())
                started.set()
                await self.timers(ws, stop)
        except Exception as e:  # reported, not raised: one broken session must not hide the rest
            self.error = f"{type(e).__name__}: {e}"


async def newcomer_load(url: str) -> float:
    """A page load while everyone trains: a fresh session opens the Training lab."""
    s = Session(-1, url)
    async with websockets.connect(url, subprotocols=["streamlit"], max_size=None, open_timeout=120,
                                  ping_interval=None) as ws:
        t0 = time.perf_counter()
        await s._run_until_finished(ws, s._rerun())
        return time.perf_counter() - t0


async def drive(n: int, seconds: float, url: str, stagger: float) -> tuple[list, list, float]:
    stop = asyncio.Event()
    sessions = [Session(i, url) for i in range(n)]
    events = [asyncio.Event() for _ in sessions]
    tasks = []
    t_open = time.monotonic()
    for s, ev in zip(sessions, events):
        tasks.append(asyncio.create_task(s.run(ev, stop, seed=s.idx)))
        await asyncio.sleep(stagger)
    for ev in events:  # everyone pressed Train (or failed)
        try:
            await asyncio.wait_for(ev.wait(), 180)
        except asyncio.TimeoutError:
            break
    opened = time.monotonic() - t_open
    t_watch = time.monotonic()
    newcomers = []
    while time.monotonic() - t_watch < seconds:
        await asyncio.sleep(seconds / 3)
        try:
            newcomers.append(await newcomer_load(url))
        except Exception:
            newcomers.append(float("nan"))
    stop.set()
    await asyncio.gather(*tasks)
    return sessions, newcomers, opened


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=30, help="websocket sessions (at most 200)")
    ap.add_argument("--seconds", type=float, default=60.0, help="how long to watch everyone train")
    ap.add_argument("--stagger", type=float, default=0.2, help="seconds between session arrivals")
    ap.add_argument("--max-jobs", type=int, default=None, help="RNNX_MAX_JOBS of the server (default: its cores)")
    ap.add_argument("--ttl", type=int, default=5, help="server.disconnectedSessionTTL (s) for this test")
    ap.add_argument("--verbose", action="store_true", help="print what each session saw")
    ap.add_argument("--log-dir", default="/tmp/rnnx-load-ws", help="server log directory")
    ap.add_argument("--followers", type=int, default=0,
                    help="class mode: one lecturer shares a run and N followers watch it (bench/ws_class.py)")
    ap.add_argument("--alone-seconds", type=float, default=20.0, help="class mode: the lecturer's speed alone is "
                    "measured this long before the followers come")
    ap.add_argument("--json", action="store_true", help="end with one JSON line of the figures")
    a = ap.parse_args(argv)
    if a.followers > 0:
        import ws_class
        return ws_class.run(a)
    n = max(1, min(200, a.sessions))
    verbose = a.verbose
    port = L.free_port()
    proc = L.start_server(port, ttl=a.ttl, max_jobs=a.max_jobs, log_dir=Path(a.log_dir))
    try:
        time.sleep(1.0)
        base = L.proc_status(proc.pid)
        mon = L.Monitor(proc.pid, port)
        mon.start()
        url = f"ws://127.0.0.1:{port}/_stcore/stream"
        warm = asyncio.run(newcomer_load(url))  # the first visitor pays for the imports (torch...)
        t_watch0 = time.monotonic()
        sessions, newcomers, opened = asyncio.run(drive(n, a.seconds, url, a.stagger))
        watched = time.monotonic() - t_watch0
        during = [s for _, s in mon.samples]
        peak_threads = max((s.get("Threads", 0) for s in during), default=0)
        t_closed = time.monotonic()
        after = {}
        for wait in (3, a.ttl + 6):  # just after closing, and after the session TTL expired
            time.sleep(max(0.0, t_closed + wait - time.monotonic()))
            after[wait] = L.proc_status(proc.pid)["Threads"]
        mon.halt.set()
        mon.join(5)
        end = L.proc_status(proc.pid)
    finally:
        L.stop_server(proc)

    ok = [s for s in sessions if not s.error]
    if verbose:
        for s in sessions:
            print(s.idx, f"load {s.load_s:.2f}", "statuses", sorted(set(s.statuses)), "steps", s.steps[:2], s.steps[-2:],
                  "refreshes", len(s.refreshes), "positions", sorted(set(s.positions)), s.error)
    rates, moved = [], []
    for s in ok:
        if len(s.refreshes) >= 2:
            rates.append((len(s.refreshes) - 1) / (s.refreshes[-1] - s.refreshes[0]))
        else:
            rates.append(0.0)
        steps = [v for _, v in s.steps]
        moved.append(steps[-1] - steps[0] if steps else 0)
    training = [s for s, m in zip(ok, moved) if m > 0]
    queued_only = [s for s, m in zip(ok, moved) if m == 0]
    queued_said = [s for s in queued_only if s.statuses and s.statuses[-1] == "queued"]
    positions = [s.positions[-1] for s in queued_only if s.positions]
    cores = os.cpu_count()
    print(f"RNN Explorer load test (websocket clients): {n} sessions, {cores} CPU cores, "
          f"RNNX_MAX_JOBS={a.max_jobs or 'cores'}, watched {a.seconds:.0f} s after all {n} pressed Train "
          f"({opened:.1f} s to open them all, {a.stagger} s apart), session TTL {a.ttl} s")
    loads = [s.load_s for s in ok]
    print(f"first page load after start (imports): {warm:.2f} s")
    print(f"page load (s), sessions arriving: p50 {L.pct(loads, 50):.2f}  p90 {L.pct(loads, 90):.2f}  "
          f"max {max(loads, default=float('nan')):.2f}")
    print("page load (s) of a newcomer while all train: " + ", ".join(f"{v:.2f}" for v in newcomers))
    print(f"health check (ms): p50 {L.pct(mon.health_ms, 50):.0f}  p95 {L.pct(mon.health_ms, 95):.0f}  "
          f"max {max(mon.health_ms, default=float('nan')):.0f}  failures {mon.health_failures}")
    print(f"live refreshes per session per s: min {min(rates, default=0):.2f}  median "
          f"{statistics.median(rates) if rates else 0:.2f}  max {max(rates, default=0):.2f}  "
          f"(fragment intervals {sorted(sessions[0].fragments.values())} s)")
    print(f"sessions training: {len(training)} (steps seen each: "
          + ", ".join(f"{m:,}" for m in moved if m > 0) + f"); waiting in the queue: {len(queued_only)}, of "
          f"which {len(queued_said)} said 'queued'; queue positions shown: {sorted(positions)}")
    distinct = len(set(positions)) == len(positions)
    print(f"isolation: steps moved only in sessions holding a slot ({len(training)} <= max jobs), "
          f"queue positions distinct: {distinct}")
    print(f"server memory: peak RSS (VmHWM) {end['VmHWM'] / 1024:.0f} MiB, baseline RSS "
          f"{base['VmRSS'] / 1024:.0f} MiB")
    print(f"server threads: baseline {base['Threads']}, peak {peak_threads}; 3 s after closing "
          f"{after[3]}; after the session TTL {after[a.ttl + 6]}")
    if len(ok) < n:
        print(f"sessions with errors: {n - len(ok)}: " + "; ".join(s.error for s in sessions if s.error)[:500])
    if a.json:
        print(json.dumps({
            "sessions": n, "sessions_ok": len(ok), "cores": cores, "load_p50_s": L.pct(loads, 50),
            "load_p90_s": L.pct(loads, 90), "health_p50_ms": L.pct(mon.health_ms, 50),
            "health_p95_ms": L.pct(mon.health_ms, 95), "refresh_min": min(rates, default=0.0),
            "refresh_median": statistics.median(rates) if rates else 0.0, "training": len(training),
            "queued": len(queued_only), "queue_positions_distinct": distinct, "server_peak_mib": end["VmHWM"] / 1024,
            "threads_baseline": base["Threads"], "threads_peak": peak_threads, "threads_after": after[a.ttl + 6]},
            default=float))
    return 0 if len(ok) == n else 1


if __name__ == "__main__":
    raise SystemExit(main())
