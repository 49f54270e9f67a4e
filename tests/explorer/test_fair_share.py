"""JobLimiter shares its slots fairly between sessions (fake sessions, real threads)."""
from __future__ import annotations

import threading

from core import Trainer, build_model, get_task
from explorer.jobs.job_board import JobBoard
from explorer.jobs.concurrency import JobLimiter
from explorer.jobs.training_job import TrainingJob
from tests.explorer.test_jobs import _wait


def _hold(lim, job_id, owner, got: list, stop: threading.Event):
    """A fake job: wait for a slot, note it, hold it until ``stop`` (or asked to yield)."""
    def run():
        if lim.acquire(job_id, stop.is_set, owner):
            got.append(job_id)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_a_waiting_session_is_served_before_a_greedy_one():
    lim, got, stop = JobLimiter(2), [], threading.Event()
    for j in (1, 2):
        _hold(lim, j, "A", got, stop).join(5)
    assert sorted(got) == [1, 2] and lim.running == 2
    _hold(lim, 3, "A", got, stop)  # A's third job waits ...
    assert _wait(lambda: lim.waiting == 1)
    _hold(lim, 10, "B", got, stop)  # ... and B's first arrives after it
    assert _wait(lambda: lim.waiting == 2)
    assert lim.position(10) == 1 and lim.position(3) == 2  # B goes first: it runs nothing yet
    # A runs 2 while B runs 0: A's latest job (and only that one) is asked to give its slot back
    assert lim.should_yield(2) and not lim.should_yield(1)
    lim.release(2)
    assert _wait(lambda: 10 in got)
    assert 3 not in got and not lim.should_yield(1) and not lim.should_yield(10)  # 1 each: fair
    stop.set()


def test_unowned_jobs_keep_first_come_first_served():
    lim, got, stop = JobLimiter(1), [], threading.Event()
    _hold(lim, 1, None, got, stop).join(5)
    for j in (2, 3):
        _hold(lim, j, None, got, stop)
        assert _wait(lambda j=j: lim.position(j) is not None)
    assert (lim.position(2), lim.position(3)) == (1, 2) and not lim.should_yield(1)
    lim.release(1)
    assert _wait(lambda: got[-1:] == [2])
    stop.set()


def _job(seed):
    t = get_task("sine", seq_len=10)
    m = build_model("rnn", t.input_size, 8, t.output_size, seed=seed)
    return TrainingJob(Trainer(m, t, batch_size=8, device="cpu", seed=seed), 10**9, limiter=None)


def test_session_b_trains_while_session_a_holds_three_jobs_on_two_slots():
    lim = JobLimiter(2)
    a, b = JobBoard(), JobBoard()
    jobs_a = []
    for k in range(3):
        j = _job(k)
        j.limiter = lim
        a.put(f"cell{k}", j)
        jobs_a.append(j)
    try:
        for j in jobs_a:
            j.start()
        assert _wait(lambda: lim.running == 2 and lim.waiting == 1)
        jb = _job(9)
        jb.limiter = lim
        b.put("lab", jb)
        jb.start()
        # B runs although none of A's jobs ends (their target is out of reach)
        assert _wait(lambda: jb.snapshot().status == "running" and jb.trainer.step_count > 3)
        assert all(j.snapshot().status != "done" for j in jobs_a)
        running_a = [j for j in jobs_a if j.snapshot().status == "running"]
        assert len(running_a) == 1 and lim.running == 2
    finally:
        a.shutdown()
        b.shutdown()
    assert lim.running == 0 and lim.waiting == 0


def test_a_closed_tabs_jobs_give_their_slots_to_connected_sessions():
    lim, got, stop = JobLimiter(1), [], threading.Event()
    _hold(lim, 1, "closed", got, stop).join(5)
    lim.set_detached("closed", True)  # its tab is gone (within the reconnection TTL)
    assert not lim.should_yield(1)  # nobody waits: it trains on
    _hold(lim, 2, "closed", got, stop)
    _hold(lim, 3, "open", got, stop)
    assert _wait(lambda: lim.waiting == 2)
    assert lim.position(3) == 1 and lim.position(2) == 2  # a connected session is served first
    assert lim.should_yield(1)
    lim.release(1)
    assert _wait(lambda: 3 in got) and 2 not in got
    lim.set_detached("closed", False)  # the tab reloaded: it shares fairly again
    assert not lim.should_yield(3)
    stop.set()
