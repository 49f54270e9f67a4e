"""Class mode under load (``python bench/load_ws.py --followers 60``): one lecturer, N followers.

Every client is a protocol-level websocket client (``load_ws.Session``: Streamlit's own protobuf
messages, the browser's message cache and timers), so the figures are the server's:

1. the server starts; a first visitor pays for the imports and leaves; the server's threads are
   counted once its session is gone (the baseline);
2. the lecturer opens the Training lab, presses Train (a budget that outlasts the test) and
   "Share with the class", and reads the room code; its training speed is measured ALONE for
   ``--alone-seconds`` (its own page refreshing, as a lecturer's browser does);
3. N followers open ``/follow?room=CODE`` (every third with ``lang=ko``), ``--stagger`` s apart, and
   refresh as the browser's setInterval does; for ``--seconds`` the lecturer's speed, each
   follower's live refreshes (runs that delivered the progress line), the health check's latency
   and the server's memory are measured;
4. everyone leaves; the server's threads are counted after Streamlit's session TTL.

Prints each figure against its target (issue 16) and, with ``--json``, ends with one JSON line.
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import statistics
import time
from pathlib import Path

import load as L
import websockets
from load_ws import Session
from streamlit.proto.WidgetStates_pb2 import WidgetState

CODE_RE = re.compile(r"\*\*([0-9A-Z]{4}-[0-9A-Z]{4})\*\*")
TARGETS = {"lecturer_ratio": 0.7, "follower_refresh_min": 1.0, "health_p95_ms": 100.0, "server_peak_mib": 1536.0}


class Lecturer(Session):
    """The lecturer's tab: trains in the Training lab and shares it."""

    code: str = ""

    def _read(self, msgs: list, now: float) -> None:
        super()._read(msgs, now)
        for f in msgs:
            if f.WhichOneof("type") == "delta" and f.delta.WhichOneof("type") == "new_element":
                el = f.delta.new_element
                if el.WhichOneof("type") == "markdown":
                    m = CODE_RE.search(el.markdown.body)
                    if m:
                        self.code = m.group(1).replace("-", "")

    async def lecture(self, shared: asyncio.Event, stop: asyncio.Event) -> None:
        try:
            async with websockets.connect(self.url, subprotocols=["streamlit"], max_size=None, open_timeout=120,
                                          ping_interval=None) as ws:
                self._read(await self._run_until_finished(ws, self._rerun()), time.monotonic())
                steps = [WidgetState(id=self.widgets["lab.steps"], int_value=200_000)]
                self._read(await self._run_until_finished(ws, self._rerun(steps)), time.monotonic())
                train = WidgetState(id=self.widgets["lab.btn.train"], trigger_value=True)
                self._read(await self._run_until_finished(ws, self._rerun([*steps, train])), time.monotonic())
                share = WidgetState(id=self.widgets["share.btn.open"], trigger_value=True)
                self._read(await self._run_until_finished(ws, self._rerun([*steps, share])), time.monotonic())
                if not self.code:
                    raise RuntimeError("no room code on the lecturer's page after 'Share with the class'")
                shared.set()
                await self.timers(ws, stop, fixed_rate=True)
        except Exception as e:  # reported, not raised
            self.error = f"{type(e).__name__}: {e}"
            shared.set()


async def follow(s: Session, stop: asyncio.Event) -> None:
    try:
        async with websockets.connect(s.url, subprotocols=["streamlit"], max_size=None, open_timeout=120,
                                      ping_interval=None) as ws:
            t0 = time.perf_counter()
            s._read(await s._run_until_finished(ws, s._rerun()), time.monotonic())
            s.load_s = time.perf_counter() - t0
            await s.timers(ws, stop, fixed_rate=True)
    except Exception as e:  # reported, not raised
        s.error = f"{type(e).__name__}: {e}"


def rate(points: list, t0: float, t1: float) -> float:
    """Steps per second over [t0, t1] from (time, step) points."""
    inside = [(t, v) for t, v in points if t0 <= t <= t1]
    if len(inside) < 2:
        return float("nan")
    (ta, a), (tb, b) = inside[0], inside[-1]
    return (b - a) / max(tb - ta, 1e-9)


def refresh_rate(times: list, t0: float, t1: float) -> float:
    inside = [t for t in times if t0 <= t <= t1]
    return (len(inside) - 1) / (inside[-1] - inside[0]) if len(inside) >= 2 else 0.0


