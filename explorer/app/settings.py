"""Every page's settings, declared once (TensorFlow Playground's ``state.ts`` PROPS table).

Each ``Setting`` names its session key (explorer/app/state.py), its default (whose type is the
setting's type), its domain (the widget's options, a closed ``Between`` range, or None for free
text) and whether it travels in links and settings files. Widgets take their options and ranges
from here (``options``, ``bounds``), ``DEFAULTS`` fills a new session (explorer/app/session.py), explorer/app/urlstate.py parses
links against the domains, and settings files are checked with ``accepts``. To add a setting: a
key in state.py, one row here, its widget reading ``options``/``bounds``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch

from core import MODEL_KINDS, OPTIMIZERS, TASKS, gated_cell, tiny_rnn
from core.compare import PRESETS
from core.datasets import FORMATS
from core.graph import STRUCTURES as GRAPH_STRUCTURES
from core.models import NONLINEARITIES

from . import state as K
from .i18n import LANGS
from .tour_steps import TOUR


@dataclass(frozen=True)
class Between:
    """A numeric widget's closed range (number_input, slider)."""

    lo: float  # smallest accepted value
    hi: float  # largest accepted value

    def __contains__(self, v) -> bool:
        return self.lo <= v <= self.hi


@dataclass(frozen=True)
class Setting:
    """One user setting of one page."""

    key: str  # session key, "<page prefix>.<name>" (explorer/app/state.py names it)
    default: object  # value of a fresh session; its type is the setting's type
    domain: tuple | Between | Callable[[], tuple] | None = None  # options, a range, a function giving
    # the options (they depend on the machine), or None: any value of the right type
    shared: bool = True  # travels in links and settings files (the Data page's do not: they mean
    # nothing without the uploaded file)


def device_choices() -> tuple[str, ...]:
    """Devices this server can train on, "auto" first."""
    out = ["auto", "cpu"]
    if torch.cuda.is_available():
        out.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        out.append("mps")
    return tuple(out)


CELLS3 = ("rnn", "lstm", "gru")
SEEDS = Between(0, 2**31 - 1)  # a seed anyone may type
SMALL_SEEDS = Between(0, 10_000)  # the theory pages' seeds
SEQ_LEN = Between(2, 1000)  # sequence length T / window, on every page's task controls
CUSTOM = "custom"  # the comparison's "no preset" choice
FORGET_BIASES = (0.0, 1.0, 2.0)  # the LSTM forget-gate bias choices (0: torch's default draw)
IO_STRUCTURES = ("one_to_one", "one_to_many", "many_to_one", "many_to_many", "encoder_decoder")
GF_VIEWS = ("Gradient flow", "Jacobians and gates", "Clipping", "The cliff")  # values kept: links hold them
GATED_RANGE = (-6.0, 6.0)  # a gated cell's weight sliders (a bias of 5 holds a gate at 0.99)
CELL_ENTRY_RANGE = (-3.0, 3.0)  # the vanilla cell's weight sliders
N_DYN_SEQUENCES = 48  # held-out sequences of the dynamics page (trajectories, fixed-point seeds)
DELIMITERS = {"auto": None, ",": ",", ";": ";", "tab": "\t", "whitespace": "whitespace"}  # Data page
HEADERS = {"auto": None, "yes": True, "no": False}  # option labels: data.header_opt.<key>


def _cell_entries() -> list[Setting]:
    """The RNN cell page's weight sliders: one per matrix entry at the largest sizes."""
    out = []
    for (n, i, j), key in K.CELL_ENTRIES.items():
        d = K.CELL_ENTRY_DEFAULTS[n]
        out.append(Setting(key, float(d[i][j] if len(K.CELL_MATRIX_SHAPES[n]) == 2 else d[i]), Between(*CELL_ENTRY_RANGE)))
    for (kind, g, p, i, j), key in K.CELL_GATED_ENTRIES.items():
        w = gated_cell.DEFAULT_WEIGHTS[kind][g][p]
        out.append(Setting(key, float(w[i][j] if p in ("W_x", "W_h") else w[i]), Between(*GATED_RANGE)))
    out += [Setting(key, "") for key in K.CELL_TEXT.values()]
    out += [Setting(key, "") for key in K.CELL_GATED_TEXT.values()]
    return out


