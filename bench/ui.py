"""The Training lab in a real browser: refreshes per second, bytes per refresh, training speed.

    python bench/ui.py [--seconds 20] [--task sine] [--pin] [--json]

Starts `streamlit run app.py` on a free loopback port, opens the Training lab in headless
Chromium (/usr/bin/chromium), presses Train, scrolls to the charts as a reader watching them does
(the loss and trajectories charts in sight) and watches for ``--seconds``:
- loss chart refreshes/s: how often the loss chart is drawn with new steps (budget >= 4);
- probe charts refreshes/s: how often the trajectories chart is drawn anew (budget >= 2);
  both counted in the page as they are drawn, read at the start and the end of the watch;
- steps/s with the page open (the progress bar) against the same run alone in this process (the
  engine without UI, as a training job runs it; the mean of 5 s before and 5 s after the watch),
  as a ratio (budget >= 0.9);
- bytes per curve refresh: the bytes of the loss chart's messages (over the websocket, and over
  the session's live stream, explorer/app/live_feed.py), divided by its refreshes (budget < 20
  KiB); and all bytes of both per refresh, for scale;
- CPU used while watching, in cores: the browser's page (renderer) processes (all on the machine)
  and this benchmark's server with its training worker process;
- resyncs: live-chart patches the browser could not apply (it then asks for the whole figure), and
  the charts that asked (resync_charts).
``--hold probe|all``: the probe charts (or all charts) are not redrawn after their first draw, so
that the renderer's CPU with and without their redraws says what they cost.
``--json``: one last line with these figures.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PROGRESS_STEP_JS = """() => {
  const p = document.querySelector('[data-testid=stProgress]');
  const m = p && p.innerText.match(/step ([0-9,]+) of/);
  return m ? Number(m[1].replace(/,/g, '')) : -1;
}"""
LAST_STEP_JS = """() => {
  const p = [...document.querySelectorAll('.js-plotly-plot')].find(el => el.layout && el.layout.title
      && String(el.layout.title.text).replace(/<[^>]*>/g, '').startsWith('Loss'));
  if (!p || !p._fullData || !p._fullData.length || !p._fullData[0].x) return -1;
  const x = p._fullData[0].x;
  return x.length ? Number(x[x.length - 1]) : 0;
}"""

# The refreshes are counted in the page, as they are drawn (polling them from here, 20 times a
# second, cost the page and the machine CPU of their own and missed refreshes that came close
# together): plotly.js is wrapped as it loads; ``window.__benchDraws`` counts the loss chart's
# draws that moved its last step, and the trajectories chart's draws (each is a new figure: a
# live chart draws only what changed).
COUNT_JS = """(() => {
  const counts = window.__benchDraws = {loss: 0, traj: 0};
  // the live stream's messages: "chart key, kind, JSON" on three lines (ASCII: a character is a byte)
  const streamed = window.__benchStream = {bytes: 0, loss: 0};
  const Source = window.EventSource;
  window.EventSource = class extends Source {
    constructor(url, opts) {
      super(url, opts);
      this.addEventListener('message', (ev) => {
        streamed.bytes += ev.data.length;
        if (ev.data.startsWith("lab.chart.loss\\n")) streamed.loss += ev.data.length;
      });
    }
  };
  const title = (layout) => String((layout && layout.title && (layout.title.text || layout.title)) || '')
      .replace(/<[^>]*>/g, '');
  let plotly;
  Object.defineProperty(window, 'Plotly', {configurable: true, get: () => plotly, set: (v) => {
    plotly = v;
    const react = v.react;
    v.react = function (gd, fig) {
      const name = title(fig && fig.layout);
      // --hold: after its first draw a chart is not redrawn (what its redraws cost, by difference)
      const hold = window.__benchHold;
      if (gd.__benchDrawn && (hold === 'all' || (hold === 'probe' && !name.startsWith('Loss')))) return Promise.resolve(gd);
      gd.__benchDrawn = true;
      const done = react.apply(this, arguments);
      if (name.startsWith('Hidden-state trajectories')) counts.traj += 1;
      if (name.startsWith('Loss')) Promise.resolve(done).then(() => {
        const x = gd._fullData && gd._fullData[0] && gd._fullData[0].x;
        const last = x && x.length ? Number(x[x.length - 1]) : -1;
        if (last !== gd.__benchLast) { gd.__benchLast = last; counts.loss += 1; }
      });
      return done;
    };
  }});
})();"""
# The reader watches the charts: the loss chart at the top of the window (the trajectories chart
# is below it, in sight too).
SCROLL_JS = """() => {
  const p = [...document.querySelectorAll('.js-plotly-plot')].find(el => el.layout && el.layout.title
      && String(el.layout.title.text).replace(/<[^>]*>/g, '').startsWith('Loss'));
  p.scrollIntoView({block: 'start'});
}"""
COUNTS_JS = "() => Object.assign({}, window.__benchDraws, {streamed: window.__benchStream.bytes, streamed_loss: window.__benchStream.loss})"
PROBE_DRAWN_JS = "() => window.__benchDraws.traj > 0"
RESYNC_JS = "() => [window.__rnnxResyncs || 0, [...new Set(window.__rnnxResyncKeys || [])]]"
LOSS_KEY = b"lab.chart.loss"  # the loss chart's element key: its messages carry it


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(cmdline_has: bytes, also: bytes = b"") -> float:
    """User+system CPU seconds so far of the processes whose command line holds both strings."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read()
            if cmdline_has in cmd and also in cmd:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            continue
    return total


