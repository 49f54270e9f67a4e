"""Class mode's rooms without Streamlit: codes, the registry, expiry, the shared frame cache (one
build per language whatever the number of followers), following a restart, and "Take a copy"."""
import json
import math
import re
import threading
from dataclasses import replace

import pytest
import torch

from explorer.views import follow_feeds
from explorer.app import state
from explorer.app.settings import DEFAULTS
from explorer.jobs.run_files import lab_settings
from explorer.views.follow_copy import take_copy
from explorer.jobs.job_board import JobBoard
from explorer.jobs.training_job import TrainingJob
from explorer.jobs.rooms import CODE_ALPHABET, CODE_LEN, ENDED, LEFT, RoomRegistry, new_code, normalize_code, show_code
from explorer.jobs.runs import build_trainer

HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _hangul(spec: str) -> bool:
    """Whether a chart's JSON text shows Korean once parsed (JSON may escape it as \\uXXXX)."""
    return bool(HANGUL.search(json.dumps(json.loads(spec), ensure_ascii=False)))


def _settings(**kw):
    s = lab_settings(lambda k: DEFAULTS.get(k))
    return replace(s, **{"device": "cpu", "hidden": 8, "seq_len": 12, "batch_size": 8, "probe_every": 5, **kw})


def _job(**kw) -> TrainingJob:
    s = _settings(**kw)
    return TrainingJob(build_trainer(s), 1000, probe_every=s.probe_every, probe_min_seconds=0.0)


class CountingFeed:
    """The Training lab's real feed, counting the frames it builds (a new Frame object each)."""

    def __init__(self):
        self.calls, self.built = 0, 0

    def __call__(self, room, lang, prev):
        self.calls += 1
        frame = follow_feeds.lab_feed(room, lang, prev)
        self.built += frame is not prev
        return frame


class Clock:
    """A clock the test moves by hand (the feeds rebuild curves at most every CURVE_S seconds)."""

    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


@pytest.fixture
def registry():
    feed = CountingFeed()
    clock = Clock()
    reg = RoomRegistry({"training_lab": feed}, publish_s=0, clock=clock)  # no threads: the tests call publish()
    reg.counting, reg.clock = feed, clock
    yield reg
    reg.close()


# ---- codes -------------------------------------------------------------------------------------

def test_codes_are_random_with_at_least_30_bits():
    assert len(CODE_ALPHABET) ** CODE_LEN >= 2 ** 30
    assert CODE_LEN * math.log2(len(set(CODE_ALPHABET))) >= 30
    codes = [new_code() for _ in range(2000)]
    assert all(len(c) == CODE_LEN and set(c) <= set(CODE_ALPHABET) for c in codes)
    assert len(set(codes)) == len(codes)  # 2000 draws of 40 bits: a repeat means they are not random
    # every character of the alphabet turns up, at every position roughly evenly
    assert set("".join(codes)) == set(CODE_ALPHABET)
    first = [c[0] for c in codes]
    assert max(first.count(ch) for ch in CODE_ALPHABET) < 2000 / 32 * 2


def test_codes_as_typed_or_read_aloud():
    code = new_code()
    assert normalize_code(code) == code
    assert normalize_code(show_code(code).lower()) == code
    assert normalize_code(" abcd-0123 ") == "ABCD0123"
    assert normalize_code("OIL00000") == "01100000"  # letters misread as digits
    for bad in ("", "ABC", "ABCD12345", "ABCD-12U4", None, 12345678, "<script>"):
        assert normalize_code(bad) is None


# ---- registry and expiry -----------------------------------------------------------------------

def test_open_get_and_end(registry):
    board = JobBoard()
    room = registry.open("training_lab", "tab-1", board)
    assert registry.open("training_lab", "tab-1", board) is room  # one room per tab and page
    assert registry.of("tab-1", "training_lab") is room
    assert registry.get(show_code(room.code).lower()) is room
    other = registry.open("training_lab", "tab-2", JobBoard())
    assert other.code != room.code
    registry.end(room.code)
    assert room.ended and room.end_reason == ENDED
    assert registry.get(room.code) is None
    assert registry.why_closed(room.code) == ENDED
    assert registry.of("tab-1", "training_lab") is None
    assert registry.get(other.code) is other  # the other lecturer's room is untouched
    unknown = next(c for c in iter(new_code, None) if c not in (room.code, other.code))
    assert registry.get(unknown) is None and registry.why_closed(unknown) is None
    assert registry.get("not a code") is None and registry.why_closed("not a code") is None
    with pytest.raises(ValueError):
        registry.open("rnn_cell", "tab-1", board)  # a page without a feed cannot be shared