S = Setting
TABLES: dict[str, tuple[Setting, ...]] = {  # page stem (pages/<stem>.py; "app": every page) -> its settings
    "app": (
        S(K.DEVICE, "auto", device_choices),
        S(K.PRESENTER, False),
        S(K.LANG, "en", tuple(LANGS)),
        S(K.TOUR_STEP, -1, Between(-1, len(TOUR) - 1)),
    ),
    "training_lab": (
        S(K.LAB_TASK, "sine", tuple(TASKS)),  # the widget also offers uploads, which links cannot name
        S(K.LAB_SEQ_LEN, 50, SEQ_LEN),
        S(K.LAB_KIND, "lstm", MODEL_KINDS),
        S(K.LAB_HIDDEN, 32, (2, 4, 8, 16, 32, 64, 128, 256, 512)),
        S(K.LAB_LAYERS, 1, Between(1, 3)),
        S(K.LAB_ACT, "tanh", NONLINEARITIES),
        S(K.LAB_BIDIR, False),
        S(K.LAB_LR, 0.01, (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0)),
        S(K.LAB_BATCH, 32, (1, 4, 8, 16, 32, 64, 128, 256)),
        S(K.LAB_OPT, "adam", OPTIMIZERS),
        S(K.LAB_CLIP, 1.0, Between(0.0, 100.0)),  # global-norm clipping, 0 = off
        S(K.LAB_SEED, 0, SEEDS),
        S(K.LAB_STEPS, 1000, Between(10, 200_000)),
        S(K.LAB_PROBE, 100, Between(1, 1000)),
        S(K.LAB_VIEW3D, False),
    ),
    "rnn_cell": (
        S(K.CELL_KIND, "rnn", CELLS3),
        S(K.CELL_HIDDEN, 2, (1, 2, 3)),
        S(K.CELL_INPUTS, 1, (1, 2)),
        S(K.CELL_ACT, "tanh", tuple(tiny_rnn.ACTIVATIONS)),
        S(K.CELL_PRESET, "pulse", tuple(tiny_rnn.INPUT_PRESETS)),
        S(K.CELL_LENGTH, 20, Between(3, 40)),
        S(K.CELL_STEP, 3, Between(0, 39)),  # the page clamps it to T - 1
        S(K.CELL_NOISE_SEED, 0, SMALL_SEEDS),
        S(K.CELL_TYPED_INPUT, "0, 1, 1, 0, -1, 0"),
        S(K.CELL_WEIGHT_MODE, "sliders", ("sliders", "typed")),
        *_cell_entries(),
    ),
    "unrolled_graph": (
        S(K.GRAPH_STRUCTURE, "many-to-many", tuple(GRAPH_STRUCTURES)),
        S(K.GRAPH_LENGTH, 8, Between(1, 60)),
        S(K.GRAPH_BIDIR, False),
        S(K.GRAPH_ATTN, False),
        S(K.GRAPH_MODE, "forward", ("forward", "backward")),
        S(K.GRAPH_SOURCE, "untrained", ("untrained", "lab")),
        S(K.GRAPH_KIND, "rnn", CELLS3),
        S(K.GRAPH_HIDDEN, 4, (2, 4, 8, 16, 32)),
        S(K.GRAPH_SEED, 0, SMALL_SEEDS),
    ),
    "io_structures": (
        S(K.IO_STRUCTURE, "many_to_one", IO_STRUCTURES),
        S(K.IO_STEPS, 150, (0, 20, 50, 100, 120, 150, 200, 300, 400)),
        S(K.IO_SEED, 0, SMALL_SEEDS),
        S(K.IO_SAMPLE, 0, Between(0, 15)),  # the page resets a too-large one
    ),
    "bidirectional_attention": (
        S(K.BI_SHIFT, 2, Between(1, 4)),
        S(K.BI_STEPS, 100, (0, 25, 50, 100, 200, 300)),
        S(K.BI_SEED, 0, SMALL_SEEDS),
        S(K.BI_SAMPLE, 0, Between(0, 15)),
        S(K.ATT_SEQ_LEN, 40, (10, 20, 30, 40, 60)),
        S(K.ATT_STEPS, 200, (50, 100, 200, 300, 500)),
    ),
    "comparison": (
        S(K.CMP_PRESET, "adding_50", (CUSTOM, *PRESETS)),
        S(K.CMP_TASK, "adding", tuple(TASKS)),
        S(K.CMP_SEQ_LEN, 50, SEQ_LEN),
        S(K.CMP_HIDDEN, 32, (4, 8, 16, 32, 64, 128, 256)),
        S(K.CMP_EQUAL, False),
        S(K.CMP_LR, 0.01, (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1)),
        S(K.CMP_BATCH, 64, (8, 16, 32, 64, 128, 256)),
        S(K.CMP_CLIP, 1.0, Between(0.0, 100.0)),
        S(K.CMP_SEED, 0, SEEDS),
        S(K.CMP_FORGET, 0.0, FORGET_BIASES),
        S(K.CMP_STEPS, 1200, Between(50, 100_000)),
        S(K.CMP_GATE_SEQ, 1, Between(1, 6)),
        S(K.CMP_SWEEP_STEPS, 400, (100, 200, 400, 800)),
    ),
    "gradient_flow": (
        S(K.GF_TAB, "Gradient flow", GF_VIEWS),
        S(K.GF_SOURCE, "untrained", ("untrained", "trained", "lab")),
        S(K.GF_CELLS, ["rnn", "lstm", "gru"], CELLS3),
        S(K.GF_ACT, "tanh", ("tanh", "relu", "linear")),
        S(K.GF_INIT, "random", ("random", "orthogonal", "identity")),
        S(K.GF_RHO, 1.0, (0.25, 0.5, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0, 3.0)),
        S(K.GF_SEQ_LEN, 200, (10, 20, 50, 100, 200, 300, 500, 1000)),
        S(K.GF_HIDDEN, 64, (4, 8, 16, 32, 64, 128, 256, 512)),
        S(K.GF_INPUT_SCALE, 1.0, (0.0, 0.1, 0.3, 1.0, 3.0, 10.0)),
        S(K.GF_SEED, 0, SMALL_SEEDS),
        S(K.GF_FORGET, 0.0, FORGET_BIASES),
        S(K.GF_BOUND, True),
        S(K.GF_CLIP_LR, 0.01, (0.003, 0.01, 0.02, 0.03)),
        S(K.GF_CLIP_THRESHOLD, 1.0, (0.1, 0.3, 1.0, 3.0, 10.0)),
        S(K.GF_CLIP_STEPS, 150, (50, 100, 150, 200, 300)),
        S(K.GF_CLIFF_SIGMA, "sigmoid", ("sigmoid", "tanh")),
        S(K.GF_CLIFF_W0, 5.0, Between(0.0, 12.0)),  # also the w range of the surface
        S(K.GF_CLIFF_B0, -2.5, Between(-7.0, 3.0)),  # also its b range
        S(K.GF_CLIFF_LR, 0.01, (0.001, 0.003, 0.01, 0.03, 0.1)),
        S(K.GF_CLIFF_STEPS, 200, (50, 100, 200, 400)),
        S(K.GF_CLIFF_CLIP, 5.0, (0.5, 1.0, 2.0, 5.0, 10.0)),
    ),
    "dynamics": (
        S(K.DYN_SOURCE, "flipflop", ("flipflop", "lab")),
        S(K.DYN_KIND, "lstm", CELLS3),
        S(K.DYN_HIDDEN, 32, (16, 32, 64)),
        S(K.DYN_LR, 0.003, (1e-3, 3e-3, 1e-2)),
        S(K.DYN_STEPS, 800, Between(100, 20_000)),
        S(K.DYN_SEED, 0, SEEDS),
        S(K.DYN_VIEW3D, False),
        S(K.DYN_COLOR, "target", ("time", "target")),
        S(K.DYN_SENS_SOURCE, "model", ("model", "untrained")),
        S(K.DYN_SENS_RHO, 1.5, Between(0.5, 2.0)),
        S(K.DYN_SENS_SEQ, 1, Between(1, N_DYN_SEQUENCES)),
        S(K.DYN_SENS_K, 10, Between(0, 90)),
        S(K.DYN_SENS_DELTA, 1e-6, (1e-9, 1e-6, 1e-3)),
        S(K.DYN_CHAOS_INPUT, 0.1, (0.0, 0.1, 0.5, 1.0)),
    ),
    "data": (  # none travels: they mean nothing without the uploaded file
        S(K.DATA_FORMAT, "auto", ("auto", *FORMATS), False),
        S(K.DATA_DELIM, "auto", tuple(DELIMITERS), False),
        S(K.DATA_HEADER, "auto", tuple(HEADERS), False),
        S(K.DATA_FEATURES, "", None, False),
        S(K.DATA_LABEL, "", None, False),
        S(K.DATA_TIME, "auto", None, False),
        S(K.DATA_INTERP, False, None, False),
        S(K.DATA_MODE, "auto", None, False),  # the choices depend on the dataset's kind
        S(K.DATA_WINDOW, 50, SEQ_LEN, False),
        S(K.DATA_HORIZON, 1, Between(1, 100), False),
        S(K.DATA_TARGETS, [], None, False),
        S(K.DATA_VAL, 0.2, Between(0.05, 0.5), False),
        S(K.DATA_STD, True, None, False),
        S(K.DATA_SEED, 0, SEEDS, False),
        S(K.DATA_MAX_STEPS, 0, Between(0, 100_000), False),
    ),
}
del S

