"""Tiny LSTM and GRU cells with hand-set weights, for the RNN cell page (lecture note section 7).

A user sets each gate's weights by hand (H <= 3 units, F <= 2 inputs); this module packs them in
torch's layout, runs the cell one step at a time with ``core.cells.step`` (torch's formulas) and
keeps every term of every gate equation, so the page can show each equation with the numbers
the cell used. Conventions are torch's (``nn.LSTMCell``, ``nn.GRUCell``):

- LSTM: i, f, o = sigma(W_x. x_t + W_h. h_{t-1} + b_.), g = tanh(W_xg x_t + W_hg h_{t-1} + b_g),
  c_t = f * c_{t-1} + i * g, h_t = o * tanh(c_t).
- GRU: r, z = sigma(W_x. x_t + W_h. h_{t-1} + b_.),
  n_t = tanh(W_xn x_t + b_xn + r * (W_hn h_{t-1} + b_hn)), h_t = (1 - z) * n_t + z * h_{t-1}.

Each gate has one bias b (torch's b_ih row; b_hh is zero), except the GRU's new gate, whose
recurrent bias b_hn sits inside the reset product and so is a separate number.
The direct path: along c (LSTM) dc_t/dc_{t-1} = diag(f_t); along h (GRU, through the z h_{t-1}
term) dh_t/dh_{t-1} = diag(z_t). Their products over steps keep or kill the gradient.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .cells import CellWeights, step

KINDS = ("lstm", "gru")
# gate letters in torch's row order (core.cells.GATE_NAMES gives the long names)
GATES = {"lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}
# the gate that carries the direct path: forget (LSTM), update (GRU, torch's convention)
DIRECT_GATE = {"lstm": "f", "gru": "z"}
BASE_PARTS = ("W_x", "W_h", "b")  # input weights (H, F), recurrent weights (H, H), bias (H,)
EXTRA_PARTS = {("gru", "n"): ("b_h",)}  # the GRU new gate's recurrent bias b_hn (H,)
MAX_H, MAX_F = 3, 2


def parts(kind: str, gate: str) -> tuple:
    """The weight blocks of one gate: ("W_x", "W_h", "b"), plus "b_h" for the GRU's n."""
    return BASE_PARTS + EXTRA_PARTS.get((kind, gate), ())


def part_shape(part: str, H: int, F: int) -> tuple:
    """The shape of a block for H units and F inputs."""
    return {"W_x": (H, F), "W_h": (H, H), "b": (H,), "b_h": (H,)}[part]


def _z(shape):
    return tuple(map(tuple, np.zeros(shape).tolist())) if len(shape) == 2 else (0.0,) * shape[0]


# Hand-set defaults at the largest size (H = 3, F = 2); smaller cells use the top-left corner.
# LSTM: unit 1 stores a pulse (input gate opens on x, forget gate near 1), unit 2 forgets when x
# is high, unit 3 follows its own state through g.
DEFAULT_WEIGHTS = {
    "lstm": {
        "i": {"W_x": ((3.0, 0.0), (2.0, 1.0), (1.0, -1.0)), "W_h": ((0.0, 0.0, 0.0), (0.5, 0.0, 0.0), (0.0, 0.0, 0.0)),
              "b": (-1.5, -1.0, -0.5)},
        "f": {"W_x": ((0.0, 0.0), (-2.0, 0.0), (0.0, 1.0)), "W_h": _z((3, 3)), "b": (2.5, 1.0, 0.5)},
        "g": {"W_x": ((2.0, 0.0), (1.0, -1.0), (-1.0, 1.0)), "W_h": ((0.0, 0.0, 0.0), (0.0, 0.5, 0.0), (0.0, 0.0, 0.5)),
              "b": (0.0, 0.0, 0.0)},
        "o": {"W_x": _z((3, 2)), "W_h": _z((3, 3)), "b": (1.5, 1.0, 1.0)},
    },
    # GRU: unit 1 takes the pulse in (update gate low while x is high) and then holds it (z near 1)
    "gru": {
        "r": {"W_x": ((0.0, 0.0), (1.0, 0.0), (0.0, 1.0)), "W_h": _z((3, 3)), "b": (2.0, 1.0, 1.0)},
        "z": {"W_x": ((-4.0, 0.0), (-2.0, 0.0), (-1.0, 1.0)), "W_h": _z((3, 3)), "b": (2.5, 1.0, 0.5)},
        "n": {"W_x": ((2.0, 0.0), (1.0, -1.0), (-1.0, 1.0)), "W_h": ((0.5, 0.0, 0.0), (0.0, 0.5, 0.0), (0.0, 0.0, 0.5)),
              "b": (0.0, 0.0, 0.0), "b_h": (0.0, 0.0, 0.0)},
    },
}

