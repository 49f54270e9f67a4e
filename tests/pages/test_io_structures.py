"""The I/O structures page under AppTest: diagrams per structure, training on demand, examples."""
from core.demos import DEMOS
from explorer.app import state
from tests.pages.conftest import chart_specs, open_page, plot_array, press

PAGE = "pages/io_structures.py"


def _diagram(at):
    return next(s for s in chart_specs(at) if "wiring" in s["layout"]["title"]["text"])


def _node_count(spec):
    return sum(len(d["x"]) for d in spec["data"] if d.get("mode") == "markers+text")


def test_structure_choice_changes_the_diagram():
    at = open_page(PAGE)
    assert not at.exception
    assert any("Not trained yet" in i.value for i in at.info)
    assert _node_count(_diagram(at)) == 4 + 4 + 1  # many-to-one: 4 inputs, 4 states, 1 output
    at.radio(key=state.IO_STRUCTURE).set_value("one_to_one").run()
    assert _node_count(_diagram(at)) == 3
    assert at.select_slider(key=state.IO_STEPS).value == DEMOS["one_to_one"].steps  # recipe default
    at.radio(key=state.IO_STRUCTURE).set_value("encoder_decoder").run()
    spec = _diagram(at)
    assert _node_count(spec) == 16
    assert "Encoder-decoder" in spec["layout"]["title"]["text"]


def test_train_shows_numbers_and_example_follows_slider():
    at = open_page(PAGE)
    at.radio(key=state.IO_STRUCTURE).set_value("encoder_decoder").run()
    at.select_slider(key=state.IO_STEPS).set_value(20).run()
    press(at, state.IO_BTN_TRAIN)
    assert not at.exception
    res = at.session_state[state.IO_RESULTS]["encoder_decoder"]
    assert res.steps == 20
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["held-out accuracy, trained"] == f"{res.metric:.1%}"
    assert metrics["trivial baseline (best constant)"] == f"{res.baseline_metric:.1%}"
    ex = next(s for s in chart_specs(at) if s["layout"]["title"]["text"].startswith("Example 1"))
    inputs = ex["data"][0]["text"][0]
    assert inputs[:4] == [res.channels[k] for k in res.x[0].argmax(-1)]
    loss = next(s for s in chart_specs(at) if s["layout"]["title"]["text"].startswith("Training loss"))
    train = next(d for d in loss["data"] if d.get("name", "").startswith("train"))
    assert len(plot_array(train["x"])) == 20
    at.select_slider(key=state.IO_SAMPLE).set_value(3).run()
    ex4 = next(s for s in chart_specs(at) if s["layout"]["title"]["text"].startswith("Example 4"))
    assert ex4["data"][0]["text"][0][:4] == [res.channels[k] for k in res.x[3].argmax(-1)]
    # a new seed is announced, not silently shown as trained
    at.number_input(key=state.IO_SEED).set_value(5).run()
    assert any("press **Train this example**" in c.value for c in at.caption)