def test_room_ends_when_the_lecturers_session_closes(registry):
    board = JobBoard()
    room = registry.open("training_lab", "tab-1", board)
    board.shutdown()  # what session_boards does when the lecturer's tab is gone
    assert registry.get(room.code) is None
    assert room.ended and room.end_reason == LEFT
    assert registry.why_closed(room.code) == LEFT


def test_publisher_threads_end_with_their_rooms():
    reg = RoomRegistry({"training_lab": CountingFeed()}, publish_s=0.05)
    before = set(threading.enumerate())
    b1, b2 = JobBoard(), JobBoard()
    r1 = reg.open("training_lab", "t1", b1)
    r2 = reg.open("training_lab", "t2", b2)
    mine = [t for t in threading.enumerate() if t not in before]
    assert {t.name for t in mine} == {f"rnnx-room-{r1.code}", f"rnnx-room-{r2.code}"}
    reg.end(r1.code)
    r1.join()
    b2.shutdown()  # the second lecturer leaves: its publisher notices by itself
    r2.join()
    assert not any(t.is_alive() for t in mine)
    assert r2.end_reason == LEFT
    reg.close()


# ---- the shared frame cache --------------------------------------------------------------------

def test_n_followers_cost_one_build_per_language(registry):
    board = JobBoard()
    job = _job()
    board.put("lab", job)
    job.run_sync(12)
    room = registry.open("training_lab", "tab-1", board)
    room.update(("lab",))
    feed = registry.counting
    assert room.follow("s0", "en") is None  # nothing built yet: nobody had asked
    for i in range(60):
        room.follow(f"s{i}", "ko" if i % 3 == 2 else "en")
    assert room.publish() == 2
    assert feed.built == 2 and room.builds == 2  # one per language, not one per follower
    en = [room.follow(f"s{i}", "en") for i in range(0, 60, 3)]
    ko = [room.follow(f"s{i}", "ko") for i in range(2, 60, 3)]
    assert all(f is en[0] for f in en) and all(f is ko[0] for f in ko)  # the very same bytes for all
    assert room.followers() == 60
    assert {"loss", "pred", "traj", "hidden"} <= set(en[0].specs)
    assert en[0].groups and all(json.loads(g)["rows"] for _, g in en[0].groups)  # UTF-8 JSON bytes
    assert not _hangul(en[0].specs["loss"]) and _hangul(ko[0].specs["loss"])
    assert json.loads(dict(ko[0].groups)["curves"])["specs"]["loss"] == ko[0].specs["loss"]
    # nothing moved: the next looks build nothing
    assert room.publish() == 0 and room.publish() == 0
    assert feed.built == 2
    # the run moved, but within CURVE_S of the last build: nothing yet (followers refresh about once a second)
    job.run_sync(10)
    registry.clock.t += follow_feeds.CURVE_S / 2
    assert room.publish() == 0
    # later: one more build per language, again shared
    registry.clock.t += follow_feeds.CURVE_S
    assert room.publish() == 2 and feed.built == 4
    assert room.follow("s0", "en") is room.follow("s3", "en") is not en[0]


def test_followers_follow_a_restart(registry):
    board = JobBoard()
    first = _job(seed=1)
    board.put("lab", first)
    first.run_sync(6)
    room = registry.open("training_lab", "tab-1", board)
    room.update(("lab",))
    room.follow("s", "en")
    room.publish()
    assert room.follow("s", "en").keys["ident"] == (first.id,)
    board.remove("lab")  # the lecturer pressed Reset
    room.publish()
    assert not room.follow("s", "en").rows
    second = _job(seed=2, kind="gru")
    board.put("lab", second)  # and trained a new run (another preset)
    second.run_sync(6)
    room.publish()
    frame = room.follow("s", "en")
    assert frame.keys["ident"] == (second.id,) and "loss" in frame.specs
    assert room.progress()["lab"].job_id == second.id and room.progress()["lab"].step == 6


