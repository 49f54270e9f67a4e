"""Suggested settings (``core.suggest``) in the reader's language. Pure (no Streamlit).

``reason_text(reason, lang)`` is the one sentence on why a setting was chosen;
``suggestion_lines(suggestion, lang)`` gives "setting: value — reason" for every setting, in the
order of ``SETTINGS``.
"""
from __future__ import annotations

from core.suggest import Reason, Suggestion

from ..app.i18n import text

SETTINGS = ("max_steps", "standardize", "val_fraction", "cell", "bidirectional", "hidden_size", "lr",
            "batch_size", "clip", "steps")


def reason_text(reason: Reason, lang: str = "en") -> str:
    """``suggest.reason.<key>`` formatted with the reason's values."""
    return text(f"suggest.reason.{reason.key}", lang, **reason.params)


def setting_name(name: str, lang: str = "en") -> str:
    """The name of a suggested setting (``suggest.setting.<name>``)."""
    return text(f"suggest.setting.{name}", lang)


def _value(s: Suggestion, name: str) -> str:
    v = getattr(s, name)
    if name == "max_steps":
        return "-" if v is None else f"{v} (÷{s.pool})"
    if name == "cell":
        return v.upper()
    if name == "val_fraction":
        return f"{round(100 * v)}%"
    if isinstance(v, bool):
        return "✓" if v else "✗"
    return f"{v:,}" if isinstance(v, int) else f"{v:g}"


def suggestion_lines(s: Suggestion, lang: str = "en") -> list[str]:
    """One line per suggested setting: its name, value and why."""
    return [text("suggest.line", lang, setting=setting_name(k, lang), value=_value(s, k),
                 reason=reason_text(s.reasons[k], lang)) for k in SETTINGS if k in s.reasons]
