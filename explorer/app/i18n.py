"""Two languages: every piece of user-facing text comes from one catalogue per language.

The catalogues are TOML files, ``explorer/locales/en.toml`` and ``explorer/locales/ko.toml``.
Tables nest into dotted keys (``[lab] title = "Training lab"`` is the key ``"lab.title"``).
A string that takes values names them in braces (``"step {step:,}"``) and is formatted only
when values are passed, so a string without values may hold braces freely (LaTeX); a string
with values writes a literal brace twice (``{{``). tests/explorer/test_i18n.py checks that both
catalogues have the same keys and the same placeholders, and that every key the code asks for
exists.

This module is pure (no Streamlit): figure builders take ``lang`` and call ``text``; pages call
``explorer.app.lang.t``, which reads the session's language.
"""
from __future__ import annotations

import functools
import re
import string
import tomllib
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

LANGS = {"en": "English", "ko": "한국어"}  # code -> the language's own name (the sidebar lists these)
DEFAULT_LANG = "en"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locales"
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _flatten(table: dict, prefix: str, out: dict, src: str) -> None:
    for k, v in table.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            _flatten(v, key + ".", out, src)
        elif isinstance(v, str):
            if key in out:
                raise ValueError(f"{src}: key {key!r} is defined twice")
            out[key] = v
        else:
            raise ValueError(f"{src}: {key!r} is a {type(v).__name__}; catalogue values are strings")


@functools.cache  # the files are read-only data: one read per process, shared read-only
def catalogue(lang: str) -> Mapping[str, str]:
    """key -> text for ``lang`` (a read-only mapping). ValueError for an unknown language."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; choose one of {list(LANGS)}")
    out: dict[str, str] = {}
    path = LOCALE_DIR / f"{lang}.toml"
    with open(path, "rb") as f:
        _flatten(tomllib.load(f), "", out, path.name)
    return MappingProxyType(out)


def normalize(lang: str | None) -> str:
    """``lang`` if it is a known language code, else the default."""
    return lang if lang in LANGS else DEFAULT_LANG


def text(key: str, lang: str = DEFAULT_LANG, /, **values) -> str:
    """The text of ``key`` in ``lang``, formatted with ``values`` when any are given.

    A key missing from ``lang`` falls back to English, and a key missing from both comes back as
    the key itself (visible on the page, and the catalogue test fails).
    """
    s = catalogue(normalize(lang)).get(key)
    if s is None:
        s = catalogue(DEFAULT_LANG).get(key, key)
    return s.format(**values) if values else s


def has(key: str, lang: str = DEFAULT_LANG) -> bool:
    return key in catalogue(normalize(lang))


def placeholders(s: str) -> set[str]:
    """Names of the ``{fields}`` in ``s`` (``{step:,}`` -> ``step``)."""
    try:
        return {f.split(".")[0].split("[")[0] for _, f, _, _ in string.Formatter().parse(s) if f}
    except ValueError:  # an unbalanced brace in a string that is never formatted
        return set()


def options(prefix: str, lang: str = DEFAULT_LANG) -> dict[str, str]:
    """Every ``prefix.<name>`` entry as name -> text (for format_func of option widgets)."""
    cat = catalogue(normalize(lang))
    n = len(prefix) + 1
    return {k[n:]: v for k, v in cat.items() if k.startswith(prefix + ".") and "." not in k[n:]}
