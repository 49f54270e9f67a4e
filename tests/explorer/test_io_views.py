"""The I/O structures and Bidirectional & attention page logic (explorer.views.io_structures,
explorer.views.bidirectional_attention) without Streamlit: figures follow the trained results."""
import numpy as np
import pytest

from core.demos import DEMOS
from explorer.views import bidirectional_attention as B
from explorer.views import io_structures as V


@pytest.mark.parametrize("structure", list(V.STRUCTURES))
def test_example_figure_shows_input_output_target(structure):
    res = V.train_example(structure, steps=2, seed=0)
    assert res.loss_curve.shape == (2,)
    f0, f1 = V.example_figure(res, 0), V.example_figure(res, 1)
    assert f0.to_json() != f1.to_json()  # another example, other data
    if structure in ("many_to_one", "many_to_many", "encoder_decoder"):
        assert list(f0.data[0].y) == ["input", "target", "output"]
        out_row = f0.data[0].text[2]
        pred = res.output[0].argmax(-1)
        if structure == "many_to_many":
            assert out_row == [res.vocab[k].replace(" ", "␣").replace("\n", "↵") for k in pred]
        if structure == "encoder_decoder":  # outputs only after the whole input was read
            T = res.x.shape[1]
            assert out_row[:T] == [""] * T and all(out_row[T:])
        if structure == "many_to_one":
            assert all(s == "" for s in out_row[:-1]) and out_row[-1].startswith(res.vocab[int(pred)])
    else:
        names = [t.name for t in f0.data]
        assert "target" in names and "output" in names
    assert len(V.diagram_figure(structure).layout.annotations) > 0


def test_metric_rows_match_the_result():
    res = V.train_example("many_to_one", steps=3, seed=1)
    rows = V.metric_rows(res)
    assert rows[0][1] == f"{res.metric_before:.1%}" and rows[1][1] == f"{res.metric:.1%}"
    assert rows[2][1] == f"{res.baseline_metric:.1%}"
    assert V.default_steps("many_to_many") == DEMOS["many_to_many"].steps


def test_lookahead_result_shapes_and_figures():
    res = B.train_lookahead(shift=3, steps=2, seed=0)
    n, T = res.x.shape
    assert res.target.shape == (n, T) and res.forward.shape == res.backward.shape == (n, T, 16)
    # the labels are the signs of the input three steps later
    np.testing.assert_array_equal(res.target[:, :-3], (res.x[:, 3:] > 0).astype(int))
    assert ((res.p_bi >= 0) & (res.p_bi <= 1)).all()
    fig = B.states_fig(res, 1)
    np.testing.assert_allclose(np.asarray(fig.data[1].z, float), res.backward[1].T, atol=1e-6)
    assert "t+3" in B.lookahead_fig(res, 0).layout.annotations[1].text


def test_attention_before_and_jobs():
    before = B.attention_before(20, 0)
    assert before.weights.shape == (B.N_SEQUENCES, 20)
    np.testing.assert_allclose(before.weights.sum(1), 1, atol=1e-5)
    fig = B.attention_fig(None, before)
    assert "UNTRAINED" in fig.layout.title.text
    jobs = B.new_attention_jobs(20, 5, 0)
    assert set(jobs) == set(B.ATTENTION_JOBS)
    assert jobs["attention"].trainer.model.config.head == "attention"
    assert jobs["attention_last"].trainer.model.config.head == "last"
    jobs["attention"].run_sync(5)
    snap = jobs["attention"].snapshot()
    fig = B.attention_fig(snap, before)
    np.testing.assert_allclose(np.asarray(fig.data[0].z, float), snap.probe.attention, atol=1e-6)
    assert list(fig.data[1].x) == list(B.probe_marks(snap.probe.x) + 1)
    assert B.latest_val_mse(snap, 9.0) == snap.val_metric[-1]
    assert B.latest_val_mse(None, 9.0) == 9.0
    assert B.mass_on_mark(np.eye(3), np.arange(3)) == 1.0


def test_views_in_korean():
    from tests.i18n_check import has_hangul, untranslated_ko
    res = V.train_example("many_to_one", steps=2, seed=0)
    fig = V.example_figure(res, 0, lang="ko")
    assert list(fig.data[0].y) == ["입력", "목표값", "출력"]
    assert fig.layout.title.text.startswith("예제 1")
    label = res.vocab[int(res.y[0])]
    assert fig.data[0].text[1][-1] == {"positive": "긍정", "negative": "부정"}[label]  # class names translated
    assert fig.data[0].text[0] == V.example_figure(res, 0).data[0].text[0]  # the sentence is data: unchanged
    rows = V.metric_rows(res, lang="ko")
    assert rows[1][0] == "검증 정확도, 학습 후" and rows[1][1] == f"{res.metric:.1%}"
    assert all(has_hangul(r[0]) for r in rows)
    diagram = V.diagram_figure("encoder_decoder", lang="ko")
    assert diagram.layout.title.text.startswith("인코더-디코더: ")
    wave = V.example_figure(V.train_example("one_to_many", steps=1, seed=0), 0, lang="ko")
    assert "진폭" in wave.data[0].text[0] and "주파수" in wave.data[0].text[0]
    assert [V.structure_text(k, "title", "ko") for k in V.STRUCTURES] == ["일대일", "일대다", "다대일", "다대다(동기)",
                                                                          "인코더-디코더"]
    with pytest.raises(ValueError):
        V.structure_text("many_to_few", "title")
    lres = B.train_lookahead(shift=2, steps=1, seed=0)
    for f in (B.lookahead_fig(lres, 0, lang="ko"), B.states_fig(lres, 0, lang="ko"),
              B.lookahead_compare_fig(lres, lang="ko")):
        assert has_hangul(f.layout.title.text) and not untranslated_ko(f.layout.title.text)
    assert list(B.lookahead_compare_fig(lres, lang="ko").data[1].x) == ["양방향", "단방향"]
    assert B.attention_label("attention_last", "ko") == "마지막 상태만"
    assert B.attention_label("attention") == "attention head"
