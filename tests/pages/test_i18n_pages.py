"""Every page opened with ?lang=ko is in Korean (text, widget labels, figure titles and axes), and
in English it shows no Korean; switching the language keeps the user's settings."""
import json

import pytest
from streamlit.testing.v1 import AppTest

from explorer.app.nav import PAGE_TABLE
from tests.i18n_check import has_hangul, untranslated_ko
from tests.pages.conftest import APP, chart_specs

TEXT_ELEMENTS = ("title", "header", "subheader", "caption", "markdown", "info", "warning", "error", "success")
LABELLED = ("button", "selectbox", "radio", "slider", "select_slider", "number_input", "text_input", "checkbox",
            "toggle", "multiselect", "metric", "expander", "tab", "text_area", "segmented_control",
            "download_button", "button_group")


def open_in(path: str, lang: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["lang"] = lang
    at.run()
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def page_texts(at: AppTest) -> list[str]:
    """Every piece of text on the page: markdown-like elements, widget labels and options,
    figure titles, axis titles and legend names."""
    out = []
    for kind in TEXT_ELEMENTS:
        out += [str(e.value) for e in at.get(kind)]
    for kind in LABELLED:
        for e in at.get(kind):
            label = getattr(e, "label", None) or getattr(getattr(e, "proto", None), "label", "")
            out.append(str(label))
            opts = getattr(e, "options", None)
            if opts and kind in ("selectbox", "radio", "multiselect", "select_slider"):
                out += [str(o) for o in opts]
    for spec in chart_specs(at):
        lay = spec.get("layout", {})
        for k, v in lay.items():
            if isinstance(v, dict) and "title" in v:
                t = v["title"]
                out.append(str(t.get("text", "") if isinstance(t, dict) else t))
        for ann in lay.get("annotations", []):
            out.append(str(ann.get("text", "")))
        for tr in spec.get("data", []):
            if tr.get("showlegend", True) and isinstance(tr.get("name"), str):
                out.append(tr["name"])
    return [s for s in out if s.strip()]


PAGES = [row[1] for row in PAGE_TABLE]


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.split("/")[-1][:-3])
def test_page_in_korean(path):
    at = open_in(path, "ko")
    texts = page_texts(at)
    assert len(texts) > 3
    assert [s for s in texts if untranslated_ko(s)] == []
    assert at.session_state["lang"] == "ko"


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.split("/")[-1][:-3])
def test_page_in_english_has_no_korean(path):
    at = open_in(path, "en")
    assert [s for s in page_texts(at) if has_hangul(s) and "Language" not in s and s != "한국어"] == []


def test_switching_language_keeps_settings_and_url():
    at = open_in("pages/training_lab.py", "en")
    at.selectbox(key="lab.task").select("adding")
    at.run()
    at.session_state["lang"] = "ko"
    at.run()
    assert not at.exception
    assert at.session_state["lab.task"] == "adding"
    assert at.query_params["lang"] == ["ko"] or at.query_params["lang"] == "ko"
    assert any(has_hangul(str(e.value)) for e in at.get("title"))
