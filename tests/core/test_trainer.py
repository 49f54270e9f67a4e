import math

import pytest
import torch

from core import Trainer, build_model, get_task, pick_device


def _trainer(kind="lstm", task="sine", seed=0, **kw):
    t = get_task(task) if isinstance(task, str) else task
    m = build_model(kind, t.input_size, kw.pop("hidden", 32), t.output_size, head=t.head,
                    out_steps=t.out_steps, seed=seed)
    return Trainer(m, t, device="cpu", seed=seed, **kw)


def test_training_reduces_sine_loss_tenfold():
    tr = _trainer(lr=1e-2)
    start = tr.evaluate()["loss"]
    tr.train(300)
    end = tr.evaluate()["loss"]
    assert end < start / 10
    assert end < tr.task.baseline_loss / 10


def test_records_and_callbacks():
    tr = _trainer(task="temporal_order", lr=1e-2)
    seen = []
    tr.on_step(lambda trainer, rec: seen.append(rec["step"]))
    recs = tr.train(3)
    assert seen == [1, 2, 3]
    for key in ("step", "loss", "grad_norm", "metric", "accuracy", "seconds"):
        assert key in recs[-1]
    assert 0 <= recs[-1]["accuracy"] <= 1


def test_divergence_is_caught_and_rolled_back():
    tr = _trainer(kind="rnn", task="adding", lr=10.0, optimizer="sgd", hidden=16)
    good = None
    for _ in range(50):
        before = [p.detach().clone() for p in tr.model.parameters()]
        rec = tr.step()
        if rec["diverged"]:
            good = before
            break
    assert tr.diverged, "lr=10 with SGD and no clipping should blow up"
    # parameters are those of the last finite step, all finite, and stepping again does not raise
    for p in tr.model.parameters():
        assert torch.isfinite(p).all()
    assert good is not None
    assert math.isfinite(tr.history[-2]["loss"]) and tr.history[-1]["diverged"]
    tr.step()  # training can go on (e.g. after lowering the learning rate) without raising


def test_rollback_restores_the_last_finite_parameters():
    tr = _trainer(kind="rnn", task="adding", lr=1e-3, hidden=8)
    tr.train(1)
    # the parameters that the next (finite) step evaluates are the last ones known to be finite
    snapshot = [p.detach().clone() for p in tr.model.parameters()]
    assert not tr.step()["diverged"]
    # poison the data for one step: a non-finite loss must restore ``snapshot``
    orig = tr.task.sampler
    tr.task.sampler = lambda B, g: (lambda b: type(b)(b.x * float("nan"), b.y))(orig(B, g))
    rec = tr.step()
    tr.task.sampler = orig
    assert rec["diverged"] and tr.diverged
    for p, s in zip(tr.model.parameters(), snapshot):
        assert torch.equal(p.detach(), s)


def test_clipping_bounds_the_update():
    tr = _trainer(kind="rnn", task="adding", lr=1e-3, clip=1e-3, hidden=8)
    rec = tr.step()
    assert rec["clipped"]
    total = torch.sqrt(sum((p.grad ** 2).sum() for p in tr.model.parameters()))
    assert float(total) == pytest.approx(1e-3, rel=1e-3)


@pytest.mark.parametrize("opt", ["adam", "sgd"])
def test_same_seed_same_losses(opt):
    a = [r["loss"] for r in _trainer(optimizer=opt, weight_decay=1e-4).train(20)]
    b = [r["loss"] for r in _trainer(optimizer=opt, weight_decay=1e-4).train(20)]
    c = [r["loss"] for r in _trainer(optimizer=opt, seed=1, weight_decay=1e-4).train(20)]
    assert a == b
    assert a != c


def test_save_and_resume_gives_the_same_continuation():
    full = _trainer(kind="gru", task="adding", lr=5e-3)
    ref = [r["loss"] for r in full.train(30)]
    first = _trainer(kind="gru", task="adding", lr=5e-3)
    first.train(12)
    state = first.state_dict()
    resumed = _trainer(kind="gru", task="adding", lr=5e-3, seed=0)
    resumed.load_state_dict(state)
    rest = [r["loss"] for r in resumed.train(18)]
    assert rest == ref[12:]
    assert resumed.step_count == 30 and len(resumed.history) == 30


def test_evaluate_is_held_out_and_fixed():
    tr = _trainer()
    a, b = tr.evaluate(), tr.evaluate()
    assert a["loss"] == b["loss"]
    train_batch = tr.task.sample(32, torch.Generator().manual_seed(tr.config.seed))
    val_batch = tr.validation_batch(32)
    assert not torch.equal(train_batch.x, val_batch.x)


def test_history_is_bounded():
    tr = _trainer(kind="rnn", task="parity", hidden=4, max_history=50)
    tr.train(120)
    assert len(tr.history) <= 60
    assert tr.history[-1]["step"] == 120 and tr.history[0]["step"] == 1


def test_device_choice():
    assert pick_device("cpu").type == "cpu"
    auto = pick_device("auto")
    assert auto.type == ("cuda" if torch.cuda.is_available() else auto.type)
    tr = _trainer()
    assert tr.device.type == "cpu"


def test_cli_prints_progress(capsys):
    from core.train import main
    assert main(["--task", "parity", "--model", "gru", "--hidden", "8", "--steps", "4", "--every", "2",
                 "--param", "seq_len=5"]) == 0
    out = capsys.readouterr().out
    assert "step      2" in out and "step      4" in out and "trivial baseline" in out