async def drive(n: int, url: str, alone_s: float, watch_s: float, stagger: float, pid: int) -> dict:
    stop_all, shared = asyncio.Event(), asyncio.Event()
    lect = Lecturer(0, url)
    lt = asyncio.create_task(lect.lecture(shared, stop_all))
    await shared.wait()
    if lect.error:
        await lt
        return {"lecturer": lect, "followers": [], "windows": {}, "cpu": {}}
    await asyncio.sleep(3.0)  # the run is under way and the page has settled
    t_alone, cpu_alone = time.monotonic(), L.cpu_seconds(pid)
    await asyncio.sleep(alone_s)
    t_alone_end, cpu_alone_end = time.monotonic(), L.cpu_seconds(pid)
    fstop = asyncio.Event()
    followers = [Session(i + 1, url, page="follow", query=f"room={lect.code}" + ("&lang=ko" if i % 3 == 2 else ""))
                 for i in range(n)]
    tasks = []
    for s in followers:
        tasks.append(asyncio.create_task(follow(s, fstop)))
        await asyncio.sleep(stagger)
    await asyncio.sleep(5.0)  # the last ones' first page loads are done
    t_watch, cpu_watch = time.monotonic(), L.cpu_seconds(pid)
    await asyncio.sleep(watch_s)
    t_watch_end, cpu_watch_end = time.monotonic(), L.cpu_seconds(pid)
    fstop.set()
    await asyncio.gather(*tasks)
    stop_all.set()
    await lt
    return {"lecturer": lect, "followers": followers,
            "windows": {"alone": (t_alone, t_alone_end), "watch": (t_watch, t_watch_end)},
            "cpu": {"alone": (cpu_alone_end - cpu_alone) / (t_alone_end - t_alone),
                    "watch": (cpu_watch_end - cpu_watch) / (t_watch_end - t_watch)}}


