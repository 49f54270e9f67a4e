"""Process mode (explorer/jobs/forked.py): a run trains in a forked worker, the server's copy
mirrors it, and a parked run's state is exactly the one a thread-mode run reaches."""
import os
import signal
import time

import pytest
import torch

from core import Trainer, build_model, get_task
from explorer.app.i18n import text
from explorer.jobs import forked
from explorer.jobs.job_board import JobBoard
from explorer.jobs.training_job import TrainingJob

pytestmark = pytest.mark.skipif(not os.sys.platform.startswith("linux"), reason="process mode forks (Linux)")


@pytest.fixture(autouse=True)
def _stop_jobs(stop_jobs):
    """Every job a test made is stopped after it (tests/explorer/conftest.py)."""


def _job(target=300, mode="process", seed=0, task="sine", **kw):
    t = get_task(task, seq_len=20)
    m = build_model("lstm", t.input_size, 16, t.output_size, head=t.head, seed=seed)
    return TrainingJob(Trainer(m, t, lr=1e-2, batch_size=16, device="cpu", seed=seed), target, mode=mode,
                       probe_every=25, **kw)


def _wait(pred, timeout=30.0):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.01)
    return False


def _state(job):
    sd = job.trainer.state_dict()
    return sd["model"], sd["optimizer"]["state"], sd["generator"], sd["step"]


def _same(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, torch.Tensor):
        return torch.equal(a, b)
    return a == b


def test_modes_resolve_by_device_and_setting(monkeypatch):
    monkeypatch.delenv(forked.MODE_ENV, raising=False)
    assert forked.resolve_mode("auto", torch.device("cpu")) == "process"
    assert forked.resolve_mode("auto", torch.device("cuda")) == "thread"  # CUDA cannot live in a forked child
    assert forked.resolve_mode("process", torch.device("cuda")) == "thread"
    assert forked.resolve_mode("thread", torch.device("cpu")) == "thread"
    monkeypatch.setenv(forked.MODE_ENV, "thread")
    assert forked.resolve_mode("auto", torch.device("cpu")) == "thread"
    with pytest.raises(ValueError, match="unknown job mode"):
        forked.resolve_mode("gpu", torch.device("cpu"))


def test_a_run_trains_in_another_process_and_ends_exactly_as_in_a_thread():
    job, ref = _job(), _job(mode="thread")
    seen = []
    job.trainer.on_step(lambda _tr, rec: seen.append(rec["step"]))  # subscribers live in the server
    job.start()
    assert _wait(lambda: job._child is not None and job.snapshot().step > 0)
    pid = job._child.process.pid
    assert pid != os.getpid() and job._child.process.is_alive()
    ref.start()
    assert _wait(lambda: job.snapshot().status == "done" and ref.snapshot().status == "done")
    assert _wait(lambda: job._child is None and not job.alive)
    assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] in "ZX"
    assert _same(_state(job), _state(ref))  # weights, Adam's moments, data stream, step
    snap, rs = job.snapshot(), ref.snapshot()
    assert snap.step == rs.step == 300 and len(snap.steps) == 300
    assert torch.equal(torch.tensor(snap.loss), torch.tensor(rs.loss))  # every record came back, in order
    assert seen == list(range(1, 301))
    assert len(snap.val_steps) >= 2 and snap.val_steps[-1] == 300 and snap.probe.step == 300
    assert snap.best_step is not None and job.trainer.best_state_dict() is not None


def test_pause_resume_in_a_worker_continues_the_same_run():
    straight, paused = _job(target=400, mode="thread"), _job(target=400)
    straight.start()
    paused.start()
    assert _wait(lambda: paused.snapshot().step >= 50)
    paused.pause()
    assert _wait(lambda: paused.snapshot().status == "paused" and paused._child is None)
    mid = paused.snapshot().step
    assert 50 <= mid < 400
    rec = paused.step_once()  # in the server, on the state the worker sent back
    assert rec["step"] == mid + 1
    paused.start()
    assert _wait(lambda: paused.snapshot().status == "done" and straight.snapshot().status == "done")
    assert _same(_state(paused), _state(straight))


def test_settings_reach_a_training_worker():
    job = _job(target=10**6)
    job.start()
    assert _wait(lambda: job.snapshot().step > 20 and job._child is not None)
    job.configure(lr=1e-3, clip=0.5, target_steps=job.snapshot().step + 200)
    assert _wait(lambda: job.snapshot().status == "done", 60)
    assert job.trainer.config.lr == 1e-3 and job.trainer.config.clip == 0.5
    assert all(g["lr"] == 1e-3 for g in job.trainer.optimizer.param_groups)
    assert job.snapshot().step == job.target_steps  # the worker stopped at the new target


