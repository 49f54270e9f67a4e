"""Shareable links: a page's settings live in the URL's query string.

On a session's first run ``load()`` reads ``st.query_params`` and sets the matching session keys,
so a link a lecturer hands out opens exactly the same view (same settings, same seed, same device
kind: the same numbers). On every run ``save(url_path)`` writes the current page's settings that
differ from their defaults, plus the global ones (presenter mode, device, tour step), back to the
URL: short links, and the address bar is always a link to what is on the screen.

Names in the URL are the session keys of explorer/app/state.py ("lab.kind=gru"). Only the settings
that explorer/app/settings.py marks shared travel; results, signatures and uploads never do. A value
is parsed to the type of its default and checked against the setting's domain, the one its widget
shows; anything else is ignored and reported.
The language travels as ``lang=en`` / ``lang=ko`` on every page.
"""
from __future__ import annotations

import math

import streamlit as st

from core.compare import PRESETS, current_name

from . import state
from .i18n import normalize, text
from .settings import DEFAULTS, SETTINGS, TABLES, accepts, domain

GLOBAL_KEYS = tuple(s.key for s in TABLES["app"])  # written on every page
RESERVED: tuple = ("room",)  # query parameters this module neither parses nor reports (class mode's room code)
RESERVED_ON = {"room": "follow"}  # a reserved parameter stays in the address bar only on this page


def page_keys(url_path: str) -> list[str]:
    """The shared settings of the page at ``url_path`` ("training_lab"), without the global ones."""
    return [s.key for s in TABLES.get(url_path, ()) if s.shared] if url_path != "app" else []


def url_keys() -> list[str]:
    """Session keys that may appear in a link (global or of a page)."""
    return [s.key for table in TABLES.values() for s in table if s.shared]


def encode(key: str, value) -> str:
    """The query-string text of ``value`` for ``key`` (typed like the key's default)."""
    d = DEFAULTS[key]
    if isinstance(d, bool):
        return "1" if value else "0"
    if isinstance(d, int):
        return str(int(value))
    if isinstance(d, float):
        return repr(float(value))  # shortest text that reads back to the same float
    if isinstance(d, list):
        return ",".join(str(v) for v in value)
    return str(value)


def reason(why: str, value: str, lang: str = "en") -> str:
    """Why ``value`` was refused, in ``lang``: ``why`` is "bool", "number", "whole" or "finite"."""
    v = repr(value)
    return {"bool": text("urlstate.not_bool", lang, value=v), "number": text("urlstate.not_number", lang, value=v),
            "whole": text("urlstate.not_whole", lang, value=v),
            "finite": text("urlstate.not_finite", lang, value=v)}[why]


class BadValue(ValueError):
    """A query-parameter value that does not parse (the English reason; ``reason()`` in any language)."""

    def __init__(self, why: str, value: str):
        super().__init__(reason(why, value))
        self.why = why  # "bool", "number", "whole" or "finite"
        self.value = value  # the text that did not parse


def decode(key: str, raw: str):
    """Parse ``raw`` to the type of ``key``'s default; ValueError (``BadValue`` or float()'s own)
    when it does not parse."""
    d = DEFAULTS[key]
    if isinstance(d, bool):
        low = raw.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise BadValue("bool", raw)
    if isinstance(d, (int, float)):
        try:
            f = float(raw)
        except ValueError:
            raise BadValue("number", raw) from None
        if isinstance(d, int):
            if not f.is_integer():
                raise BadValue("whole", raw)
            return int(f)
        if not math.isfinite(f):
            raise BadValue("finite", raw)
        return f
    if isinstance(d, list):
        return [v for v in raw.split(",") if v]
    return raw


def domains(keys) -> dict:
    """key -> the values its widget accepts (a tuple of options or a ``Between``), for ``keys``
    (explorer/app/settings.py). Keys without one (free text) accept any value of the right type."""
    return {k: domain(k) for k in keys if k in SETTINGS and domain(k) is not None}


def _snap(value, domain):
    """The option itself (so a float read from the URL equals the widget's option exactly)."""
    if isinstance(value, float) and isinstance(domain, tuple):
        for o in domain:
            if isinstance(o, float) and math.isclose(value, o, rel_tol=1e-9):
                return o
    return value


def parse_params(params: dict, lang: str = "en") -> tuple[dict, list[str]]:
    """Check query parameters; pure (no Streamlit).

    Args:
        params: name -> text, as in ``st.query_params.to_dict()``.
        lang: language of the reasons given for rejected parameters.

    Returns:
        (key -> parsed value for the accepted ones, ["name=value: why", ...] for the rejected ones).
        Reserved names are neither.
    """
    allowed = set(url_keys())
    names = [n for n in params if n not in RESERVED]
    doms = domains([n for n in names if n in allowed])
    good, bad = {}, []
    for name in names:
        raw = params[name]
        if name not in allowed:
            bad.append(f"{name}: " + text("urlstate.not_shared", lang))
            continue
        if name == state.CMP_PRESET:
            raw = current_name(raw)  # a renamed preset's old name opens its successor
        try:
            value = decode(name, raw)
        except BadValue as e:
            bad.append(f"{name}={raw}: " + reason(e.why, e.value, lang))
            continue
        dom = doms.get(name)
        if not accepts(name, value):
            bad.append(f"{name}={raw}: " + text("urlstate.not_an_option", lang))
            continue
        good[name] = _snap(value, dom) if not isinstance(value, list) else [_snap(v, dom) for v in value]
    return good, bad


def params_for(url_path: str, values: dict) -> dict:
    """The query parameters of the page at ``url_path``: global and page keys that differ from
    their defaults, encoded. Pure: ``values`` is the session state (any mapping)."""
    out = {}
    for k in (*GLOBAL_KEYS, *page_keys(url_path)):
        if k in values and encode(k, values[k]) != encode(k, DEFAULTS[k]):
            out[k] = encode(k, values[k])
    return out


def load() -> None:
    """On the session's first run: apply the link's settings to the session (before any widget).
    Rejected parameters are reported in a toast and otherwise ignored."""
    ss = st.session_state
    if ss.get(state.URL_LOADED):
        return
    ss[state.URL_LOADED] = True
    params = st.query_params.to_dict()
    # the reasons in the link's own language when it names one
    good, bad = parse_params(params, normalize(params.get(state.LANG) or ss.get(state.LANG)))
    lang = normalize(good.get(state.LANG) or ss.get(state.LANG))
    for k, v in good.items():
        ss[k] = v
    preset = good.get(state.CMP_PRESET)
    if preset is not None:
        # a link that names a comparison preset gets its settings, as choosing it in the menu does;
        # a setting the link names as well wins
        from ..views.comparison import preset_state
        if preset in PRESETS:
            ss.update({k: v for k, v in preset_state(preset).items() if k not in good})
    if bad:
        st.toast(text("urlstate.ignored", lang, items="; ".join(bad)), icon=":material/link_off:")


def save(url_path: str) -> None:
    """Write the page's non-default settings (and the reserved parameters) to the address bar."""
    qp = st.query_params
    want = {n: qp[n] for n in RESERVED if n in qp and RESERVED_ON.get(n, url_path) == url_path}
    want.update(params_for(url_path, st.session_state))
    if qp.to_dict() != want:
        qp.from_dict(want)
