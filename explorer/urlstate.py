"""Shareable links: a page's settings live in the URL's query string.

On a session's first run ``load()`` reads ``st.query_params`` and sets the matching session keys,
so a link a lecturer hands out opens exactly the same view (same settings, same seed, same device
kind: the same numbers). On every run ``save(url_path)`` writes the current page's settings that
differ from their defaults, plus the global ones (presenter mode, device, tour step), back to the
URL: short links, and the address bar is always a link to what is on the screen.

Names in the URL are the session keys of explorer/state.py ("lab.kind=gru"). Only keys in
``state.PERSISTENT`` with a plain default (bool, int, float, str or a list of str) travel; results,
signatures and uploads never do. A value is parsed to the type of its default and checked against
the domain of the widget that shows it (``domains()``); anything else is ignored and reported.
The language travels as ``lang=en`` / ``lang=ko`` on every page.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import streamlit as st

from . import state
from .i18n import LANGS, normalize, text

# url path of a page (pages/<name>.py -> "<name>") -> prefix of its session keys in state.py
PAGE_PREFIXES = {
    "rnn_cell": "cell.",
    "unrolled_graph": "graph.",
    "io_structures": "io.",
    "bidirectional_attention": "bidir.",
    "training_lab": "lab.",
    "gradient_flow": "gradient_flow.",
    "dynamics": "dynamics.",
    "comparison": "compare.",
    # the Data page is left out: its options mean nothing without the uploaded file
}
GLOBAL_KEYS = (state.PRESENTER, state.DEVICE, state.TOUR_STEP, state.LANG)  # written on every page
RESERVED: tuple = ("room",)  # query parameters this module neither parses nor reports (class mode's room code)
RESERVED_ON = {"room": "follow"}  # a reserved parameter stays in the address bar only on this page
NOT_SHARED = (state.URL_LOADED,)  # persistent keys that never go into a link


@dataclass(frozen=True)
class Between:
    """A numeric widget's closed range (number_input, slider)."""

    lo: float  # smallest accepted value
    hi: float  # largest accepted value

    def __contains__(self, v) -> bool:
        return self.lo <= v <= self.hi


def _shareable(default) -> bool:
    if isinstance(default, list):
        return all(isinstance(v, str) for v in default)
    return isinstance(default, (bool, int, float, str))


def url_keys() -> list[str]:
    """Session keys that may appear in a link (global or with a page prefix)."""
    prefixes = tuple(PAGE_PREFIXES.values())
    return [k for k in state.PERSISTENT if k not in NOT_SHARED and _shareable(state.DEFAULTS[k])
            and (k in GLOBAL_KEYS or k.startswith(prefixes))]


def encode(key: str, value) -> str:
    """The query-string text of ``value`` for ``key`` (typed like the key's default)."""
    d = state.DEFAULTS[key]
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
    d = state.DEFAULTS[key]
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


def _opts(*values) -> tuple:
    return tuple(values)