SETTINGS: dict[str, Setting] = {s.key: s for table in TABLES.values() for s in table}
DEFAULTS = {**K.PLAIN, **{k: s.default for k, s in SETTINGS.items()}}  # every session key's default
TRANSIENT = (K.LAB_SIGNATURE, K.DATASETS, K.LAB_SCRUB, K.LAB_FIG_CACHE, K.CMP_FIG_CACHE, K.CELL_PLAYING,
             K.CELL_PLAY_TICK)  # not re-assigned across page switches
PERSISTENT = [k for k in DEFAULTS if k not in TRANSIENT]


def domain(key: str):
    """The options (tuple), range (``Between``) or None of a setting."""
    d = SETTINGS[key].domain
    return d() if callable(d) else d


def options(key: str) -> tuple:
    """A select widget's options."""
    d = domain(key)
    if not isinstance(d, tuple):
        raise TypeError(f"{key} has no list of options")
    return d


def bounds(key: str) -> tuple:
    """(lo, hi) of a number input or slider."""
    d = domain(key)
    if not isinstance(d, Between):
        raise TypeError(f"{key} has no range")
    return d.lo, d.hi


def accepts(key: str, value) -> bool:
    """Whether ``value`` (already of the setting's type) is in the setting's domain; floats match an
    option within a relative 1e-9 (text may differ from the option in the last bit)."""
    d = domain(key)
    if d is None:
        return True
    if isinstance(value, list):
        return all(accepts(key, v) for v in value)
    if isinstance(d, Between):
        return d.lo <= value <= d.hi
    return any(value == o or (isinstance(o, float) and isinstance(value, float)
                              and math.isclose(value, o, rel_tol=1e-9)) for o in d)