# The lecture's sentiment unit (unit 1; the word code is love = (1, 0), hate = (0, 1)): it goes up on
# "love", down on "hate" and keeps its value across the neutral words in between.
# LSTM: i opens on either word, g = +1 on love and -1 on hate, f = sigmoid(5) = 0.993 keeps c.
# GRU: z = sigmoid(4) = 0.98 keeps h on neutral words and drops to sigmoid(-2) = 0.12 on love or
# hate, so h takes the new n = tanh(+-3 + r h_{t-1}).
SENTIMENT_UNIT = {
    "lstm": {"i": {"W_x": (4.0, 4.0), "W_h": (0.0, 0.0, 0.0), "b": -2.0},
             "f": {"W_x": (0.0, 0.0), "W_h": (0.0, 0.0, 0.0), "b": 5.0},
             "g": {"W_x": (3.0, -3.0), "W_h": (0.0, 0.0, 0.0), "b": 0.0},
             "o": {"W_x": (0.0, 0.0), "W_h": (0.0, 0.0, 0.0), "b": 3.0}},
    "gru": {"r": {"W_x": (0.0, 0.0), "W_h": (0.0, 0.0, 0.0), "b": 4.0},
            "z": {"W_x": (-6.0, -6.0), "W_h": (0.0, 0.0, 0.0), "b": 4.0},
            "n": {"W_x": (3.0, -3.0), "W_h": (1.0, 0.0, 0.0), "b": 0.0, "b_h": 0.0}},
}


@dataclass(frozen=True)
class GatedSpec:
    """The numbers of a tiny gated cell in torch's layout (G = 4 for LSTM, 3 for GRU)."""

    kind: str  # "lstm" or "gru"
    w_ih: tuple  # (G*H, F) input weights, gate blocks in torch's row order
    w_hh: tuple  # (G*H, H) recurrent weights
    b_ih: tuple  # (G*H,) each gate's bias b
    b_hh: tuple  # (G*H,) zero except the GRU's b_hn block

    @property
    def hidden_size(self) -> int:
        return len(self.w_hh[0])

    @property
    def input_size(self) -> int:
        return len(self.w_ih[0])

    @staticmethod
    def from_gates(kind: str, blocks: dict) -> "GatedSpec":
        """Pack ``{gate: {part: array}}`` (gates of ``GATES[kind]``, parts of ``parts()``).

        Raises:
            ValueError: an unknown kind, a missing block or a block of the wrong shape.
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}; got {kind!r}")
        H, F = np.shape(blocks[GATES[kind][0]]["W_x"])
        if not (1 <= H <= MAX_H and 1 <= F <= MAX_F):
            raise ValueError(f"a tiny gated cell has 1-{MAX_H} units and 1-{MAX_F} inputs; got H={H}, F={F}")
        rows = {p: [] for p in ("W_x", "W_h", "b", "b_h")}
        for g in GATES[kind]:
            for p in ("W_x", "W_h", "b", "b_h"):
                want = part_shape(p, H, F)
                a = np.asarray(blocks[g][p], float) if p in parts(kind, g) else np.zeros(want)
                if a.shape != want:
                    raise ValueError(f"{g}.{p} must have shape {want}; got {a.shape}")
                rows[p].append(a)
        tup = lambda a: tuple(map(tuple, a.tolist()))  # noqa: E731
        return GatedSpec(kind, tup(np.concatenate(rows["W_x"])), tup(np.concatenate(rows["W_h"])),
                         tuple(np.concatenate(rows["b"]).tolist()), tuple(np.concatenate(rows["b_h"]).tolist()))

    def block(self, gate: str, part: str) -> np.ndarray:
        """One gate's block as an array: (H, F), (H, H) or (H,)."""
        k, H = GATES[self.kind].index(gate), self.hidden_size
        src = {"W_x": self.w_ih, "W_h": self.w_hh, "b": self.b_ih, "b_h": self.b_hh}[part]
        return np.asarray(src, float)[k * H:(k + 1) * H]

    def weights(self, dtype=torch.float64) -> CellWeights:
        """The ``core.cells.CellWeights`` (torch tensors) of this cell."""
        t = lambda a: torch.tensor(a, dtype=dtype)  # noqa: E731
        return CellWeights(self.kind, t(self.w_ih), t(self.w_hh), t(self.b_ih), t(self.b_hh))


