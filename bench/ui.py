"""The Training lab in a real browser: refreshes per second, bytes per refresh, training speed.

    python bench/ui.py [--seconds 20] [--task sine]

Starts `streamlit run app.py` on a free loopback port, opens the Training lab in headless
Chromium (/usr/bin/chromium), presses Train and watches for ``--seconds``:
- refreshes/s: how often the loss chart's data changes in the browser;
- training steps/s read from the page's progress bar;
- bytes per refresh: websocket bytes the browser received, divided by the refreshes;
- steps/s with the page open (from the chart's training steps) against the same Trainer run
  alone in this process (the engine without UI), as a ratio;
- CPU used while watching, in cores: the browser's page (renderer) process and the server.
Budgets (DESIGN.md): at least 2 refreshes/s while training; under 1 MB a refresh.
"""
from __future__ import annotations

import argparse
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

PROBE_STEP_JS = """() => {
  const p = [...document.querySelectorAll('.js-plotly-plot')].find(el => el.layout && el.layout.title
      && String(el.layout.title.text).replace(/<[^>]*>/g, '').startsWith('Hidden-state trajectories'));
  const m = p && String(p.layout.title.text).match(/step ([0-9,]+)/);
  return m ? Number(m[1].replace(/,/g, '')) : -1;
}"""


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


def engine_rate(task_name: str, seconds: float = 5.0) -> float:
    """steps/s of the Training lab's default run (LSTM H=32, B=32) without any UI."""
    import torch

    from explorer.runs import RunSettings, build_trainer
    torch.set_num_threads(1)
    s = RunSettings(task_name, 50, "lstm", 32, 1, "tanh", False, 0.01, 32, "adam", 1.0, 0, 10**6, 50, "cpu")
    tr = build_trainer(s)
    tr.train(10)
    t0, n = time.perf_counter(), 0
    while time.perf_counter() - t0 < seconds:
        tr.step()
        n += 1
    return n / (time.perf_counter() - t0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--task", default="sine")
    p.add_argument("--pin", action="store_true",
                   help="server on CPU 0, browser on CPU 1 (a student's browser does not share the server's cores)")
    a = p.parse_args()
    from playwright.sync_api import sync_playwright

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
            received = [0]
            page.on("websocket", lambda ws: ws.on(
                "framereceived", lambda payload: received.__setitem__(0, received[0] + len(payload))))
            # a long run (the steps setting comes through the URL) so that it outlasts the watch
            page.goto(f"http://127.0.0.1:{port}/training_lab?lab.steps=200000&lab.task={a.task}")
            page.wait_for_selector("[data-test-script-state='notRunning']", timeout=60000)
            page.get_by_role("button", name="Train").click()
            page.wait_for_function(f"({LAST_STEP_JS})() > 0", timeout=60000)
            renderer0, server0 = cpu_seconds(b"chromium", b"--type=renderer"), cpu_seconds(b"streamlit")
            bytes0, t0 = received[0], time.perf_counter()
            step0 = page.evaluate(PROGRESS_STEP_JS)
            last, last_probe = page.evaluate(LAST_STEP_JS), page.evaluate(PROBE_STEP_JS)
            changes = probe_changes = 0
            while time.perf_counter() - t0 < a.seconds:
                v, pv = page.evaluate(LAST_STEP_JS), page.evaluate(PROBE_STEP_JS)
                changes += v != last
                probe_changes += pv != last_probe
                last, last_probe = v, pv
                time.sleep(0.05)
            dt = time.perf_counter() - t0
            renderer = (cpu_seconds(b"chromium", b"--type=renderer") - renderer0) / dt
            server_cpu = (cpu_seconds(b"streamlit") - server0) / dt
            step1 = page.evaluate(PROGRESS_STEP_JS)
            nbytes = received[0] - bytes0
            page.get_by_role("button", name="Pause").click()
            browser.close()
    finally:
        server.terminate()
        server.wait(10)
    alone = engine_rate(a.task)
    with_page = (step1 - step0) / dt
    print(f"Training lab, task {a.task}, LSTM H=32 B=32 T=50, {dt:.1f} s in headless Chromium")
    print(f"  refreshes/s (loss chart changed)     {changes / dt:8.2f}   budget >= 2")
    print(f"  probe charts refreshes/s (states)    {probe_changes / dt:8.2f}")
    print(f"  bytes per refresh                    {nbytes / max(changes, 1) / 1024:8.1f} KiB   budget < 1024 KiB")
    print(f"  steps/s with the page open           {with_page:8.1f}")
    print(f"  steps/s, engine alone (this process) {alone:8.1f}")
    print(f"  ratio page-open / engine-alone       {with_page / alone:8.2f}")
    print(f"  CPU, browser page (renderer)         {renderer:8.2f} cores")
    print(f"  CPU, server (training + scripts)     {server_cpu:8.2f} cores   (this machine: {os.cpu_count()})")


if __name__ == "__main__":
    main()