def test_the_servers_copy_has_the_weights_of_the_probe_it_shows():
    job = _job(target=10**6)
    job.start()
    assert _wait(lambda: job.snapshot().val_steps.size >= 3 and job._child is not None)
    with job.locked():
        step, w = job.model_step, {k: v.clone() for k, v in job.trainer.model.state_dict().items()}
        probe_step = job.snapshot().probe.step
    assert step == probe_step < job.trainer.step_count + 1
    job.pause()
    assert _wait(lambda: job._child is None)
    assert job.model_step == job.trainer.step_count  # parked: the exact weights
    assert not all(torch.equal(w[k], v) for k, v in job.trainer.model.state_dict().items())


def test_a_lost_worker_is_an_error_that_keeps_the_run():
    job = _job(target=10**6)
    job.start()
    assert _wait(lambda: job.snapshot().val_steps.size >= 2 and job._child is not None)
    os.kill(job._child.process.pid, signal.SIGKILL)  # as the kernel's OOM killer would
    assert _wait(lambda: job.snapshot().status == "error")
    snap = job.snapshot()
    assert snap.message_key == "jobs.msg.worker_lost" and snap.message_values["code"] == -signal.SIGKILL
    assert "-9" in text(snap.message_key, "ko", **snap.message_values)
    kept = snap.step
    assert kept > 0 and len(snap.steps) == kept
    job.start()  # Train again: on from the records and weights the server kept
    assert _wait(lambda: job.snapshot().step > kept + 10)
    job.stop()
    assert job._child is None


def test_a_worker_ends_on_sigterm_although_the_server_handles_it():
    old = signal.signal(signal.SIGTERM, lambda *a: None)  # Streamlit's shutdown handler, in the server
    try:
        job = _job(target=10**6)
        job.start()
        assert _wait(lambda: job._child is not None and job.snapshot().step > 0)
        os.kill(job._child.process.pid, signal.SIGTERM)
        assert _wait(lambda: job.snapshot().status == "error")
        assert job.snapshot().message_values["code"] == -signal.SIGTERM
    finally:
        signal.signal(signal.SIGTERM, old)


def test_divergence_in_a_worker_pauses_with_the_rolled_back_model():
    t = get_task("adding", seq_len=20)
    m = build_model("gru", t.input_size, 16, t.output_size, head=t.head, seed=0)
    job = TrainingJob(Trainer(m, t, lr=50.0, batch_size=16, optimizer="sgd", device="cpu"), 10**6, mode="process")
    job.start()
    assert _wait(lambda: job.snapshot().status == "diverged")
    assert _wait(lambda: job._child is None)
    assert job.snapshot().message_key == "jobs.msg.diverged"
    assert all(torch.isfinite(p).all() for p in job.trainer.model.parameters())
    assert job.trainer.diverged


def test_a_closed_board_leaves_no_worker():
    board = JobBoard()
    for name in ("a", "b"):
        board.put(name, _job(target=10**6))
        board.get(name).start()
    assert _wait(lambda: all(board.get(n)._child is not None for n in ("a", "b")))
    pids = [board.get(n)._child.process.pid for n in ("a", "b")]
    jobs = [board.get(n) for n in ("a", "b")]
    board.shutdown()
    for pid in pids:
        assert _wait(lambda: not os.path.exists(f"/proc/{pid}"), 10)  # exited and reaped
    assert all(j._child is None and not j.alive for j in jobs)


def test_a_setting_changed_while_the_worker_parks_is_kept():
    """configure() may cross the worker's park message on the pipe: the park's state (with the
    learning rate and clipping the worker had) must not undo the server's newer settings."""
    job = _job(target=10**6)
    job.start()
    assert _wait(lambda: job.snapshot().step > 10 and job._child is not None)
    job.pause()
    assert _wait(lambda: job._child is None and job.snapshot().status == "paused")
    state = job.trainer.state_dict()  # what a worker parked with: lr 1e-2, no clipping
    state["history"] = None
    job.configure(lr=2e-3, clip=0.25)  # the reader's change, sent as the worker was parking
    forked.apply(job, {"recs": [], "probes": [], "step": job.trainer.step_count,
                       "rate": job._rate_window, "run_s": job._run_seconds,
                       "park": {"status": "paused", "state": state, "message": ("", "", {})}})
    assert job.trainer.config.lr == 2e-3 and job.trainer.config.clip == 0.25
    assert all(g["lr"] == 2e-3 for g in job.trainer.optimizer.param_groups)