def pid_cpu_seconds(pid: int) -> float:
    """User+system CPU seconds so far of this benchmark's server and its training workers (on
    Linux a run trains in a process forked from the server: explorer/jobs/forked.py)."""
    from load import cpu_seconds
    return cpu_seconds(pid)


def own_cpu_seconds(pid: int) -> float:
    """User+system CPU seconds so far of process ``pid`` alone (the server, not its workers)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def autogroup() -> bool | None:
    from load import autogroup
    return autogroup()


def lab_run_settings(task_name: str):
    """The Training lab's default run (LSTM H=32, B=32, T=50, probes every 100 steps) on ``task_name``."""
    from explorer.jobs.runs import RunSettings
    return RunSettings(task_name, 50, "lstm", 32, 1, "tanh", False, 0.01, 32, "adam", 1.0, 0, 10**6, 100, "cpu")


def engine_rate(task_name: str, seconds: float = 5.0) -> float:
    """steps/s of the Training lab's default run (LSTM H=32, B=32) without any UI, stepped as a
    training job steps it (``advance``: losses read back every few steps)."""
    import torch

    from explorer.jobs.runs import build_trainer
    torch.set_num_threads(1)
    tr = build_trainer(lab_run_settings(task_name))
    tr.train(10)
    t0, n = time.perf_counter(), 0
    while time.perf_counter() - t0 < seconds:
        tr.advance()
        n += 1
    tr.flush()
    return n / (time.perf_counter() - t0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--task", default="sine")
    p.add_argument("--pin", action="store_true",
                   help="server on CPU 0, browser on CPU 1 (a student's browser does not share the server's cores)")
    p.add_argument("--hold", choices=("probe", "all"),
                   help="after its first draw, do not redraw the probe charts (or any chart): what their redraws cost the page")
    p.add_argument("--json", action="store_true", help="end with one JSON line of the figures")
    a = p.parse_args()
    from playwright.sync_api import sync_playwright

    # the engine alone before and after the watch (the mean is the reference): this machine's speed
    # drifts by up to a tenth from minute to minute, and one reading after the watch moved the ratio
    before = engine_rate(a.task)
    port = free_port()
    pin = ["taskset", "-c", "0"] if a.pin else []
    server = subprocess.Popen([*pin, sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                               "--server.port", str(port), "--server.address", "127.0.0.1"],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        for _ in range(200):
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.3)
        if a.pin:
            os.sched_setaffinity(0, {1})  # this process, the Playwright driver and Chromium (inherited)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=os.environ.get("RNNX_CHROMIUM", "/usr/bin/chromium"),
                                         args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            received, loss_bytes = [0], [0]

            def frame(payload):
                received[0] += len(payload)
                if LOSS_KEY in (payload if isinstance(payload, bytes) else payload.encode()):
                    loss_bytes[0] += len(payload)
            page.on("websocket", lambda ws: ws.on("framereceived", frame))
            if a.hold:
                page.add_init_script(f"window.__benchHold = {json.dumps(a.hold)};")
            page.add_init_script(COUNT_JS)
            # a long run (the steps setting comes through the URL) so that it outlasts the watch
            page.goto(f"http://127.0.0.1:{port}/training_lab?lab.steps=200000&lab.task={a.task}")
            page.wait_for_selector("[data-test-script-state='notRunning']", timeout=60000)
            page.get_by_role("button", name="Train").click()
            page.wait_for_function(f"({LAST_STEP_JS})() > 0", timeout=60000)
            page.evaluate(SCROLL_JS)
            page.wait_for_function(PROBE_DRAWN_JS, timeout=60000)
            renderer0, server0 = cpu_seconds(b"chromium", b"--type=renderer"), pid_cpu_seconds(server.pid)
            alone0 = own_cpu_seconds(server.pid)
            bytes0, loss0, t0 = received[0], loss_bytes[0], time.perf_counter()
            step0, counts0 = page.evaluate(PROGRESS_STEP_JS), page.evaluate(COUNTS_JS)
            time.sleep(a.seconds)  # nothing asks the page anything meanwhile
            counts1 = page.evaluate(COUNTS_JS)
            dt = time.perf_counter() - t0
            renderer = (cpu_seconds(b"chromium", b"--type=renderer") - renderer0) / dt
            server_cpu = (pid_cpu_seconds(server.pid) - server0) / dt
            server_only = (own_cpu_seconds(server.pid) - alone0) / dt
            step1 = page.evaluate(PROGRESS_STEP_JS)
            changes, probe_changes = (counts1[k] - counts0[k] for k in ("loss", "traj"))
            nbytes = received[0] - bytes0 + counts1["streamed"] - counts0["streamed"]
            nloss = loss_bytes[0] - loss0 + counts1["streamed_loss"] - counts0["streamed_loss"]
            resyncs, resync_keys = page.evaluate(RESYNC_JS)
            page.get_by_role("button", name="Pause").click()
            browser.close()
    finally:
        server.terminate()
        server.wait(10)
    after = engine_rate(a.task)
    alone = (before + after) / 2
    with_page = (step1 - step0) / dt
    res = {"loss_refreshes_per_s": round(changes / dt, 2), "probe_refreshes_per_s": round(probe_changes / dt, 2),
           "steps_per_s_page_open": round(with_page, 1), "steps_per_s_engine_alone": round(alone, 1),
           "engine_alone_before_after": [round(before, 1), round(after, 1)],
           "speed_ratio": round(with_page / alone, 3), "curve_kib_per_refresh": round(nloss / max(changes, 1) / 1024, 2),
           "all_kib_per_refresh": round(nbytes / max(changes, 1) / 1024, 2), "renderer_cores": round(renderer, 2),
           "server_cores": round(server_cpu, 2), "server_process_cores": round(server_only, 2), "resyncs": resyncs,
           "resync_charts": resync_keys,
           "hold": a.hold, "seconds": round(dt, 1), "autogroup": autogroup()}
    print(f"Training lab, task {a.task}, LSTM H=32 B=32 T=50, {dt:.1f} s in headless Chromium"
          f" (autogroup {res['autogroup']})")
    print(f"  loss chart refreshes/s               {changes / dt:8.2f}   budget >= 4")
    print(f"  probe charts refreshes/s             {probe_changes / dt:8.2f}   budget >= 2")
    print(f"  steps/s page open / engine alone     {with_page / alone:8.2f}   budget >= 0.9"
          f"   ({with_page:.1f} / {alone:.1f} steps/s; alone before {before:.1f}, after {after:.1f})")
    print(f"  bytes per curve refresh              {res['curve_kib_per_refresh']:8.2f} KiB   budget < 20 KiB"
          f"   (all messages: {res['all_kib_per_refresh']:.1f} KiB a refresh)")
    print(f"  CPU, browser page (renderer)         {renderer:8.2f} cores")
    print(f"  CPU, server and training worker      {server_cpu:8.2f} cores   (this machine: {os.cpu_count()};"
          f" the server process alone {server_only:.2f})")
    if a.hold:
        print(f"  (--hold {a.hold}: charts not redrawn after their first draw; refresh counts then count only what was drawn)")
    print(f"  live-chart resyncs                   {resyncs:8d}  {' '.join(resync_keys)}")
    if a.json:
        print(json.dumps(res))


if __name__ == "__main__":
    main()
