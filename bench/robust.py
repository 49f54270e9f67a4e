"""Robustness bench: crafted uploads, imports, links and Training-lab settings against a live server.

    python bench/robust.py [--only NAME ...] [--json]

Each case starts its own `streamlit run app.py --server.headless true` on a free loopback port,
drives one page in headless Chromium (Playwright, /usr/bin/chromium) the way a careless or hostile
student would, and reports per step: seconds until the page settled (or a message appeared), the
server's peak resident memory during the step (VmRSS sampled every 20 ms, and VmHWM), and whether
it WORKED or was REFUSED with a message (or showed an exception box, or timed out). The budget
(issue 14): every step either works within 1.5 GB and 20 s or is refused with a message in < 2 s.
With --json the last line is one JSON object: {"cases": [...], "passed": bool}.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import signal
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import (CHROMIUM, CHROMIUM_ARGS, STATUS_JS, descendants, free_port, private_kb, proc_status,  # noqa: E402
                  start_server, stop_server)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BUDGET_MB, BUDGET_S, REFUSE_S = 1536, 20.0, 2.0
WATCH_S = 8.0  # seconds a started run is watched, once it shows its status, for an error or memory growth
RUNNING = "[data-testid='stApp'][data-test-script-state='running']"
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
ALERTS_JS = """() => [...document.querySelectorAll('[data-testid=stAlert], [data-testid=stException]')]
  .map(e => ({kind: e.getAttribute('data-testid') === 'stException' ? 'exception'
              : (e.querySelector('[data-testid=stAlertContentError]') ? 'error'
              : e.querySelector('[data-testid=stAlertContentWarning]') ? 'warning' : 'info'),
              text: e.innerText.trim().slice(0, 300)}))"""


# ---- crafted files ---------------------------------------------------------------------------------

def korean_text(kb: int = 60, distinct: int = 2000, seed: int = 0) -> bytes:
    """~``kb`` KB of UTF-8 text drawn from ``distinct`` Hangul syllables (and spaces)."""
    rng = np.random.default_rng(seed)
    chars = [chr(0xAC00 + i) for i in range(distinct)]
    n = kb * 1024 // 3
    picks = rng.integers(0, distinct, n)
    picks[:distinct] = np.arange(distinct)  # every one of them appears
    text = "".join(chars[i] if k % 7 else " " for k, i in enumerate(picks))
    return text.encode("utf-8")


def wide_csv(columns: int = 1000, mb: float = 6.6, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    rows = int(mb * 2**20 / (columns * 5))
    x = np.round(rng.uniform(0.1, 0.99, (rows, columns)), 2)
    head = ",".join(f"c{i}" for i in range(columns))
    return (head + "\n" + "\n".join(",".join(f"{v:.2f}" for v in r) for r in x) + "\n").encode()


def long_csv(short: int = 90_000, long_steps: int = 400_000) -> bytes:
    buf = io.StringIO()
    buf.write("sequence_id,t,x,label\n")
    for i in range(short):
        buf.write(f"{i},0,0.5,{'ab'[i % 2]}\n{i},1,-0.5,{'ab'[i % 2]}\n")
    buf.write("".join(f"{short},{t},{(t % 17) / 17:.3f},a\n" for t in range(long_steps)))
    return buf.getvalue().encode()


def model_zip(**model) -> bytes:
    """A tiny export zip (a 1-unit GRU's weights) whose config declares ``model``."""
    from core import build_model
    from core.export import CONFIG_FILE, WEIGHTS_FILE, model_config
    from safetensors.torch import save as st_save
    small = build_model("gru", 1, 1, 1, seed=0)
    cfg = model_config(small)
    cfg["model"].update(model)
    cfg["task"] = {"name": model.pop("_task", "sine"), "seq_len": 50}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(WEIGHTS_FILE, st_save({k: v.contiguous() for k, v in small.state_dict().items()}))
        z.writestr(CONFIG_FILE, json.dumps(cfg))
    return buf.getvalue()


def reversal_zip(out_steps: int = 100_000) -> bytes:
    """A real reversal-task export whose config then claims ``out_steps`` output steps."""
    from core.export import CONFIG_FILE, WEIGHTS_FILE, export_model
    from explorer.jobs.runs import RunSettings, build_trainer
    s = RunSettings("reversal", 8, "gru", 8, 1, "tanh", False, 0.01, 8, "adam", 1.0, 0, 100, 10, "cpu")
    tr = build_trainer(s)
    z = zipfile.ZipFile(io.BytesIO(export_model(tr.model, tr.task, {f: getattr(s, f) for f in s.__dataclass_fields__})))
    cfg = json.loads(z.read(CONFIG_FILE))
    cfg["model"]["out_steps"] = out_steps
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        out.writestr(WEIGHTS_FILE, z.read(WEIGHTS_FILE))
        out.writestr(CONFIG_FILE, json.dumps(cfg))
    return buf.getvalue()


def nested_settings(depth: int = 100_000) -> bytes:
    return b'{"format": "rnn-explorer-settings", "settings": ' + b"[" * depth + b"]" * depth + b"}"


def wrong_type_settings() -> bytes:
    s = {"task": "sine", "seq_len": "fifty", "kind": "lstm", "hidden": 1e308, "layers": 1, "activation": "tanh",
         "bidirectional": "yes", "lr": 0.01, "batch_size": 32, "optimizer": "adam", "clip": 1.0, "seed": 10**40,
         "steps": 1000, "probe_every": 100, "device": "cpu"}
    return json.dumps({"format": "rnn-explorer-settings", "version": 1, "settings": s}).encode()


def many_entries_zip(n: int = 450_000) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for i in range(n):
            z.writestr(f"{i:x}", b"")
    return buf.getvalue()


# ---- measuring --------------------------------------------------------------------------------------

class RSS(threading.Thread):
    """Samples the server's memory every 20 ms: its VmRSS plus the private memory of its training
    workers (forked processes share the server's pages until written; their own pages are counted,
    looked up every 100 ms). ``peak(since)`` is the largest sample since a time."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.halt, self.samples = pid, threading.Event(), []

    def run(self):
        workers_mb, looked = 0.0, 0.0
        while not self.halt.is_set():
            try:
                if time.monotonic() - looked >= 0.1:
                    workers_mb = sum(private_kb(k) for k in descendants(self.pid)) / 1024
                    looked = time.monotonic()
                self.samples.append((time.monotonic(), proc_status(self.pid, workers=False)["VmRSS"] / 1024 + workers_mb))
            except (OSError, KeyError):
                return
            self.halt.wait(0.02)

    def peak(self, since: float) -> float:
        return max([mb for t, mb in self.samples if t >= since] or [0.0])


def alerts(page) -> list[dict]:
    return page.evaluate(ALERTS_JS)


def settle(page, t0: float, timeout_s: float, watch_s: float = 0.0, loaded: bool = False) -> tuple[float, list[dict]]:
    """Wait until the script ran and is idle (or a refusal appeared); returns (seconds, alerts).
    ``watch_s`` > 0: a training page that never idles; watch that long for an error instead.
    ``loaded``: the step opened a new page, whose script state starts at "initial" (so an idle
    state is this step's): no wait for the run to start, which had added up to 1.5 s to a quick
    refusal that was over before the bench looked."""
    end = t0 + timeout_s
    if not loaded:
        try:
            page.wait_for_selector(RUNNING, state="attached", timeout=1500)
        except Exception:  # noqa: BLE001 - a quick run may be over before we look
            pass
    seen = []
    while time.monotonic() < end:
        seen = [a for a in alerts(page) if a["kind"] in ("error", "warning", "exception")]
        if seen:
            return time.monotonic() - t0, seen
        if watch_s and time.monotonic() - t0 >= watch_s:
            return time.monotonic() - t0, seen
        if not watch_s and page.locator(IDLE).count():
            page.wait_for_timeout(300)
            if page.locator(IDLE).count():
                seen = [a for a in alerts(page) if a["kind"] in ("error", "warning", "exception")]
                return time.monotonic() - t0, seen
        page.wait_for_timeout(50)
    return float("inf"), seen


def started(page, t0: float, limit_s: float) -> tuple[float, list[dict], str]:
    """After pressing Train: (seconds until the run's status or a refusal showed, alerts, status)."""
    while time.monotonic() - t0 < limit_s + 5:
        found = [a for a in alerts(page) if a["kind"] in ("error", "warning", "exception")]
        status = page.evaluate(STATUS_JS) if page.locator("[data-testid=stProgress]").count() else ""
        if found or status:  # a run's progress bar and status (the lab), or the cells' bars (comparison)
            return time.monotonic() - t0, found, status
        page.wait_for_timeout(100)
    return float("inf"), [], ""


def verdict(seconds: float, peak_mb: float, found: list[dict]) -> tuple[str, bool]:
    if any(a["kind"] == "exception" for a in found):
        return "EXCEPTION", False
    if seconds == float("inf"):
        return "TIMEOUT", False
    if found:
        return "refused", seconds < REFUSE_S and peak_mb <= BUDGET_MB
    return "worked", seconds <= BUDGET_S and peak_mb <= BUDGET_MB


# ---- the cases --------------------------------------------------------------------------------------

def upload_train(name: str, data_fn, length: int | None, label: str = ""):
    """Data page: upload ``data_fn()``, set the window / sequence length (``length``; None: the
    data has none), then train on it in the Training lab for a while."""
    def steps(page, base, files):
        path = files / name
        path.write_bytes(data_fn())
        page.goto(f"{base}/data")
        page.wait_for_selector(IDLE, state="attached", timeout=60_000)
        yield "upload"
        page.locator("input[type=file]").first.set_input_files(str(path))
        if length is not None:
            yield f"set length {length}"
            box = page.get_by_label(label, exact=True)
            box.fill(str(length))
            box.press("Enter")
        yield "open the Training lab"
        page.get_by_role("button", name="Train on it in the Training lab").click()
        yield f"train (watch {WATCH_S:.0f} s)"
        page.get_by_role("button", name="Train", exact=True).click()
    return steps


def import_file(name: str, data_fn, uploader: str, button: str):
    def steps(page, base, files):
        path = files / name
        path.write_bytes(data_fn())
        page.goto(f"{base}/data")
        page.wait_for_selector(IDLE, state="attached", timeout=60_000)
        box = page.locator("[data-testid=stFileUploader]").filter(has_text=uploader)
        yield "upload"
        box.locator("input[type=file]").set_input_files(str(path))
        yield "load"
        page.get_by_role("button", name=button).click()
    return steps


def links(paths: list[str], train: str | None = None):
    def steps(page, base, files):
        for p in paths:
            yield p
            page.goto(base + p)
        if train:
            yield f"press {train} (watch {WATCH_S:.0f} s)"
            page.get_by_role("button", name=train, exact=True).click()
    return steps


GF = "/gradient_flow?gradient_flow.seq_len=1000&gradient_flow.hidden=512&gradient_flow.seed={}"
LAB_LIMITS = ("/training_lab?lab.seq_len=1000&lab.hidden=512&lab.layers=3&lab.bidirectional=1&lab.batch=256"
              "&lab.kind=lstm&lab.task=char_lm")
CASES = {
    "text_2000_chars": upload_train("novel.txt", korean_text, 300, "Sequence length"),
    "csv_1000_columns": upload_train("wide.csv", wide_csv, 900, "Window length"),
    "long_format_outlier": upload_train("long.csv", long_csv, None),
    "import_h4096_3layers_bidir": import_file("big.zip", lambda: model_zip(kind="lstm", hidden_size=4096, num_layers=3,
                                                                         bidirectional=True),
                                              "Load a model", "Load the model"),
    "import_io_100000": import_file("wide.zip", lambda: model_zip(input_size=100_000, output_size=100_000),
                                    "Load a model", "Load the model"),
    "import_reversal_out_steps": import_file("rev.zip", reversal_zip, "Load a model", "Load the model"),
    "import_nested_json": import_file("deep.json", nested_settings, "Upload settings", "Apply the settings"),
    "import_wrong_types": import_file("types.json", wrong_type_settings, "Upload settings", "Apply the settings"),
    "import_450k_entries": import_file("many.zip", many_entries_zip, "Load a model", "Load the model"),
    "link_gradient_flow_6_seeds": links([GF.format(s) for s in range(1, 7)]),
    "link_gradient_flow_rnn_only": links([GF.format(1) + "&gradient_flow.cells=rnn"]),
    "link_comparison_char_lm_1000": links(["/comparison?compare.preset=custom&compare.task=char_lm&compare.seq_len=1000"],
                                          train="Train all three"),
    "lab_at_ui_limits": links([LAB_LIMITS], train="Train"),
}


WARM = {"link_gradient_flow_6_seeds": "/gradient_flow", "link_gradient_flow_rnn_only": "/gradient_flow",
        "link_comparison_char_lm_1000": "/comparison", "lab_at_ui_limits": "/training_lab"}


def run_case(name: str, browser, files: Path, timeout_s: float) -> list[dict]:
    port = free_port()
    proc = start_server(port, ttl=30, max_jobs=None, log_dir=files / f"log-{name}")
    rss = RSS(proc.pid)
    rss.start()
    out = []
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    ctx.set_default_timeout(60_000)
    page = ctx.new_page()
    # warm the server up (a first page load imports torch and the page's modules; not the case's cost)
    warm = browser.new_page()
    warm.goto(f"http://127.0.0.1:{port}{WARM.get(name, '/data')}")
    warm.wait_for_selector(IDLE, state="attached", timeout=120_000)
    warm.close()
    try:
        gen = CASES[name](page, f"http://127.0.0.1:{port}", files)
        step = next(gen)  # the setup before the first measured step ran inside next()
        while step is not None:
            t0 = time.monotonic()
            try:
                nxt = next(gen)  # performs the action of `step`
            except StopIteration:
                nxt = None
            watch = "(watch" in step
            if watch:  # a started run: time until it shows its status (or a refusal), then watch its memory
                seconds, found, status = started(page, t0, BUDGET_S)
                page.wait_for_timeout(WATCH_S * 1000)
                found = found or [a for a in alerts(page) if a["kind"] in ("error", "warning", "exception")]
            else:
                seconds, found = settle(page, t0, timeout_s, loaded=step.startswith("/"))
            peak = rss.peak(t0)
            what, ok = verdict(seconds, peak, found)
            msg = found[0]["text"].replace("\n", " ")[:160] if found else ""
            if watch and not found:
                msg = f"status: {status or 'none shown'}; memory watched {WATCH_S:.0f} s more"
                if not status:
                    what, ok = "NO RUN", False
            out.append(dict(case=name, step=step, seconds=round(seconds, 2), peak_rss_mb=round(peak),
                            hwm_mb=round(proc_status(proc.pid)["VmHWM"] / 1024), outcome=what, ok=ok, message=msg,
                            load=round(os.getloadavg()[0], 1)))
            step = nxt
            if what != "worked" and not (step or "").startswith("/"):
                break  # refused (or failed): nothing further to drive, except the next link
    except Exception as e:  # noqa: BLE001 - report the case as failed, go on with the next
        out.append(dict(case=name, step="driver", seconds=-1.0, peak_rss_mb=round(rss.peak(0)), hwm_mb=0,
                        outcome="DRIVER ERROR", ok=False, message=f"{type(e).__name__}: {e}"[:160]))
    finally:
        ctx.close()
        rss.halt.set()
        stop_server(proc)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="*", choices=sorted(CASES), help="run only these cases")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds a step may take before it counts as hung")
    ap.add_argument("--json", action="store_true", help="end with one JSON line")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so `finally` stops the case's server
    from playwright.sync_api import sync_playwright
    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        for name in args.only or CASES:
            for r in run_case(name, browser, Path(tmp), args.timeout):
                rows.append(r)
                print(f"{r['case']:28s} {r['step'][:30]:30s} {r['seconds']:7.2f} s {r['peak_rss_mb']:6d} MB "
                      f"(hwm {r['hwm_mb']:5d}) load {r.get('load', 0):4.1f} {r['outcome']:9s} "
                      f"{'ok ' if r['ok'] else 'BAD'} {r['message'][:90]}", flush=True)
        browser.close()
    passed = all(r["ok"] for r in rows)
    print(f"{'all within budget' if passed else 'OVER BUDGET'}: works within {BUDGET_MB} MB and {BUDGET_S:.0f} s, "
          f"or refused with a message in < {REFUSE_S:.0f} s")
    if args.json:
        print(json.dumps({"cases": rows, "passed": passed}))


if __name__ == "__main__":
    main()