def test_a_worker_is_a_scheduling_session_of_its_own():
    """Its own session (on Linux, its own autogroup): the server's script runs do not share its CPU share."""
    job = _job(target=10**6)
    job.start()
    assert _wait(lambda: job._child is not None and job.snapshot().step > 0)
    pid = job._child.process.pid
    assert os.getsid(pid) == pid != os.getsid(0)
    job.stop()


def test_a_worker_holds_none_of_the_servers_sockets():
    """A connection the server closes ends for its client, and a socket it stops listening on takes
    no more connections, a worker forked meanwhile or not. A worker's copy kept them open: a
    browser's requests on a closed connection waited for good."""
    import socket
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname())
    served, _ = listener.accept()
    job = _job(target=10**6)
    job.start()
    try:
        assert _wait(lambda: job._child is not None and job.snapshot().step > 0)
        served.close()  # the server is done with this connection
        client.settimeout(20)
        try:
            got = client.recv(1)
        except TimeoutError:
            got = None
        assert got == b"", "the connection stayed open after the server closed it"
        address = listener.getsockname()
        listener.close()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(address, timeout=20).close()
    finally:
        client.close()
        listener.close()
        job.stop()


_SERVER = """
import sys, time
sys.path.insert(0, {root!r})
from core import Trainer, build_model, get_task
from explorer.jobs.training_job import TrainingJob
t = get_task("sine", seq_len=20)
job = TrainingJob(Trainer(build_model("lstm", t.input_size, 16, t.output_size, head=t.head, seed=0), t, lr=1e-2,
                          batch_size=16, device="cpu"), 10**6, mode="process")
job.start()
while job._child is None or job.snapshot().step == 0:
    time.sleep(0.01)
print(job._child.process.pid, flush=True)
time.sleep(600)
"""


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"  # exited, not yet reaped by init
    except FileNotFoundError:
        return True


def _cpu_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


@pytest.mark.parametrize("stalled", [False, True])
def test_a_worker_ends_when_its_server_is_killed(stalled):
    """In a session of its own no terminal signal reaches the worker: it must notice its server's
    end, even when it is blocked writing to a pipe that the server had stopped reading (stalled:
    the server is stopped until the worker stops training, then killed)."""
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    server = subprocess.Popen([sys.executable, "-c", _SERVER.format(root=root)], stdout=subprocess.PIPE, text=True)
    try:
        pid = int(server.stdout.readline())
        assert not _gone(pid)
        if stalled:
            os.kill(server.pid, signal.SIGSTOP)
            # the worker fills the pipe, then blocks in its write: its CPU time stops growing
            end, last = time.time() + 60, -1
            while time.time() < end:
                now = _cpu_ticks(pid)
                if now == last:
                    break
                last = now
                time.sleep(1.0)
            assert now == last, "the worker never blocked on its full pipe"
        server.kill()  # no shutdown handler runs
        server.wait(30)
        assert _wait(lambda: _gone(pid), 30)
    finally:
        server.kill()
        if not _gone(pid):
            os.kill(pid, signal.SIGKILL)


def test_a_run_reforked_every_few_steps_ends_as_a_straight_run(monkeypatch):
    """A long stretch's worker parks and a fresh one forks (its memory shared with the server again):
    the run goes on exactly as if nothing happened."""
    monkeypatch.setattr(forked, "REFORK_S", 0.15)
    job, ref = _job(target=600), _job(target=600, mode="thread")
    pids = set()
    job.start()
    ref.start()
    end = time.time() + 120
    while job.snapshot().status not in ("done", "error") and time.time() < end:
        child = job._child
        if child is not None:
            pids.add(child.process.pid)
        time.sleep(0.01)
    assert _wait(lambda: ref.snapshot().status == "done" and job._child is None)
    assert job.snapshot().status == "done" and len(pids) >= 3, pids
    assert _same(_state(job), _state(ref))
    assert torch.equal(torch.tensor(job.snapshot().loss), torch.tensor(ref.snapshot().loss))
    assert job.snapshot().steps.tolist() == list(range(1, 601))
