"""Links that would cost gigabytes: refused before computing, with a message saying what to reduce;
what the pages compute goes to the server's byte-bounded store."""
from streamlit.testing.v1 import AppTest

from explorer.app import cache
from explorer.views import gradient_flow as GV
from tests.pages.conftest import APP


def _open_link(page: str, params: dict, lang: str = "en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(dict(params, lang=lang))
    at.run()
    at.switch_page(page).run()
    return at


def test_the_gigabyte_gradient_flow_link_is_refused_before_computing(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("computed an over-budget view")
    monkeypatch.setattr(GV, "untrained_flows", refuse)
    for seed in (1, 2):
        at = _open_link("pages/gradient_flow.py", {"gradient_flow.seq_len": "1000", "gradient_flow.hidden": "512",
                                                   "gradient_flow.seed": str(seed)})
        assert not at.exception and not at.error
        msg = " ".join(w.value for w in at.warning)
        assert "reduce the sequence length, the hidden size or the number of cells" in msg
        assert at.select_slider(key="gradient_flow.seq_len").value == 1000  # the controls stay, to reduce
    at = _open_link("pages/gradient_flow.py", {"gradient_flow.seq_len": "1000", "gradient_flow.hidden": "512"}, "ko")
    assert "셀 수를 줄이세요" in " ".join(w.value for w in at.warning)


def test_page_results_are_kept_in_the_byte_bounded_store():
    store = cache.shared()
    store.clear()
    at = _open_link("pages/gradient_flow.py", {"gradient_flow.seq_len": "50", "gradient_flow.hidden": "16",
                                               "gradient_flow.seed": "7"})
    assert not at.exception and not at.warning
    keys = [k for k in store._items if k[1] == "untrained_flows"]
    assert len(keys) == 1 and keys[0][2].seed == 7 and keys[0][2].seq_len == 50
    flows = store.get(keys[0])
    gates = sum(g.nbytes for f in flows.values() for g in f.gates.values())
    assert gates > 0 and store.total >= gates and store.total <= store.budget