def run(a) -> int:
    """The class-mode test with the parsed arguments of load_ws.py."""
    n = max(1, min(200, a.followers))
    load_before = os.getloadavg()
    port = L.free_port()
    proc = L.start_server(port, ttl=a.ttl, max_jobs=a.max_jobs, log_dir=Path(a.log_dir))
    try:
        url = f"ws://127.0.0.1:{port}/_stcore/stream"
        from load_ws import newcomer_load
        warm = asyncio.run(newcomer_load(url))  # the first visitor pays for the imports (torch...)
        time.sleep(a.ttl + 6)  # its session is gone: what stays now is the server's own
        base = L.proc_status(proc.pid)
        mon = L.Monitor(proc.pid, port)
        mon.start()
        res = asyncio.run(drive(n, url, a.alone_seconds, a.seconds, a.stagger, proc.pid))
        t_closed = time.monotonic()
        after = {}
        for wait in (3, a.ttl + 6):  # just after everyone left, and after the session TTL
            time.sleep(max(0.0, t_closed + wait - time.monotonic()))
            now = L.proc_status(proc.pid)
            after[wait] = now["Threads"]
            workers_after = now["Workers"]
        mon.halt.set()
        mon.join(5)
        end = L.proc_status(proc.pid)
    finally:
        L.stop_server(proc)
    load_after = os.getloadavg()
    lect, followers, win = res["lecturer"], res["followers"], res["windows"]
    if lect.error:
        print(f"lecturer failed: {lect.error}")
        return 1
    ok = [s for s in followers if not s.error]
    (a0, a1), (w0, w1) = win["alone"], win["watch"]
    alone, followed = rate(lect.steps, a0, a1), rate(lect.steps, w0, w1)
    ratio = followed / alone if alone > 0 else float("nan")
    rates = [refresh_rate(s.refreshes, w0, w1) for s in ok]
    moved = [rate(s.steps, w0, w1) > 0 for s in ok]
    health = [ms for t, ms in zip(mon.health_at, mon.health_ms) if w0 <= t <= w1] or mon.health_ms
    kib = [s.bytes_in / 1024 / max(1e-9, w1 - w0 + 5) for s in ok]
    out = {
        "followers": n, "followers_ok": len(ok), "cores": os.cpu_count(), "autogroup": L.autogroup(),
        "load_avg_before": load_before[0],
        "load_avg_after": load_after[0], "seconds_alone": round(a1 - a0, 1), "seconds_watched": round(w1 - w0, 1),
        "lecturer_steps_per_s_alone": alone, "lecturer_steps_per_s_followed": followed, "lecturer_ratio": ratio,
        "follower_refresh_min": min(rates, default=0.0), "follower_refresh_median": statistics.median(rates) if rates else 0.0,
        "followers_saw_steps_advance": sum(moved), "follower_first_load_p50_s": L.pct([s.load_s for s in ok], 50),
        "follower_kib_per_s_median": statistics.median(kib) if kib else 0.0,
        "health_p50_ms": L.pct(health, 50), "health_p95_ms": L.pct(health, 95), "health_failures": mon.health_failures,
        # the server's own peak, or the server with its training workers (their private pages) if higher
        "server_peak_mib": max([end["VmHWM"] / 1024] + [s.get("TreeMB", 0.0) for _, s in mon.samples]),
        "server_own_peak_mib": end["VmHWM"] / 1024, "workers_after": workers_after,
        "threads_baseline": base["Threads"],
        "threads_peak": max((s.get("Threads", 0) for _, s in mon.samples), default=0),
        "threads_3s_after": after[3], "threads_after": after[a.ttl + 6], "warm_load_s": warm,
        # the server's CPU use (cores busy), which other jobs on the machine do not change as they do wall-clock rates
        "server_cpu_alone": res["cpu"].get("alone", float("nan")), "server_cpu_followed": res["cpu"].get("watch", float("nan")),
    }
    refreshes = sum(len([t for t in s.refreshes if w0 <= t <= w1]) for s in ok)
    out["server_cpu_ms_per_refresh"] = ((out["server_cpu_followed"] - out["server_cpu_alone"]) * (w1 - w0) * 1000
                                        / max(1, refreshes))
    out["threads_left"] = out["threads_after"] - out["threads_baseline"]
    passed = {"lecturer_ratio": ratio >= TARGETS["lecturer_ratio"],
              "follower_refresh_min": out["follower_refresh_min"] >= TARGETS["follower_refresh_min"],
              "health_p95_ms": out["health_p95_ms"] < TARGETS["health_p95_ms"],
              "server_peak_mib": out["server_peak_mib"] < TARGETS["server_peak_mib"],
              "threads_left": out["threads_left"] <= 0 and workers_after == 0}
    out["passed"] = passed
    mark = {True: "ok", False: "MISSED"}
    print(f"RNN Explorer class mode (websocket clients): 1 lecturer + {n} followers ({len(ok)} without errors, every "
          f"third in Korean), {out['cores']} CPU cores (autogroup {out['autogroup']}), load average {load_before[0]:.2f} before / "
          f"{load_after[0]:.2f} after; alone {a1 - a0:.0f} s, watched {w1 - w0:.0f} s, session TTL {a.ttl} s")
    print(f"lecturer's training: {alone:.1f} steps/s alone, {followed:.1f} with {n} followers: "
          f"{ratio:.2f}x (target >= 0.7x) {mark[passed['lecturer_ratio']]}")
    print(f"follower live refreshes per s: min {out['follower_refresh_min']:.2f}  median "
          f"{out['follower_refresh_median']:.2f} (target >= 1 each) {mark[passed['follower_refresh_min']]}; "
          f"{sum(moved)} of {len(ok)} saw the lecturer's step advance; first page load p50 "
          f"{out['follower_first_load_p50_s']:.2f} s; received {out['follower_kib_per_s_median']:.0f} KiB/s each (median)")
    print(f"health check (ms) while followed: p50 {out['health_p50_ms']:.0f}  p95 {out['health_p95_ms']:.0f} "
          f"(target < 100) {mark[passed['health_p95_ms']]}; failures {mon.health_failures}")
    print(f"server CPU (cores busy): {out['server_cpu_alone']:.2f} alone, {out['server_cpu_followed']:.2f} with {n} "
          f"followers: {out['server_cpu_ms_per_refresh']:.1f} ms of CPU per follower refresh")
    print(f"server memory: peak {out['server_peak_mib']:.0f} MiB with its training workers (target < 1536) "
          f"{mark[passed['server_peak_mib']]}; the server process alone {out['server_own_peak_mib']:.0f} MiB (VmHWM)")
    print(f"server threads: {base['Threads']} before the lecturer came, peak {out['threads_peak']}, 3 s after everyone "
          f"left {after[3]}, after the session TTL {out['threads_after']}: {out['threads_left']:+d}; "
          f"training workers left {workers_after} "
          f"{mark[passed['threads_left']]}")
    if len(ok) < n:
        print(f"followers with errors: {n - len(ok)}: " + "; ".join(s.error for s in followers if s.error)[:500])
    if a.json:
        print(json.dumps(out, default=float))
    return 0 if len(ok) == n else 1
