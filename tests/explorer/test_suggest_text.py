"""Suggested settings told in English and Korean (explorer/views/data_suggest_text.py)."""
import pytest

from core.suggest import DataShape, Reason, suggest_settings
from explorer.app.i18n import catalogue
from explorer.views.data_suggest_text import SETTINGS, reason_text, suggestion_lines
from tests.i18n_check import has_hangul

SHAPES = [DataShape("labelled", 50, 150, 150, 1, 2), DataShape("labelled", 270, 7, 29, 12, 9),
          DataShape("labelled", 100, 1460, 1460, 1, 10), DataShape("series", 1, 5000, 5000, 3, 0)]


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("shape", SHAPES, ids=["short", "multi", "long", "series"])
def test_every_reason_renders_with_its_values(shape, lang):
    s = suggest_settings(shape, budget_s=60)
    lines = suggestion_lines(s, lang)
    assert len(lines) == len(s.reasons) == len([k for k in SETTINGS if k in s.reasons])
    for line in lines:
        assert "{" not in line and "suggest." not in line  # formatted, and the key exists
        assert has_hangul(line) == (lang == "ko")


def test_reason_text_uses_the_params():
    r = Reason("length_pool", {"length": 1460, "pool": 46, "steps": 32})
    assert "1460" in reason_text(r, "en") and "46" in reason_text(r, "en") and "32" in reason_text(r, "ko")
    s = suggest_settings(SHAPES[2])
    assert suggestion_lines(s, "en")[0].startswith("Length: 32 (÷46) — ")


def test_every_reason_key_core_can_give_has_a_text():
    keys = {k[len("suggest.reason."):] for k in catalogue("en") if k.startswith("suggest.reason.")}
    given = set()
    for shape in SHAPES + [DataShape("labelled", 40, 30, 30, 1, 2)]:
        for measured in (None, 30.0):
            given |= {r.key for r in suggest_settings(shape, steps_per_s=measured).reasons.values()}
    assert given == keys
