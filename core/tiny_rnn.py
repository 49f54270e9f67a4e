"""A tiny vanilla RNN with hand-set weights, for the RNN cell page (lecture note sections 1, 2).

The model is a real ``core.build_model("rnn", ...)`` whose parameters are overwritten with the
numbers a user chose, so every value on the page comes from the same cell the rest of the app
trains: h_t = sigma(W_xh x_t + W_hh h_{t-1} + b_h) (torch's W_ih = W_xh, b_ih = b_h, b_hh = 0)
and y_t = W_hy h_t + b_y (the per-step readout). Besides stepping the cell, this module gives the
dynamical-system view of one step, h -> F(h, u): its fixed points for a constant input u (found
by Newton's method from a grid of starts, exact for H <= 3) and their stability.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from .cells import cell_weights, input_projection, step
from .models import build_model

# The lecture note's sentiment example: a 2-D input that says which word was read.
SENTIMENT_CODES = {"love": (1.0, 0.0), "hate": (0.0, 1.0)}  # any other word: (0, 0)
SENTIMENT_SENTENCE = ("I", "love", "this", "film", "love", "it", "but", "hate", "the", "ending",
                      "hate", "it", "so", "hate")
INPUT_PRESETS = ("step", "pulse", "sine", "noise", "love/hate", "typed")
ACTIVATIONS = ("tanh", "relu")
# Messages of the mistakes a person can make typing an input or a matrix, by code. The page words
# them in the reader's language from ``InputError.code`` and ``.values``; this is the English.
INPUT_MESSAGES = {
    "empty": "type at least one step",
    "too_many_steps": "at most 60 steps; got {n}",
    "not_numbers": "step {step} ({text}) is not {size} number(s)",
    "not_numbers_or_word": "step {step} ({text}) is not {size} number(s) or a word",
    "wrong_count": "step {step} ({text}) has {n} numbers; the input has {size}",
    "not_matrix": "{text} is not a matrix of numbers",
    "matrix_shape": "expected {rows} row(s) of {cols} number(s); got {text}",
    "matrix_range": "entries must be finite and at most 100 in size",
}


class InputError(ValueError):
    """A typed input or matrix that cannot be used: ``str(e)`` is the English message,
    ``code`` (a key of ``INPUT_MESSAGES``) and ``values`` let a caller word it in another language."""

    def __init__(self, code: str, **values):
        super().__init__(INPUT_MESSAGES[code].format(**values))
        self.code = code  # key of INPUT_MESSAGES
        self.values = values  # the message's values, already formatted (reprs of the typed text)


@dataclass(frozen=True)
class TinySpec:
    """The numbers of a tiny RNN (H <= 3 units, F <= 2 inputs, one output)."""

    w_xh: tuple  # (H, F) rows: how each unit reads the input
    w_hh: tuple  # (H, H) carries context from h_{t-1}
    b_h: tuple  # (H,) shifts the pre-activation
    w_hy: tuple  # (1, H) readout
    b_y: tuple  # (1,) readout bias
    activation: str = "tanh"  # "tanh" or "relu"

    @property
    def hidden_size(self) -> int:
        return len(self.w_hh)

    @property
    def input_size(self) -> int:
        return len(self.w_xh[0])

    @staticmethod
    def from_arrays(w_xh, w_hh, b_h, w_hy, b_y, activation: str = "tanh") -> "TinySpec":
        tup = lambda a: tuple(map(tuple, np.atleast_2d(np.asarray(a, float)).tolist()))  # noqa: E731
        vec = lambda a: tuple(np.asarray(a, float).reshape(-1).tolist())  # noqa: E731
        spec = TinySpec(tup(w_xh), tup(w_hh), vec(b_h), tup(w_hy), vec(b_y), activation)
        H, F = spec.hidden_size, spec.input_size
        if not (1 <= H <= 3 and 1 <= F <= 2):
            raise ValueError(f"a tiny RNN has 1-3 units and 1-2 inputs; got H={H}, F={F}")
        shapes = {"W_xh": (np.shape(spec.w_xh), (H, F)), "W_hh": (np.shape(spec.w_hh), (H, H)),
                  "b_h": (np.shape(spec.b_h), (H,)), "W_hy": (np.shape(spec.w_hy), (1, H)),
                  "b_y": (np.shape(spec.b_y), (1,))}
        for name, (got, want) in shapes.items():
            if tuple(got) != want:
                raise ValueError(f"{name} must have shape {want}; got {tuple(got)}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}")
        return spec


def build_tiny(spec: TinySpec):
    """A ``SeqModel`` (vanilla RNN, per-step readout) carrying exactly the numbers of ``spec``."""
    model = build_model("rnn", spec.input_size, spec.hidden_size, 1, nonlinearity=spec.activation,
                        head="per_step", seed=0)
    f32 = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    with torch.no_grad():
        model.rnn.weight_ih_l0.copy_(f32(spec.w_xh))
        model.rnn.weight_hh_l0.copy_(f32(spec.w_hh))
        model.rnn.bias_ih_l0.copy_(f32(spec.b_h))
        model.rnn.bias_hh_l0.zero_()  # one bias, as in the lecture note's equation
        model.readout.weight.copy_(f32(spec.w_hy))
        model.readout.bias.copy_(f32(spec.b_y))
    return model


@dataclass(frozen=True)
class StepRecord:
    """Every quantity of the equations at every step, T steps, H units, F inputs."""

    x: np.ndarray  # (T, F) inputs x_t
    h_prev: np.ndarray  # (T, H) h_{t-1} (zeros at t = 0)
    wx: np.ndarray  # (T, H) W_xh x_t
    wh: np.ndarray  # (T, H) W_hh h_{t-1}
    pre: np.ndarray  # (T, H) a_t = W_xh x_t + W_hh h_{t-1} + b_h
    h: np.ndarray  # (T, H) h_t = sigma(a_t)
    y: np.ndarray  # (T, 1) y_t = W_hy h_t + b_y


def run_steps(model, x_tf) -> StepRecord:
    """Run the cell one step at a time with ``core.cells.step`` and keep every term.

    Args:
        model: from ``build_tiny`` (any single-layer vanilla-RNN ``SeqModel`` works).
        x_tf: input sequence (T, F).
    Returns:
        a ``StepRecord``.
    """
    x = torch.as_tensor(np.asarray(x_tf, np.float32))[None]  # (1, T, F)
    w = cell_weights(model.rnn, 0)
    with torch.no_grad():
        xi = input_projection(w, x)[0]  # (T, H) = W_xh x_t + b_h
        wx = x[0] @ w.w_ih.T
        h = x.new_zeros(1, w.hidden_size)
        prev, wh, pre, hs = [], [], [], []
        for t in range(x.shape[1]):
            h_new, _, _, rec = step(w, xi[t:t + 1], h)  # rec = W_hh h_{t-1} + b_hh
            prev.append(h[0]); wh.append((h @ w.w_hh.T)[0]); pre.append((xi[t:t + 1] + rec)[0])
            hs.append(h_new[0])
            h = h_new
        hs_t = torch.stack(hs) if hs else x.new_zeros(0, w.hidden_size)
        y = model.readout(hs_t)
    st = lambda v: torch.stack(v).numpy() if v else np.zeros((0, w.hidden_size), np.float32)  # noqa: E731
    return StepRecord(x[0].numpy(), st(prev), wx.numpy(), st(wh), st(pre), hs_t.numpy(), y.numpy())


# ---- the dynamical system h -> F(h, u) ------------------------------------------------------------

def _act(name: str, a: np.ndarray) -> np.ndarray:
    return np.tanh(a) if name == "tanh" else np.maximum(a, 0.0)


def _dact(name: str, a: np.ndarray) -> np.ndarray:
    return 1.0 - np.tanh(a) ** 2 if name == "tanh" else (a > 0).astype(float)


def state_map_np(spec: TinySpec, h_nh: np.ndarray, u_f) -> np.ndarray:
    """F(h, u) = sigma(W_hh h + W_xh u + b_h) for many states at once: (N, H) -> (N, H), float64."""
    W, U, b = np.asarray(spec.w_hh), np.asarray(spec.w_xh), np.asarray(spec.b_h)
    return _act(spec.activation, np.asarray(h_nh, float) @ W.T + U @ np.asarray(u_f, float) + b)


@dataclass(frozen=True)
class TinyFixedPoints:
    """Fixed points h* = F(h*, u) of a tiny RNN for one constant input u. K points, H units."""

    points: np.ndarray  # (K, H)
    eigenvalues: np.ndarray  # (K, H) complex eigenvalues of dF/dh at each point, largest |.| first
    stable: np.ndarray  # (K,) bool, every |eigenvalue| < 1
    labels: tuple  # (K,) "stable node", "stable spiral", "saddle", "unstable node", ...


def classify(eig: np.ndarray) -> str:
    """Name a fixed point of a map from the eigenvalues of its Jacobian."""
    mod = np.abs(eig)
    spiral = bool(np.any(np.abs(eig.imag) > 1e-9))
    if np.all(mod < 1):
        return "stable spiral" if spiral else "stable"
    if np.all(mod > 1):
        return "unstable spiral" if spiral else "unstable"
    return "saddle" if np.any(mod < 1) else "marginal"


def fixed_points(spec: TinySpec, u_f, *, box: float | None = None, n_grid: int | None = None,
                 iters: int = 40, tol: float = 1e-10) -> TinyFixedPoints:
    """All fixed points of h -> F(h, u) in the reachable box, by Newton from a grid of starts.

    Newton on g(h) = F(h, u) - h: h <- h - (J - I)^{-1} g(h) with J = diag(sigma'(a)) W_hh. For
    ReLU the map is piecewise linear and a Newton step lands exactly on the fixed point of the
    region it starts in, so a grid fine enough to touch every region finds them all.

    Args:
        spec: the weights.
        u_f: the constant input (F,).
        box: starts fill [-box, box]^H (default 1.05 for tanh, whose states live in (-1, 1);
            for ReLU the largest state F can reach from the box [0, 3]).
        n_grid: starts per axis (default 41 for H = 1, 15 for H = 2, 7 for H = 3).
        iters: Newton iterations.
        tol: |g| below which a start has converged.
    Returns:
        ``TinyFixedPoints`` sorted by the first coordinate.
    """
    H = spec.hidden_size
    W = np.asarray(spec.w_hh, float)
    c = np.asarray(spec.w_xh, float) @ np.asarray(u_f, float) + np.asarray(spec.b_h, float)
    n_grid = n_grid or {1: 41, 2: 15, 3: 7}[H]
    if spec.activation == "tanh":
        lo, hi = -(box or 1.05), box or 1.05
    else:
        lo, hi = -0.05, box or max(3.0, 1.05 * float(np.abs(W).sum(1).max() * 3 + np.abs(c).max()))
    axes = [np.linspace(lo, hi, n_grid)] * H
    h = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, H)
    I = np.eye(H)
    for _ in range(iters):
        a = h @ W.T + c
        g = _act(spec.activation, a) - h
        J = _dact(spec.activation, a)[:, :, None] * W[None]
        try:
            dh = np.linalg.solve(J - I, -g[..., None])[..., 0]
        except np.linalg.LinAlgError:
            dh = np.linalg.lstsq(np.mean(J, 0) - I, -g.mean(0), rcond=None)[0][None]
        dh = np.clip(np.nan_to_num(dh), -1.0, 1.0)  # damped: far jumps leave the basin
        h = h + dh
    a = h @ W.T + c
    res = np.abs(_act(spec.activation, a) - h).max(1)
    ok = np.isfinite(res) & (res < math.sqrt(tol))
    pts: list[np.ndarray] = []
    for p in h[ok][np.argsort(res[ok])]:
        if all(np.abs(p - q).max() > 1e-6 for q in pts):
            pts.append(p)
    P = np.array(sorted(pts, key=lambda p: tuple(p))).reshape(-1, H)
    eigs, stable, labels = [], [], []
    for p in P:
        J = _dact(spec.activation, W @ p + c)[:, None] * W
        e = np.linalg.eigvals(J)
        e = e[np.argsort(-np.abs(e))]
        eigs.append(e); stable.append(bool(np.all(np.abs(e) < 1))); labels.append(classify(e))
    return TinyFixedPoints(P, np.array(eigs, complex).reshape(-1, H), np.array(stable, bool),
                           tuple(labels))


# ---- input sequences -------------------------------------------------------------------------------

@dataclass(frozen=True)
class InputSequence:
    """An input sequence and, for word inputs, the words."""

    x: np.ndarray  # (T, F)
    words: tuple | None = None  # (T,) the word read at each step, or None


def encode_words(words) -> np.ndarray:
    """Words -> (T, 2): love = (1, 0), hate = (0, 1), anything else (0, 0)."""
    return np.array([SENTIMENT_CODES.get(w.lower().strip(".,!?"), (0.0, 0.0)) for w in words],
                    dtype=np.float32).reshape(-1, 2)


def preset_input(name: str, T: int, input_size: int, seed: int = 0) -> InputSequence:
    """A preset input sequence (T, F). "love/hate" is always 2-D (the word code) and its T is the
    sentence's length; "typed" is handled by ``parse_sequence``.
    """
    t = np.arange(T, dtype=np.float32)
    F = input_size
    if name == "love/hate":
        words = SENTIMENT_SENTENCE[:max(1, T)] if T < len(SENTIMENT_SENTENCE) else SENTIMENT_SENTENCE
        return InputSequence(encode_words(words), tuple(words))
    if name == "step":
        x = (t >= 2).astype(np.float32)[:, None] * np.array([1.0, 0.0][:F], np.float32)
    elif name == "pulse":
        x = (t == 2).astype(np.float32)[:, None] * np.array([1.0, 0.0][:F], np.float32)
    elif name == "sine":
        cols = [np.sin(2 * np.pi * t / 12), np.cos(2 * np.pi * t / 12)][:F]
        x = np.stack(cols, -1)
    elif name == "noise":
        g = torch.Generator().manual_seed(int(seed))
        x = (0.7 * torch.randn(T, F, generator=g)).numpy()
    else:
        raise ValueError(f"unknown input preset {name!r}; choose one of {INPUT_PRESETS}")
    return InputSequence(np.asarray(x, np.float32).reshape(T, F))


def parse_sequence(text: str, input_size: int) -> InputSequence:
    """A typed sequence: steps separated by ';' or new lines (or ',' when F = 1), each step F
    numbers separated by ',' or spaces. With F = 2 a step may also be a word (love, hate, other).

    Raises:
        InputError (a ValueError): with a message a person can act on.
    """
    F = input_size
    raw = text.replace("\n", ";")
    steps = [s.strip() for s in (raw.replace(";", ",").split(",") if F == 1 else raw.split(";"))]
    steps = [s for s in steps if s]
    if not steps:
        raise InputError("empty")
    if len(steps) > 60:
        raise InputError("too_many_steps", n=len(steps))
    rows, words = [], []
    for i, s in enumerate(steps):
        parts = s.replace(",", " ").split()
        try:
            vals = [float(p) for p in parts]
        except ValueError:
            if F == 2 and len(parts) == 1:
                rows.append(encode_words(parts)[0]); words.append(parts[0])
                continue
            raise InputError("not_numbers_or_word" if F == 2 else "not_numbers", step=i + 1, text=repr(s),
                             size=F) from None
        if len(vals) != F:
            raise InputError("wrong_count", step=i + 1, text=repr(s), n=len(vals), size=F)
        rows.append(vals); words.append(s)
    is_words = F == 2 and any(not _is_number_row(w) for w in words)
    return InputSequence(np.array(rows, np.float32).reshape(-1, F), tuple(words) if is_words else None)


def _is_number_row(s: str) -> bool:
    try:
        [float(p) for p in s.replace(",", " ").split()]
        return True
    except ValueError:
        return False


def parse_matrix(text: str, shape: tuple) -> np.ndarray:
    """A typed matrix: rows separated by ';' or new lines, entries by ',' or spaces.

    Raises:
        InputError (a ValueError): when the text is not numbers of the expected shape.
    """
    rows = [r for r in text.replace("\n", ";").split(";") if r.strip()]
    try:
        m = np.array([[float(v) for v in r.replace(",", " ").split()] for r in rows], float)
    except ValueError:
        raise InputError("not_matrix", text=repr(text)) from None
    want = shape if len(shape) == 2 else (1, shape[0])
    if m.ndim != 2 or m.shape != want:
        if len(shape) == 1 and m.size == shape[0]:
            return m.reshape(shape)
        raise InputError("matrix_shape", rows=want[0], cols=want[1], text=repr(text))
    if not np.all(np.isfinite(m)) or np.abs(m).max(initial=0) > 100:
        raise InputError("matrix_range")
    return m.reshape(shape)


def format_matrix(m) -> str:
    """The inverse of ``parse_matrix``: '1, 0.5; -0.2, 1'."""
    m = np.atleast_2d(np.asarray(m, float))
    return "; ".join(", ".join(f"{v:g}" for v in row) for row in m)