def domains(keys) -> dict:
    """key -> the values its widget accepts (a tuple of options or a ``Between``), for ``keys``.

    The widgets' own option lists where the pages take them from a module; literals where the page
    writes them inline (tests/pages/test_shared_urls.py checks both against the live widgets).
    Modules are imported only for the pages whose keys are asked for. Keys without an entry
    (free text) accept any value of the right type.
    """
    keys = set(keys)
    out: dict = {}

    def want(prefix: str) -> bool:
        return any(k.startswith(prefix) for k in keys)

    if keys & set(GLOBAL_KEYS):
        from . import tour
        from .runs import device_choices
        out[state.DEVICE] = tuple(device_choices())
        out[state.TOUR_STEP] = Between(-1, len(tour.TOUR) - 1)
        out[state.LANG] = tuple(LANGS)
    if want("lab."):
        from core import MODEL_KINDS, OPTIMIZERS, TASKS
        from core.models import NONLINEARITIES

        from . import runs as R
        out.update({
            state.LAB_TASK: tuple(TASKS), state.LAB_SEQ_LEN: Between(*R.SEQ_LEN_RANGE), state.LAB_KIND: MODEL_KINDS,
            state.LAB_HIDDEN: R.HIDDEN_CHOICES, state.LAB_LAYERS: Between(*R.LAYERS_RANGE),
            state.LAB_ACT: NONLINEARITIES, state.LAB_LR: R.LR_CHOICES, state.LAB_BATCH: R.BATCH_CHOICES,
            state.LAB_OPT: OPTIMIZERS, state.LAB_CLIP: Between(*R.CLIP_RANGE), state.LAB_SEED: Between(*R.SEED_RANGE),
            state.LAB_STEPS: Between(*R.STEPS_RANGE), state.LAB_PROBE: Between(*R.PROBE_RANGE)})
    if want("cell."):
        from core import tiny_rnn as tr

        from .gated_cell_views import GATED_RANGE
        out.update({
            state.CELL_HIDDEN: _opts(1, 2, 3), state.CELL_INPUTS: _opts(1, 2), state.CELL_ACT: tr.ACTIVATIONS,
            state.CELL_PRESET: tr.INPUT_PRESETS, state.CELL_LENGTH: Between(3, 40),
            state.CELL_STEP: Between(0, 39),  # the page clamps it to T - 1
            state.CELL_NOISE_SEED: Between(0, 10_000), state.CELL_WEIGHT_MODE: _opts("sliders", "typed"),
            **{key: Between(-3.0, 3.0) for key in state.CELL_ENTRIES.values()},
            state.CELL_KIND: _opts("rnn", "lstm", "gru"),
            **{key: Between(*GATED_RANGE) for key in state.CELL_GATED_ENTRIES.values()}})
    if want("graph."):
        from core.graph import STRUCTURES

        from .graph_views import MAX_T
        out.update({
            state.GRAPH_STRUCTURE: STRUCTURES, state.GRAPH_LENGTH: Between(1, MAX_T),
            state.GRAPH_MODE: _opts("forward", "backward"), state.GRAPH_SOURCE: _opts("untrained", "lab"),
            state.GRAPH_KIND: _opts("rnn", "lstm", "gru"), state.GRAPH_HIDDEN: _opts(2, 4, 8, 16, 32),
            state.GRAPH_SEED: Between(0, 10_000)})
    if want("io."):
        from .io_views import STRUCTURES
        out.update({
            state.IO_STRUCTURE: tuple(STRUCTURES), state.IO_STEPS: _opts(0, 20, 50, 100, 120, 150, 200, 300, 400),
            state.IO_SEED: Between(0, 10_000), state.IO_SAMPLE: Between(0, 15)})  # the page resets a too-large one
    if want("bidir."):
        out.update({
            state.BI_SHIFT: Between(1, 4), state.BI_STEPS: _opts(0, 25, 50, 100, 200, 300),
            state.BI_SEED: Between(0, 10_000), state.BI_SAMPLE: Between(0, 15),
            state.ATT_SEQ_LEN: _opts(10, 20, 30, 40, 60), state.ATT_STEPS: _opts(50, 100, 200, 300, 500)})
    if want("compare."):
        from core import TASKS
        from core.compare import PRESETS

        from .compare_views import CUSTOM, FORGET_BIASES
        out.update({
            state.CMP_PRESET: (CUSTOM, *PRESETS), state.CMP_TASK: tuple(TASKS), state.CMP_SEQ_LEN: Between(2, 1000),
            state.CMP_HIDDEN: _opts(4, 8, 16, 32, 64, 128, 256),
            state.CMP_LR: _opts(1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1), state.CMP_BATCH: _opts(8, 16, 32, 64, 128, 256),
            state.CMP_CLIP: Between(0.0, 100.0), state.CMP_SEED: Between(0, 2**31 - 1), state.CMP_FORGET: FORGET_BIASES,
            state.CMP_STEPS: Between(50, 100_000), state.CMP_GATE_SEQ: Between(1, 6),
            state.CMP_SWEEP_STEPS: _opts(100, 200, 400, 800)})
    if want("gradient_flow."):
        from . import gradient_views as G
        out.update({
            state.GF_SOURCE: tuple(G.SOURCES), state.GF_CELLS: G.KINDS, state.GF_ACT: _opts("tanh", "relu", "linear"),
            state.GF_INIT: tuple(G.INIT_LABELS), state.GF_RHO: G.RHO_OPTIONS, state.GF_SEQ_LEN: G.SEQ_LEN_OPTIONS,
            state.GF_HIDDEN: G.HIDDEN_OPTIONS, state.GF_INPUT_SCALE: G.INPUT_SCALE_OPTIONS,
            state.GF_SEED: Between(0, 10_000), state.GF_FORGET: G.FORGET_BIASES, state.GF_CLIP_LR: _opts(0.003, 0.01, 0.02, 0.03),
            state.GF_CLIP_THRESHOLD: _opts(0.1, 0.3, 1.0, 3.0, 10.0), state.GF_CLIP_STEPS: _opts(50, 100, 150, 200, 300),
            state.GF_CLIFF_SIGMA: _opts("sigmoid", "tanh"), state.GF_CLIFF_W0: Between(*G.CLIFF_W),
            state.GF_CLIFF_B0: Between(*G.CLIFF_B), state.GF_CLIFF_LR: _opts(0.001, 0.003, 0.01, 0.03, 0.1),
            state.GF_CLIFF_STEPS: _opts(50, 100, 200, 400), state.GF_CLIFF_CLIP: _opts(0.5, 1.0, 2.0, 5.0, 10.0),
            state.GF_TAB: G.VIEWS})
    if want("dynamics."):
        from . import dynamics_views as D
        out.update({
            state.DYN_SOURCE: tuple(D.SOURCES), state.DYN_KIND: _opts("rnn", "lstm", "gru"),
            state.DYN_HIDDEN: _opts(16, 32, 64), state.DYN_LR: _opts(1e-3, 3e-3, 1e-2),
            state.DYN_STEPS: Between(100, 20_000), state.DYN_SEED: Between(0, 2**31 - 1),
            state.DYN_COLOR: _opts("time", "target"), state.DYN_SENS_SOURCE: _opts("model", "untrained"),
            state.DYN_SENS_RHO: Between(0.5, 2.0), state.DYN_SENS_SEQ: Between(1, D.N_SEQUENCES),
            state.DYN_SENS_K: Between(0, 90), state.DYN_SENS_DELTA: _opts(1e-9, 1e-6, 1e-3),
            state.DYN_CHAOS_INPUT: _opts(0.0, 0.1, 0.5, 1.0)})
    return {k: v for k, v in out.items() if k in keys}


