"""The "train in seconds" recipes of core.demos really learn within their step budget."""
import numpy as np
import pytest
import torch

from core import trace
from core.demos import DEMOS, build_trainer, predict, train_demo, with_params

IO_DEMOS = ["one_to_one", "one_to_many", "many_to_one", "many_to_many", "encoder_decoder"]


def _beats_baseline(res) -> bool:
    task = res.trainer.task
    if task.higher_is_better:  # accuracy: clearly above the majority class
        return res.metric > task.baseline_metric + 0.15
    return res.metric < 0.5 * task.baseline_metric  # MSE: under half the constant predictor's


@pytest.mark.slow
@pytest.mark.parametrize("name", IO_DEMOS)
def test_io_demo_beats_trivial_baseline(name):
    res = train_demo(DEMOS[name])
    assert _beats_baseline(res), (name, res.metric, res.trainer.task.baseline_metric)
    # and training did something: the untrained model is not already there
    assert res.loss < res.loss_before


def test_untrained_demo_does_not_beat_baseline():
    res = train_demo(DEMOS["many_to_one"], steps=0)
    assert not _beats_baseline(res)


@pytest.mark.slow
def test_bidirectional_beats_one_way_on_lookahead():
    bi = train_demo(DEMOS["lookahead_bi"])
    uni = train_demo(DEMOS["lookahead_uni"])
    base = bi.trainer.task.baseline_metric
    assert bi.metric > base + 0.3  # sees x_{t+2}
    assert abs(uni.metric - base) < 0.06  # cannot: chance level
    assert bi.metric > uni.metric + 0.3


@pytest.mark.slow
def test_attention_beats_last_state_and_looks_at_the_mark():
    att = train_demo(DEMOS["attention"])
    last = train_demo(DEMOS["attention_last"])
    base = att.trainer.task.baseline_metric
    assert att.metric < 0.1 * base
    assert last.metric > 0.5 * base  # a vanilla RNN's last state forgot the early marks
    b = att.trainer.validation_batch(64)
    t = trace(att.trainer.model, b.x, b.y, att.trainer.task)
    mass_at_mark = (t.attention * b.x[:, :, 1].numpy()).sum(1)
    assert mass_at_mark.mean() > 0.7
    np.testing.assert_allclose(t.attention.sum(1), 1.0, atol=1e-5)


def test_build_and_predict_shapes():
    tr = build_trainer(DEMOS["encoder_decoder"], seed=3)
    batch, out = predict(tr, n=5)
    assert out.shape == (5, 4, 4)
    assert tr.model.config.seed == 3 and tr.config.seed == 3
    tr2 = build_trainer(DEMOS["lookahead_bi"])
    assert tr2.model.config.bidirectional


def test_with_params_replaces_task_parameters():
    r = with_params(DEMOS["lookahead_bi"], shift=3)
    assert r.make_task().params["shift"] == 3
    assert r.make_task().params["seq_len"] == 16
    assert DEMOS["lookahead_bi"].make_task().params["shift"] == 2


def test_same_seed_same_result():
    a = train_demo(DEMOS["many_to_one"], steps=5)
    b = train_demo(DEMOS["many_to_one"], steps=5)
    assert a.loss == b.loss
    pa = dict(a.trainer.model.named_parameters())
    for k, v in b.trainer.model.named_parameters():
        assert torch.equal(v, pa[k])