@dataclass(frozen=True)
class GatedRecord:
    """Every term of the gate equations at every step: T steps, H units, F inputs."""

    kind: str  # "lstm" or "gru"
    x: np.ndarray  # (T, F) inputs x_t
    h_prev: np.ndarray  # (T, H) h_{t-1} (zeros at t = 0)
    c_prev: np.ndarray | None  # (T, H) c_{t-1} (LSTM; zeros at t = 0)
    wx: dict  # gate -> (T, H) W_x. x_t
    wh: dict  # gate -> (T, H) W_h. h_{t-1} (GRU n: W_hn h_{t-1} + b_hn, the term r multiplies)
    pre: dict  # gate -> (T, H) the argument of the gate's sigma or tanh
    gates: dict  # gate -> (T, H) the gate's value
    c: np.ndarray | None  # (T, H) c_t (LSTM)
    h: np.ndarray  # (T, H) h_t

    @property
    def direct(self) -> np.ndarray:
        """(T, H) the direct-path gate: f_t (LSTM) or z_t (GRU)."""
        return self.gates[DIRECT_GATE[self.kind]]


def run_gated(spec: GatedSpec, x_tf) -> GatedRecord:
    """Run the cell one step at a time (float64) and keep every term.

    Args:
        spec: the weights.
        x_tf: input sequence (T, F).
    Returns:
        a ``GatedRecord``.
    """
    w = spec.weights()
    H, names = spec.hidden_size, GATES[spec.kind]
    x = torch.as_tensor(np.asarray(x_tf, float), dtype=torch.float64).reshape(-1, spec.input_size)
    h, c = x.new_zeros(1, H), x.new_zeros(1, H)
    keep: dict = {k: [] for k in ("h_prev", "c_prev", "wx", "wh", "pre", "gates", "c", "h")}
    with torch.no_grad():
        for t in range(x.shape[0]):
            wx = x[t:t + 1] @ w.w_ih.T  # (1, G*H), without bias
            xi = wx + w.b_ih
            h_new, c_new, act, rec = step(w, xi, h, c if spec.kind == "lstm" else None)
            whh = h @ w.w_hh.T  # (1, G*H), without bias
            pre = xi + rec
            if spec.kind == "gru":  # n's argument: W_xn x + b_xn + r * (W_hn h + b_hn)
                r = act[:, :H]
                pre = torch.cat([pre[:, :2 * H], xi[:, 2 * H:] + r * rec[:, 2 * H:]], -1)
                whh = torch.cat([whh[:, :2 * H], rec[:, 2 * H:]], -1)
            for k, v in (("h_prev", h), ("c_prev", c), ("wx", wx), ("wh", whh), ("pre", pre), ("gates", act),
                         ("c", c_new), ("h", h_new)):
                keep[k].append(v[0] if v is not None else None)
            h = h_new
            if c_new is not None:
                c = c_new

    def stack(k):
        v = keep[k]
        return torch.stack(v).numpy() if v and v[0] is not None else (np.zeros((0, H)) if not v else None)

    def by_gate(k):
        a = stack(k)
        return {n: a[:, i * H:(i + 1) * H] for i, n in enumerate(names)}

    lstm = spec.kind == "lstm"
    return GatedRecord(spec.kind, x.numpy(), stack("h_prev"), stack("c_prev") if lstm else None,
                       by_gate("wx"), by_gate("wh"), by_gate("pre"), by_gate("gates"),
                       stack("c") if lstm else None, stack("h"))


def direct_path_product(gate_th: np.ndarray) -> np.ndarray:
    """P_t = prod_{k=1..t} gate_k per unit, (T, H) -> (T, H), P_0 = 1.

    With the forget gate this is dc_t/dc_0 along the LSTM's cell state (the conveyor, not the
    paths through h); with the GRU's update gate z (torch's convention) it is dh_t/dh_0 along
    the z * h_{t-1} term. A product near 1 carries the gradient back unchanged; near 0 kills it.
    """
    g = np.asarray(gate_th, float)
    if len(g) == 0:
        return g
    out = np.ones_like(g)
    out[1:] = np.cumprod(g[1:], axis=0)
    return out


def blocks_with_unit(kind: str, blocks: dict, unit: dict, row: int = 0) -> dict:
    """``blocks`` ({gate: {part: array}}) with row ``row`` replaced by ``unit`` (``SENTIMENT_UNIT[kind]``).
    Only the row's own entries change: its recurrent weights from other units become what ``unit``
    says (zero: the unit listens only to itself)."""
    out = {g: {p: np.array(a, float, copy=True) for p, a in blocks[g].items()} for g in GATES[kind]}
    H = out[GATES[kind][0]]["W_h"].shape[0]
    for g, ps in unit.items():
        for p, v in ps.items():
            if p in ("W_x",):
                out[g][p][row] = np.asarray(v, float)[:out[g][p].shape[1]]
            elif p == "W_h":
                out[g][p][row] = np.asarray(v, float)[:H]
            else:
                out[g][p][row] = float(v)
    return out
