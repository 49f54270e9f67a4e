"""The Trainer's best checkpoint, early stopping, and its refusal of a model that does not fit the task."""
import pytest
import torch
from torch import nn

from core import Trainer, build_model, get_task


def _trainer(task="parity", kind="gru", hidden=16, **kw):
    t = get_task(task) if isinstance(task, str) else task
    m = build_model(kind, t.input_size, hidden, t.output_size, head=t.head, out_steps=t.out_steps, seed=0)
    return Trainer(m, t, device="cpu", seed=0, **kw)


def _weights(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("task", ["parity", "sine"])
def test_best_checkpoint_is_the_best_evaluation_and_restores_it(task):
    tr = _trainer(task, lr=3e-2)
    seen = []  # (metric, weights) at each tracked evaluation
    for _ in range(8):
        tr.train(15)
        ev = tr.evaluate(track_best=True)
        seen.append((ev["step"], ev["metric"], _weights(tr.model), ev["loss"]))
    sign = -1 if tr.task.higher_is_better else 1
    # the best metric; among equal ones the lowest loss; among full ties the earliest step
    best = min(range(len(seen)), key=lambda i: (sign * seen[i][1], seen[i][3], i))
    assert tr.best_metric == seen[best][1] and tr.best_step == seen[best][0]
    state = tr.best_state_dict()
    for k, v in seen[best][2].items():
        assert torch.equal(state[k], v)
    tr.train(5)  # move away, then come back
    assert tr.restore_best()
    assert tr.evaluate()["metric"] == pytest.approx(tr.best_metric, abs=1e-6)
    for k, v in _weights(tr.model).items():
        assert torch.equal(v, seen[best][2][k])


def test_nothing_tracked_nothing_to_restore():
    tr = _trainer()
    tr.train(3)
    tr.evaluate()  # not tracked
    assert tr.best_step is None and tr.best_state_dict() is None
    before = _weights(tr.model)
    assert tr.restore_best() is False
    assert all(torch.equal(v, before[k]) for k, v in _weights(tr.model).items())
    assert tr.should_stop is False


def test_copy_is_made_only_on_improvement_and_patience_counts_evaluations():
    tr = _trainer("sine", patience=2)  # mse: lower is better
    assert tr.note_validation({"step": 1, "metric": 0.5}) is True
    kept = tr.best_state_dict()
    tr.train(2)  # the weights change ...
    assert tr.note_validation({"step": 3, "metric": 0.6}) is False  # ... but a worse result keeps the old copy
    assert all(torch.equal(v, kept[k]) for k, v in tr.best_state_dict().items())
    assert not tr.should_stop
    assert tr.note_validation({"step": 4, "metric": float("nan")}) is False  # never an improvement
    assert tr.should_stop and tr.best_step == 1
    assert tr.note_validation({"step": 5, "metric": 0.4}) is True  # improvement resets the count
    assert not tr.should_stop and tr.best_step == 5 and tr.best_metric == 0.4


def test_an_accuracy_tie_is_broken_by_the_held_out_loss():
    tr = _trainer("parity")
    assert tr.note_validation({"step": 10, "metric": 0.9, "loss": 0.5})
    assert not tr.note_validation({"step": 20, "metric": 0.9, "loss": 0.5})  # a full tie keeps the earlier
    assert tr.note_validation({"step": 30, "metric": 0.9, "loss": 0.3})  # same accuracy, more confident
    assert not tr.note_validation({"step": 40, "metric": 0.8, "loss": 0.1})  # the metric comes first
    assert (tr.best_step, tr.best_metric) == (30, 0.9)
    with pytest.raises(ValueError, match="patience"):
        _trainer(patience=0)


def test_best_checkpoint_survives_save_and_resume():
    tr = _trainer(lr=3e-2)
    tr.train(10)
    tr.evaluate(track_best=True)
    state = tr.state_dict()
    other = _trainer(lr=3e-2)
    other.load_state_dict(state)
    assert (other.best_step, other.best_metric) == (tr.best_step, tr.best_metric)
    assert all(torch.equal(v, tr.best_state_dict()[k]) for k, v in other.best_state_dict().items())
    del state["best"]  # a run saved before best checkpoints existed
    old = _trainer(lr=3e-2)
    old.load_state_dict(state)
    assert old.best_step is None and old.best_state_dict() is None


# ---- a model must fit its task ----------------------------------------------------------------------

def test_per_step_head_on_a_many_to_one_task_is_refused():
    t = get_task("adding", seq_len=32)  # many-to-one regression: MSE would broadcast (B, T, 1) vs (B, 1)
    m = build_model("lstm", t.input_size, 8, t.output_size, head="per_step", seed=0)
    with pytest.raises(ValueError, match="'per_step' head does not fit the task 'adding'.*'last', 'attention'"):
        Trainer(m, t, batch_size=32, device="cpu")


def test_one_output_head_on_a_per_step_task_is_refused():
    t = get_task("sine")
    m = build_model("gru", t.input_size, 8, t.output_size, head="last", seed=0)
    with pytest.raises(ValueError, match="'last' head does not fit"):
        Trainer(m, t, device="cpu")


@pytest.mark.parametrize("field, value, words", [("output_size", 3, "has 3 outputs but .* has 2 classes"),
                                                 ("input_size", 5, "reads 5 input features")])
def test_wrong_sizes_are_refused(field, value, words):
    t = get_task("parity")
    sizes = {"input_size": t.input_size, "output_size": t.output_size, field: value}
    m = build_model("rnn", sizes["input_size"], 8, sizes["output_size"], head="last", seed=0)
    with pytest.raises(ValueError, match=words):
        Trainer(m, t, device="cpu")


def test_attention_head_fits_a_many_to_one_task():
    t = get_task("parity")
    m = build_model("gru", t.input_size, 8, t.output_size, head="attention", seed=0)
    assert Trainer(m, t, device="cpu").step()["step"] == 1


def test_a_module_without_a_config_is_checked_by_its_output_shape():
    t = get_task("adding", seq_len=20)

    class PerStep(nn.Module):  # a hand-made model: (B, T, 1) out for a (B, 1) target
        def __init__(self):
            super().__init__()
            self.rnn = nn.GRU(t.input_size, 4, batch_first=True)
            self.out = nn.Linear(4, 1)

        def forward(self, x, lengths=None):
            return self.out(self.rnn(x)[0])

    with pytest.raises(ValueError, match=r"output has shape \(2, 20, 1\) .* targets have shape \(2, 1\)"):
        Trainer(PerStep(), t, device="cpu")
