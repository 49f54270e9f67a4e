"""Several students at once: three browser sessions train together on one server, each sees only
its own run, the one beyond the concurrency limit waits in the queue, and closing the tabs stops
every job once the sessions' reconnection TTL has passed. Uses its own server (2 training slots,
sessions expire 3 s after their tab closes)."""
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from .conftest import REPO_ROOT, VIEWPORT, _free_port, assert_no_exception, wait_idle

TTL_S = 3
TASKS = ("sine", "adding", "parity")  # one per session: every run is recognisable by its task
STATUS_JS = "() => { const m = document.querySelector('[data-testid=stMetricValue]'); return m ? m.innerText.trim() : ''; }"
SIDEBAR_RUN_JS = ("() => { const e = [...document.querySelectorAll('[data-testid=stSidebar] p')]"
                  ".find(p => p.innerText.startsWith('Training-lab run')); return e ? e.innerText : ''; }")


def _threads(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("Threads:"))


def _cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    env = {**os.environ, "RNNX_MAX_JOBS": "2"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.disconnectedSessionTTL", str(TTL_S)],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        end = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            assert proc.poll() is None and time.monotonic() < end, "streamlit did not start"
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def test_three_sessions_train_apart_and_stop_when_closed(browser, server, shot_dir):
    base, pid = server
    warm = browser.new_context(viewport=VIEWPORT)  # the server's pools exist after a first session
    p = warm.new_page()
    p.goto(f"{base}/training_lab")
    wait_idle(p)
    warm.close()
    time.sleep(TTL_S + 3)
    baseline = _threads(pid)

    sessions = []
    for task in TASKS:
        ctx = browser.new_context(viewport=VIEWPORT)
        page = ctx.new_page()
        page.goto(f"{base}/training_lab?lab.task={task}&lab.steps=100000")  # a shared link per student
        wait_idle(page)
        assert_no_exception(page)
        sessions.append((task, ctx, page))
    time.sleep(1.0)
    open_idle = _threads(pid)  # three sessions open, nothing trains yet
    for _, _, page in sessions:
        page.get_by_role("button", name="Train").click()
    try:
        for task, _, page in sessions:  # each sees only its own run
            page.wait_for_function(f"() => ({SIDEBAR_RUN_JS})().length > 0", timeout=60000)
        end, statuses = time.monotonic() + 60, []
        while time.monotonic() < end:
            statuses = [page.evaluate(STATUS_JS) for _, _, page in sessions]
            if sorted(statuses) == ["queued", "running", "running"]:
                break
            time.sleep(0.5)
        assert sorted(statuses) == ["queued", "running", "running"], statuses  # 2 slots, 1 waits its turn
        queued = sessions[statuses.index("queued")][2]
        # the queued page says where it stands (its status refreshes every 2 s while it waits)
        queued.get_by_text(re.compile(r"position 1 in the queue")).wait_for(timeout=15000)
        assert queued.get_by_text(re.compile(r"position 1 in the queue")).count() == 1
        titles = {task: sessions[i][2].evaluate(SIDEBAR_RUN_JS) for i, task in enumerate(TASKS)}
        for task, text in titles.items():
            own = {"sine": "Sine", "adding": "Adding", "parity": "Parity"}[task]
            assert own.lower() in text.lower(), (task, text)
            assert all(o.lower() not in text.lower() for t, o in (("sine", "Sine"), ("adding", "Adding"),
                                                                   ("parity", "Parity")) if t != task), text
        assert _threads(pid) >= open_idle + 3  # one job thread per session (the queued one waits in its own)
    finally:
        for _, ctx, _ in sessions:
            ctx.close()
    # A closed tab's runs stop once its sessions have been gone for the TTL (a reload within it would
    # find them: explorer/jobs/session_boards.py), checked every TTL/4 s: then the CPU rests.
    time.sleep(TTL_S + 3.0)
    c0 = _cpu_s(pid)
    time.sleep(3.0)
    assert _cpu_s(pid) - c0 < 0.5, "the server still computes after every session closed"
    # Streamlit keeps a disconnected session (a few threads of its own) until its TTL has passed AND
    # the session store is touched again, e.g. by the next visitor: then no thread is left over.
    # Sessions of earlier tests on this server may expire during this one: each visit after a TTL
    # sweeps whatever has expired by then, so look twice.
    for _ in range(2):
        time.sleep(TTL_S + 1)
        ctx = browser.new_context(viewport=VIEWPORT)
        p = ctx.new_page()
        p.goto(base)
        wait_idle(p)
        ctx.close()
        end = time.monotonic() + 15
        while time.monotonic() < end and _threads(pid) > open_idle:
            time.sleep(1.0)
        if _threads(pid) <= open_idle:
            break
    assert _threads(pid) <= open_idle, (baseline, open_idle, _threads(pid))
