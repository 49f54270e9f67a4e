"""The language catalogues: complete in both languages, and every key the code asks for exists."""
import re
from pathlib import Path

import pytest

from explorer.app import i18n
from tests.i18n_check import has_hangul, untranslated_ko

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "explorer").rglob("*.py"))]
# t("key"), text("key", ...), fmt("prefix"), i18n.text("key"), options("prefix"), and f-string keys
KEY_CALL = re.compile(r"""\b(?:t|text|fmt|options|has|_t|tx)\(\s*(f?)(["'])([a-z0-9_.{}\[\]'" ]+?)\2""")
EN, KO = i18n.catalogue("en"), i18n.catalogue("ko")


def test_both_catalogues_have_the_same_keys():
    assert sorted(set(EN) - set(KO)) == [], "missing in ko.toml"
    assert sorted(set(KO) - set(EN)) == [], "missing in en.toml"
    assert len(EN) > 30


@pytest.mark.parametrize("lang", list(i18n.LANGS))
def test_no_empty_text(lang):
    cat = i18n.catalogue(lang)
    assert [k for k, v in cat.items() if not v.strip()] == []


def test_placeholders_match():
    bad = {k: (i18n.placeholders(EN[k]), i18n.placeholders(KO[k])) for k in EN
           if k in KO and i18n.placeholders(EN[k]) != i18n.placeholders(KO[k])}
    assert bad == {}


def test_korean_is_korean_and_english_is_english():
    assert [k for k, v in KO.items() if untranslated_ko(v)] == []
    # the language switch names both languages in their own script
    allowed = {"app.language"}
    assert [k for k, v in EN.items() if has_hangul(v) and k not in allowed] == []


def _used_keys():
    exact, prefixes = set(), set()
    for path in SOURCES:
        for f, _, key in KEY_CALL.findall(path.read_text()):
            if f and "{" in key:
                prefixes.add(key.split("{")[0])
            elif "." in key:
                exact.add(key)
    return exact, prefixes


def test_every_key_in_the_code_exists():
    exact, prefixes = _used_keys()
    assert len(exact) > 10
    assert sorted(k for k in exact if k not in EN and not any(e.startswith(k + ".") for e in EN)) == []
    assert sorted(p for p in prefixes if not any(k.startswith(p) for k in EN)) == []


def test_every_key_is_used():
    exact, prefixes = _used_keys()
    unused = [k for k in EN if k not in exact and not any(k.startswith(p) for p in prefixes)
              and not any(k.startswith(e + ".") for e in exact)]
    assert unused == []


def test_text_formats_and_falls_back():
    assert i18n.text("app.run_line", "ko", task="a", kind="LSTM", hidden=8, status="s", step=1500).endswith("1,500 단계")
    assert i18n.text("no.such.key", "ko") == "no.such.key"
    assert i18n.text("app.presenter", "xx") == EN["app.presenter"]  # unknown language -> English
    with pytest.raises(ValueError):
        i18n.catalogue("xx")


def test_catalogue_is_read_only():
    with pytest.raises(TypeError):
        i18n.catalogue("en")["app.presenter"] = "x"


# A literal English string handed straight to Streamlit or to a figure is text the catalogue misses.
ST_TEXT = re.compile(
    r"""\b(?:st|c\d|col|left|right|box|tab\w*|side\w*|\w+_col)\.(?:title|header|subheader|caption|markdown|"""
    r"""info|warning|error|success|toast|button|radio|selectbox|multiselect|slider|select_slider|checkbox|"""
    r"""toggle|number_input|text_input|text_area|file_uploader|download_button|metric|expander|tabs|"""
    r"""spinner|status|write|page_link|segmented_control|pills|form_submit_button)\(\s*f?(["'])([^"']*)\1""")
FIG_TEXT = re.compile(r"""\b(?:title|x_title|y_title|name|text|title_text|message|label)\s*=\s*f?(["'])([^"']*)\1""")


def _english(s: str) -> bool:
    from tests.i18n_check import english_words
    return bool(english_words(s))


@pytest.mark.parametrize("path", [p for p in SOURCES if p.name not in ("i18n.py", "lang.py")],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_no_literal_english_text(path):
    src = path.read_text()
    found = [m.group(2) for m in ST_TEXT.finditer(src) if _english(m.group(2))]
    if "figures" in path.parts or path.name.endswith("_views.py"):
        found += [m.group(2) for m in FIG_TEXT.finditer(src) if _english(m.group(2))]
    assert found == []
