"""Dataset errors in the reader's language.

``core`` raises ``DatasetError`` with an English message plus ``key`` and ``params``; the
catalogue holds the text of each key under ``data_errors`` (explorer/locales/<lang>.toml),
and the English text there equals the engine's message. A parameter
that is a ``core.datasets.Phrase`` (a place such as "row 3, column 2 ('b')", a rule, a default
file name) is itself a catalogue entry and is told in the same language.

Pure (no Streamlit): pages pass ``explorer.app.lang.current()``.
"""
from __future__ import annotations

from core.datasets import Phrase
from explorer.app.i18n import DEFAULT_LANG, has, normalize, placeholders, text

PREFIX = "data_errors"


def _value(v, lang: str):
    """A parameter as the text shows it: a Phrase in ``lang``, anything else as it is."""
    if isinstance(v, Phrase) and has(f"{PREFIX}.{v.key}", DEFAULT_LANG):
        return _render(v.key, v.params, lang)
    return v


def _render(key: str, params: dict, lang: str) -> str:
    values = {k: _value(v, lang) for k, v in params.items()}
    template = text(f"data_errors.{key}", lang)
    missing = placeholders(template) - set(values)
    if missing:  # the error lacks values its text needs
        raise KeyError(f"{key}: {sorted(missing)}")
    return template.format(**values) if values else template


def dataset_error_text(err: Exception, lang: str) -> str:
    """The message of ``err`` in ``lang`` ("en" or "ko").

    Args:
        err: usually a ``core.datasets.DatasetError``; its ``key`` picks ``data_errors.<key>``
            and its ``params`` fill the placeholders.
        lang: language code; unknown codes give English.
    Returns:
        The catalogue text, or ``str(err)`` when the error has no key, the key is not in the
        catalogue, or its values do not fit the text (never raises for a bad catalogue entry).
    """
    key = getattr(err, "key", None)
    if not key or not has(f"{PREFIX}.{key}", DEFAULT_LANG):
        return str(err)
    try:
        return _render(key, dict(getattr(err, "params", None) or {}), normalize(lang))
    except (KeyError, IndexError, ValueError, TypeError):  # a text whose placeholders the error lacks
        return str(err)


def budget_error_text(err: Exception, lang: str) -> str:
    """A ``core.budget.BudgetError`` in ``lang``: the ``budget.<key>`` catalogue text with its params
    (``str(err)`` when the key or its values do not fit the catalogue)."""
    key = getattr(err, "key", None)
    if not key or not has(f"budget.{key}", DEFAULT_LANG):
        return str(err)
    try:
        return text(f"budget.{key}", normalize(lang), **dict(getattr(err, "params", None) or {}))
    except (KeyError, IndexError, ValueError, TypeError):
        return str(err)
