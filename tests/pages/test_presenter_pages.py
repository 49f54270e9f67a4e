"""Presenter mode reaches every page's charts: larger type than the same page in normal mode."""
import pytest
from streamlit.testing.v1 import AppTest

from explorer.figures.common import FONT_SIZE
from tests.pages.conftest import APP, chart_specs

# pages that draw charts as soon as they open
PAGES = ["pages/rnn_cell.py", "pages/unrolled_graph.py", "pages/io_structures.py",
         "pages/bidirectional_attention.py", "pages/gradient_flow.py", "pages/dynamics.py"]


def _fonts(path: str, presenter: bool) -> list[float]:
    at = AppTest.from_file(APP, default_timeout=90)
    if presenter:
        at.query_params["presenter"] = "1"
    at.run()
    at.switch_page(path).run()
    assert not at.exception, at.exception
    specs = chart_specs(at)
    assert specs
    return [s["layout"].get("font", {}).get("size", 0) for s in specs]


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.split("/")[-1][:-3])
def test_presenter_mode_enlarges_every_chart(path):
    normal, big = _fonts(path, False), _fonts(path, True)
    assert len(normal) == len(big)
    assert all(f >= 1.3 * FONT_SIZE for f in big), big
    assert max(normal) < min(big)
