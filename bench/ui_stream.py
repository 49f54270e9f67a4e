"""The Training lab's live charts without Streamlit: what the same charts cost fed by a stream.

    python bench/ui_stream.py [--seconds 20] [--json]

A reference for issue 17, not the app. ``bench/ui.py`` measures the Training lab as it is: every
refresh is a Streamlit fragment rerun (a script run on the server, its elements re-rendered by
Streamlit's React in the page). Here the same run (the lab's default: sine, LSTM H=32 B=32 T=50,
probes every 100 steps, trained in a worker process as the lab trains it) and the same six figures
(built by ``explorer.views.training_lab`` as the lab builds them, whole figures, not patches) go to
a bare page through server-sent events, at the lab's cadence (loss every 0.2 s, probe charts every
0.4 s when a new probe came); the page draws them with ``Plotly.react``. Headless Chromium
(/usr/bin/chromium) on the same machine, as in ``bench/ui.py``. Prints loss chart refreshes/s,
trajectories refreshes/s, steps/s against the engine alone, and the renderer's and the server's
CPU; ``--json``: one last line with them.

The difference from ``bench/ui.py`` is what Streamlit's reruns cost the browser and the run.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

CURVE_S, PROBE_S = 0.2, 0.4  # the lab's cadence (explorer.views.training_lab)
PAGE = b"""<!doctype html><html><head><meta charset="utf-8"><script src="/plotly.min.js"></script>
<style>body{font-family:sans-serif;margin:20px}.row{display:flex;gap:16px}.row>div{flex:1 1 0;min-width:0}</style>
</head><body><div id="status"></div><div id="loss"></div>
<div class="row"><div id="pred"></div><div id="traj"></div></div>
<div class="row"><div id="hidden"></div><div id="grad"></div></div><div id="gradmap"></div>
<script>
window.__draws = {loss: 0, traj: 0};
const config = {responsive: true, displaylogo: false};
new EventSource("/events").onmessage = (e) => {
  const m = JSON.parse(e.data);
  document.getElementById("status").textContent = "step " + m.step + ", loss " + m.last.toPrecision(4);
  for (const [key, fig] of Object.entries(m.figs)) {
    const gd = document.getElementById(key);
    gd.style.height = (fig.layout.height || 450) + "px";
    Plotly.react(gd, fig.data, fig.layout, config);
    if (key === "traj" || (key === "loss" && m.step !== window.__lastStep)) window.__draws[key] += 1;
  }
  window.__lastStep = m.step;
};
</script></body></html>"""


def serve(port: int) -> None:
    """The stream's server: trains the lab's default run and streams its figures (runs until killed)."""
    import plotly
    import torch

    from explorer.figures.live import figure_parts
    from explorer.figures.live_patch import live_json
    from explorer.jobs.runs import build_trainer
    from explorer.jobs.training_job import TrainingJob
    from explorer.views import training_lab as V
    from ui import lab_run_settings
    torch.set_num_threads(1)
    settings = lab_run_settings("sine")
    job = TrainingJob(build_trainer(settings), settings.steps, probe_every=settings.probe_every, mode="process")
    task = job.trainer.task
    plotly_js = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _send(self, body: bytes, ctype: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path == "/":
                return self._send(PAGE, "text/html")
            if self.path == "/plotly.min.js":
                return self._send(plotly_js, "application/javascript")
            if self.path == "/step":
                return self._send(str(job.snapshot().step).encode(), "text/plain")
            if self.path != "/events":
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            cache, last_probe, next_probe = {}, None, 0.0
            while True:
                t0 = time.monotonic()
                snap = job.snapshot()
                figs = {"loss": figure_parts(V.loss_fig(snap, task))}
                if t0 >= next_probe and snap.probe is not None and snap.probe.step != last_probe:
                    last_probe, next_probe = snap.probe.step, t0 + PROBE_S
                    figs.update({k: figure_parts(f) for k, f in V.probe_figures(snap, task, -1, 2, cache, job.id).items()})
                last = float(snap.loss[-1]) if len(snap.loss) else 0.0
                msg = live_json({"step": int(snap.step), "last": last, "figs": figs})
                try:
                    self.wfile.write(b"data: " + msg.encode() + b"\n\n")
                    self.wfile.flush()
                except OSError:  # the page went away
                    return
                time.sleep(max(0.0, CURVE_S - (time.monotonic() - t0)))

    job.start()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("ready", flush=True)
    try:
        server.serve_forever()
    finally:
        job.stop()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--json", action="store_true", help="end with one JSON line of the figures")
    p.add_argument("--serve", type=int, help=argparse.SUPPRESS)  # the server's own process
    a = p.parse_args()
    if a.serve:
        return serve(a.serve)
    from playwright.sync_api import sync_playwright

    from ui import autogroup, cpu_seconds, engine_rate, free_port, pid_cpu_seconds
    before = engine_rate("sine")  # and after the watch: the reference is the mean (bench/ui.py)
    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)], stdout=subprocess.PIPE, text=True,
                              start_new_session=True)
    try:
        assert server.stdout.readline().strip() == "ready", "the stream's server did not start"
        step = lambda: int(urllib.request.urlopen(f"http://127.0.0.1:{port}/step", timeout=10).read())  # noqa: E731
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=os.environ.get("RNNX_CHROMIUM", "/usr/bin/chromium"),
                                         args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_function("() => window.__draws.traj > 0", timeout=60000)
            counts = "() => Object.assign({}, window.__draws)"
            d0, s0 = page.evaluate(counts), step()
            r0, c0, t0 = cpu_seconds(b"chromium", b"--type=renderer"), pid_cpu_seconds(server.pid), time.perf_counter()
            time.sleep(a.seconds)  # nothing asks the page anything meanwhile
            d1, s1, dt = page.evaluate(counts), step(), time.perf_counter() - t0
            renderer = (cpu_seconds(b"chromium", b"--type=renderer") - r0) / dt
            server_cpu = (pid_cpu_seconds(server.pid) - c0) / dt
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)
    after = engine_rate("sine")
    alone = (before + after) / 2
    rate = (s1 - s0) / dt
    res = {"loss_refreshes_per_s": round((d1["loss"] - d0["loss"]) / dt, 2),
           "probe_refreshes_per_s": round((d1["traj"] - d0["traj"]) / dt, 2),
           "steps_per_s_page_open": round(rate, 1), "steps_per_s_engine_alone": round(alone, 1),
           "engine_alone_before_after": [round(before, 1), round(after, 1)],
           "speed_ratio": round(rate / alone, 3), "renderer_cores": round(renderer, 2),
           "server_cores": round(server_cpu, 2), "seconds": round(dt, 1), "autogroup": autogroup()}
    print(f"The lab's six live charts fed by a stream (no Streamlit), {dt:.1f} s in headless Chromium"
          f" (autogroup {res['autogroup']})")
    print(f"  loss chart refreshes/s               {res['loss_refreshes_per_s']:8.2f}")
    print(f"  trajectories refreshes/s             {res['probe_refreshes_per_s']:8.2f}")
    print(f"  steps/s page open / engine alone     {rate / alone:8.2f}   ({rate:.1f} / {alone:.1f} steps/s;"
          f" alone before {before:.1f}, after {after:.1f})")
    print(f"  CPU, browser page (renderer)         {renderer:8.2f} cores")
    print(f"  CPU, server and training worker      {server_cpu:8.2f} cores")
    if a.json:
        print(json.dumps(res))


if __name__ == "__main__":
    main()
