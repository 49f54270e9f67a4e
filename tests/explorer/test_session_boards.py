"""BoardRegistry: a tab's runs live as long as a session that uses them (fake sessions and clock)."""
from __future__ import annotations


from core import Trainer, build_model, get_task
from explorer.jobs.training_job import TrainingJob
from explorer.jobs.session_boards import BoardRegistry
from tests.explorer.test_jobs import _wait


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def _job():
    t = get_task("sine", seq_len=10)
    return TrainingJob(Trainer(build_model("rnn", 1, 8, 1), t, batch_size=8, device="cpu"), 10**9)


def test_reload_and_blip_within_the_ttl_keep_the_run_and_a_closed_tab_frees_it_after():
    clock, active = Clock(), {"s1"}
    reg = BoardRegistry(120, active.__contains__, clock=clock, sweep_s=0)
    board = reg.board("tab", "s1")
    job = _job()
    board.put("lab", job)
    job.start()
    try:
        assert _wait(lambda: job.trainer.step_count > 2)
        clock.t += 1000  # connected all along: kept however long
        assert reg.sweep() == [] and job.alive
        active.discard("s1")  # a blip (or the reload's old session going away) ...
        clock.t += 60
        assert reg.sweep() == [] and job.alive
        assert reg.board("tab", "s2") is board  # ... the reloaded page (a new session) finds the run
        active.add("s2")
        steps = job.trainer.step_count
        assert _wait(lambda: job.trainer.step_count > steps)  # still training
        clock.t += 500
        assert reg.sweep() == [] and reg.board("other", "s9") is not board
        active.discard("s2")  # the tab is closed
        clock.t += 119
        assert reg.sweep() == [] and job.alive  # within the TTL it could still come back
        clock.t += 2
        assert reg.sweep() == ["tab", "other"]  # "other" (s9) was never connected
        assert not job.alive and job.snapshot().status == "stopped"
        assert "tab" not in reg.tokens() and reg.board("tab", "s3") is not board
    finally:
        reg.close()
        job.stop()


def test_the_reaper_thread_frees_a_closed_tabs_threads():
    reg = BoardRegistry(0.2, lambda s: False, sweep_s=0.05)
    try:
        job = _job()
        reg.board("tab", "s1").put("lab", job)
        job.start()
        assert _wait(lambda: job.alive)
        assert _wait(lambda: not job.alive and "tab" not in reg.tokens())
    finally:
        reg.close()


def test_a_failing_session_check_keeps_the_board_and_empty_boards_can_be_forgotten():
    def broken(_):
        raise RuntimeError("runtime gone")
    clock = Clock()
    reg = BoardRegistry(1, broken, clock=clock, sweep_s=0)
    b = reg.board("a", "s1")
    clock.t += 100
    assert reg.sweep() == [] and reg.board("a", "s1") is b
    reg.forget_if_empty("a")
    assert reg.tokens() == []
    job = _job()
    reg.board("b", "s1").put("lab", job)
    reg.forget_if_empty("b")  # holds a job: kept
    assert reg.tokens() == ["b"]
    reg.close()


def test_the_limiter_hears_when_a_tab_is_gone_back_or_ended():
    clock, active, heard = Clock(), {"s1"}, []
    reg = BoardRegistry(10, active.__contains__, clock=clock, sweep_s=0,
                        on_detached=lambda token, detached: heard.append((token, detached)))
    reg.board("tab", "s1")
    reg.sweep()
    assert heard == []  # connected: nothing to say
    active.clear()
    reg.sweep()
    assert heard == [("tab", True)]
    reg.board("tab", "s2")  # a reload
    assert heard[-1] == ("tab", False)
    clock.t += 5
    reg.sweep()
    assert heard[-1] == ("tab", True)
    clock.t += 11
    assert reg.sweep() == ["tab"] and heard[-1] == ("tab", False)  # ended: forgotten
    reg.close()
