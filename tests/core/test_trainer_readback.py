"""Batched readback: losses wait on the device and are read back every N steps, with the same
records, callbacks and divergence handling as a step-by-step read."""
import math

import pytest
import torch

from core import Trainer, build_model, get_task


def _trainer(kind="lstm", task="sine", hidden=16, **kw):
    t = get_task(task)
    m = build_model(kind, t.input_size, hidden, t.output_size, head=t.head, out_steps=t.out_steps, seed=0)
    return Trainer(m, t, device="cpu", seed=0, **kw)


def _strip(history):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in history]


@pytest.mark.parametrize("task,kw", [("sine", {}), ("temporal_order", {"clip": 0.05})])
def test_history_matches_the_step_by_step_read(task, kw):
    ref = _trainer(task=task, readback_every=1, lr=1e-2, **kw)
    for _ in range(23):
        ref.step()
    batched = _trainer(task=task, readback_every=10, lr=1e-2, **kw)
    recs = batched.train(23)  # 23: two readbacks of 10 and a flush of 3 at the end
    assert _strip(recs) == _strip(ref.history) == _strip(batched.history)
    assert [r["step"] for r in recs] == list(range(1, 24))
    for a, b in zip(ref.model.parameters(), batched.model.parameters()):
        assert torch.equal(a, b)
    if task == "temporal_order":
        assert all("accuracy" in r for r in recs) and any(r["clipped"] for r in recs)


def test_losses_wait_until_the_readback_and_callbacks_get_every_step():
    tr = _trainer(readback_every=4)
    seen = []
    tr.on_step(lambda _tr, rec: seen.append((rec["step"], rec["loss"])))
    assert tr.advance() == [] and tr.advance() == [] and tr.advance() == []
    assert tr.pending == 3 and tr.history == [] and seen == []
    got = tr.advance()  # the 4th step reads all four back
    assert [r["step"] for r in got] == [1, 2, 3, 4] and tr.pending == 0
    tr.advance()
    assert tr.flush()[0]["step"] == 5 and tr.pending == 0
    assert seen == [(r["step"], r["loss"]) for r in tr.history]
    assert all(math.isfinite(loss) for _, loss in seen)


def test_state_dict_reads_pending_steps_back():
    tr = _trainer(readback_every=10)
    for _ in range(3):
        tr.advance()
    state = tr.state_dict()
    assert [r["step"] for r in state["history"]] == [1, 2, 3] and tr.pending == 0


def test_divergence_is_caught_within_n_steps_and_rolled_back():
    n = 5
    tr = _trainer(kind="rnn", task="adding", readback_every=n, lr=1e-3, hidden=8)
    for _ in range(9):
        assert tr.advance() == [] or tr.step_count == 5
    rollback_point = [p.detach().clone() for p in tr.model.parameters()]  # what step 10 evaluates
    assert len(tr.advance()) == 5  # the readback at step 10
    tr.advance(), tr.advance()
    orig = tr.task.sampler  # step 13 sees NaN inputs: its loss and every later step's are NaN
    tr.task.sampler = lambda B, g: (lambda b: type(b)(b.x * float("nan"), b.y))(orig(B, g))
    got = []
    calls = 0
    while not got:
        got = tr.advance()
        calls += 1
        tr.task.sampler = orig
    assert calls <= n  # caught within N steps
    assert [r["step"] for r in got] == [11, 12, 13]
    assert got[-1]["diverged"] and not got[0]["diverged"] and tr.diverged
    assert tr.step_count == 13 and tr.history[-1]["step"] == 13  # no records of NaN steps
    for p, s in zip(tr.model.parameters(), rollback_point):
        assert torch.equal(p.detach(), s)
    recs = tr.train(n)  # training goes on from finite parameters
    assert [r["step"] for r in recs] == list(range(14, 14 + n))
    assert all(math.isfinite(r["loss"]) for r in recs)


def test_a_blow_up_is_rolled_back_to_finite_parameters():
    tr = _trainer(kind="rnn", task="adding", readback_every=8, lr=10.0, optimizer="sgd", hidden=16)
    recs = tr.train(60)
    assert tr.diverged, "lr=10 with SGD and no clipping should blow up"
    first = next(r for r in recs if r["diverged"])
    assert all(math.isfinite(r["loss"]) for r in recs if r["step"] < first["step"])
    for p in tr.model.parameters():
        assert torch.isfinite(p).all()
    steps = [r["step"] for r in tr.history]
    assert steps == sorted(set(steps))  # dropped NaN steps are not recorded twice