def _accepted(value, domain) -> bool:
    if domain is None:
        return True
    if isinstance(value, list):
        return all(v in domain for v in value)
    if isinstance(domain, Between):
        return value in domain
    # floats from text may differ from the option in the last bit: compare with a tolerance
    return any(value == o or (isinstance(o, float) and isinstance(value, float)
                              and math.isclose(value, o, rel_tol=1e-9)) for o in domain)


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
        try:
            value = decode(name, raw)
        except BadValue as e:
            bad.append(f"{name}={raw}: " + reason(e.why, e.value, lang))
            continue
        dom = doms.get(name)
        if not _accepted(value, dom):
            bad.append(f"{name}={raw}: " + text("urlstate.not_an_option", lang))
            continue
        good[name] = _snap(value, dom) if not isinstance(value, list) else [_snap(v, dom) for v in value]
    return good, bad


def params_for(url_path: str, values: dict) -> dict:
    """The query parameters of the page at ``url_path``: global and page keys that differ from
    their defaults, encoded. Pure: ``values`` is the session state (any mapping)."""
    prefix = PAGE_PREFIXES.get(url_path)
    out = {}
    for k in url_keys():
        if k in GLOBAL_KEYS or (prefix is not None and k.startswith(prefix)):
            if k in values and encode(k, values[k]) != encode(k, state.DEFAULTS[k]):
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
        from core.compare import PRESETS

        from .compare_views import preset_state
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
