import math

import pytest
import torch

from core import IGNORE, IO_KINDS, TASKS, build_model, get_task
from core.tasks import constant_baseline

EXPECTED = {  # name: (io, loss_kind, head)
    "sine": ("many-to-many", "mse", "per_step"),
    "adding": ("many-to-one", "mse", "last"),
    "delayed_recall": ("many-to-many", "cross_entropy", "per_step"),
    "temporal_order": ("many-to-one", "cross_entropy", "last"),
    "parity": ("many-to-one", "cross_entropy", "last"),
    "flipflop": ("many-to-many", "mse", "per_step"),
    "char_lm": ("many-to-many", "cross_entropy", "per_step"),
    "sentiment": ("many-to-one", "cross_entropy", "last"),
    "waveform": ("one-to-many", "mse", "per_step"),
    "reversal": ("encoder-decoder", "cross_entropy", "encoder_decoder"),
    "marked_recall": ("many-to-one", "mse", "attention"),
    "lookahead": ("many-to-many", "cross_entropy", "per_step"),
    "one_to_one": ("one-to-one", "mse", "last"),
}


def test_registry_is_complete():
    assert set(TASKS) == set(EXPECTED)
    assert {EXPECTED[n][0] for n in EXPECTED} == set(IO_KINDS)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_task_shapes_io_and_model_fit(name, gen):
    task = get_task(name)
    io, loss_kind, head = EXPECTED[name]
    assert (task.io, task.loss_kind, task.head) == (io, loss_kind, head)
    x, y = task.sample(7, gen)
    assert x.dtype == torch.float32 and x.shape == (7, task.seq_len, task.input_size)
    if loss_kind == "cross_entropy":
        assert y.dtype == torch.long
        valid = y[y != IGNORE]
        assert valid.min() >= 0 and valid.max() < task.output_size
    model = build_model("gru", task.input_size, 8, task.output_size, head=task.head, out_steps=task.out_steps)
    out = model(x)
    loss = task.loss(out, y)
    assert torch.isfinite(loss)
    # the trivial baseline is a real number and the metric is defined for a random model
    assert math.isfinite(task.baseline_loss) and math.isfinite(task.baseline_metric)
    assert math.isfinite(task.score(out, y))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sampling_is_reproducible_from_the_generator(name):
    task = get_task(name)
    a = task.sample(5, torch.Generator().manual_seed(42))
    b = task.sample(5, torch.Generator().manual_seed(42))
    c = task.sample(5, torch.Generator().manual_seed(43))
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    assert not (torch.equal(a.x, c.x) and torch.equal(a.y, c.y))


def test_adding_problem_form_and_baseline(gen):
    task = get_task("adding", seq_len=40)
    x, y = task.sample(4000, gen)
    marks = x[..., 1]
    assert torch.all(marks.sum(1) == 2)
    assert torch.all(marks[:, :20].sum(1) == 1) and torch.all(marks[:, 20:].sum(1) == 1)
    assert torch.allclose((x[..., 0] * marks).sum(1, keepdim=True), y)
    # always answering 1 scores MSE 1/6
    assert float(((y - 1) ** 2).mean()) == pytest.approx(1 / 6, abs=0.01)
    assert task.baseline_loss == pytest.approx(1 / 6, abs=0.01)


def test_delayed_recall_targets_are_the_past(gen):
    task = get_task("delayed_recall", seq_len=20, delay=4)
    x, y = task.sample(3, gen)
    assert torch.all(y[:, :4] == IGNORE)
    assert torch.equal(y[:, 4:], x.argmax(-1)[:, :16])
    assert task.baseline_metric == pytest.approx(0.25, abs=0.03)


def test_flipflop_holds_the_last_pulse(gen):
    task = get_task("flipflop", seq_len=60)
    x, y = task.sample(2, gen)
    for b in range(2):
        for c in range(3):
            last = None
            for t in range(60):
                if x[b, t, c] != 0:
                    last = float(x[b, t, c])
                assert float(y[b, t, c]) == last


def test_sentiment_vocabulary_has_love_and_hate():
    task = get_task("sentiment")
    assert "love" in task.channel_names and "hate" in task.channel_names
    assert task.baseline_metric == pytest.approx(0.5, abs=0.05)


def test_char_lm_uses_the_shipped_sonnets(gen):
    task = get_task("char_lm", seq_len=32)
    x, y = task.sample(2, gen)
    text = "".join(task.vocab[i] for i in x[0].argmax(-1).tolist())
    assert text[1:] == "".join(task.vocab[i] for i in y[0, :-1].tolist())
    assert 3.0 < task.baseline_loss < 3.5  # unigram entropy of English letters, in nats


def test_reversal_and_lookahead(gen):
    x, y = get_task("reversal", seq_len=5).sample(3, gen)
    assert torch.equal(y, x.argmax(-1).flip(1))
    x, y = get_task("lookahead", seq_len=10, shift=2).sample(3, gen)
    assert torch.equal(y[:, :-2], (x[:, 2:, 0] > 0).long())


def test_constant_baseline_is_the_best_constant(gen):
    task = get_task("sine")
    _, y = task.sample(256, gen)
    loss, _ = constant_baseline(task, y)
    for c in (-0.1, 0.1, 0.3):
        assert loss <= float(((y - c) ** 2).mean()) + 1e-6


def test_unknown_task_and_parameter_messages():
    with pytest.raises(ValueError, match="choose one of"):
        get_task("nope")
    with pytest.raises(ValueError, match="bad parameters"):
        get_task("adding", wrong=1)