# ---- Take a copy -------------------------------------------------------------------------------

def test_take_a_copy_gives_the_followers_own_run_with_the_same_parameters(registry):
    lect_board, follower_board = JobBoard(), JobBoard()
    job = _job(kind="gru", hidden=16, lr=0.03, seed=3)
    lect_board.put("lab", job)
    job.run_sync(15)
    room = registry.open("training_lab", "tab-1", lect_board)
    room.update(("lab",))
    updates, msg = take_copy(room, "lab", _settings(), {}, follower_board)
    assert msg[0] == "success", msg
    copy = follower_board.get("lab")
    assert copy is not None and copy is not job
    assert updates[state.LAB_KIND] == "gru" and updates[state.LAB_HIDDEN] == 16 and updates[state.LAB_LR] == 0.03
    assert updates[state.LAB_SEED] == 3
    theirs, mine = job.trainer.model.state_dict(), copy.trainer.model.state_dict()
    assert theirs.keys() == mine.keys()
    for k in theirs:
        assert torch.equal(theirs[k], mine[k]), k
        assert theirs[k].data_ptr() != mine[k].data_ptr()  # a copy, not the same tensors
    assert not copy.trainer.optimizer.state  # the optimiser starts afresh
    # the copy trains on its own: the lecturer's run does not move
    copy.run_sync(3)
    assert any(not torch.equal(job.trainer.model.state_dict()[k], copy.trainer.model.state_dict()[k]) for k in theirs)
    assert job.trainer.step_count == 15


def test_take_a_copy_of_nothing_says_so(registry):
    room = registry.open("training_lab", "tab-1", JobBoard())
    room.update(("lab",))
    board = JobBoard()
    updates, msg = take_copy(room, "lab", _settings(), {}, board)
    assert updates == {} and msg == ("error", "follow.copy_none", {})
    assert board.get("lab") is None


def test_one_snapshot_per_publish_for_all_languages(registry):
    board = JobBoard()
    job = _job()
    board.put("lab", job)
    job.run_sync(6)
    calls = []
    orig = job.snapshot
    job.snapshot = lambda: calls.append(1) or orig()  # each snapshot makes the training loop hand its lock over
    room = registry.open("training_lab", "tab-1", board)
    room.update(("lab",))
    for lang in ("en", "ko"):
        room.follow(lang, lang)
    assert room.publish() == 2
    assert len(calls) == 1


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_comparison_and_dynamics_feeds_build_their_charts(lang):
    """The other two pages that can be shared: their feeds build the page's charts from the jobs."""
    from core.dynamics import FlipFlopRecipe
    from explorer.views import comparison as CV
    from explorer.views import dynamics as DV

    reg = RoomRegistry(follow_feeds.FEEDS, publish_s=0, clock=Clock())
    try:
        board = JobBoard()
        s = CV.PageSettings(CV.CUSTOM, "sine", 12, 8, False, 0.01, 8, 1.0, 0, 1000, "cpu")
        jobs = CV.make_jobs(s, CV.make_task(s))
        for name, job in jobs.items():
            board.put(CV.JOB_NAMES[name], job)
            job.run_sync(3)
        room = reg.open("comparison", "tab-1", board)
        room.update(tuple(CV.JOB_NAMES.values()), view={"gate_seq": 1})
        room.follow("s", lang)
        assert room.publish() == 1
        frame = room.follow("s", lang)
        assert {"loss", "metric", "grad", "traj"} <= set(frame.specs), set(frame.specs)
        assert _hangul(frame.specs["loss"]) == (lang == "ko")
        assert set(room.progress()) == set(CV.JOB_NAMES.values())

        dboard = JobBoard()
        djob = DV.make_flipflop_job(FlipFlopRecipe(hidden=8, steps=100, seq_len=20, batch_size=8))
        dboard.put(DV.JOB_NAME, djob)
        djob.run_sync(3)
        droom = reg.open("dynamics", "tab-1", dboard)
        droom.update((DV.JOB_NAME,), view={"dims": 2})
        droom.follow("s", lang)
        assert droom.publish() == 1
        assert {"whh", "loss"} <= set(droom.follow("s", lang).specs)
    finally:
        reg.close()
