"""Engine of the Dynamics lab: the flip-flop preset, layer-0 states, sensitivity and the edge of chaos.

Builds on ``core.analysis`` (PCA, fixed points, Lyapunov exponents). Everything reads layer 0,
forward direction, of ``model.rnn`` (the layer whose input is the model's input), like the
analysis module does. torch + numpy only.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import torch

from . import budget
from .lyapunov import lyapunov_exponent, perturbation_growth
from .models import SeqModel, build_model, model_from_config
from .tasks import Task, get_task
from .jacobians import state_jacobians
from .trainer import Trainer
from .unroll import unroll

# q tolerance of the fixed-point finder per cell kind. A trained GRU stores its bits on slow
# regions (its update gate saturates: z ~ 1 makes h_t ~ h_{t-1} over a whole patch of states), so
# q there bottoms out near 1e-6 instead of reaching 0: 1e-5 accepts those slow points.
FIXED_POINT_TOL = {"rnn": 1e-6, "lstm": 1e-6, "gru": 1e-5}


def fixed_point_tol(kind: str) -> float:
    """The finder's q tolerance for a cell kind (looser for GRU: see ``FIXED_POINT_TOL``)."""
    return FIXED_POINT_TOL.get(kind, 1e-6)


# ---- the 3-bit flip-flop preset (Sussillo & Barak 2013) ---------------------------------------


@dataclass(frozen=True)
class FlipFlopRecipe:
    """A small network trained on the n-bit flip-flop; its 2^n memories become stable fixed points."""

    kind: str = "lstm"  # "rnn", "lstm" or "gru"
    hidden: int = 32  # H
    lr: float = 3e-3  # Adam; slow enough that the attractors appear over ~300 steps, not in a blink
    batch_size: int = 32  # sequences per step
    clip: float = 1.0  # global gradient-norm clip
    steps: int = 800  # training budget (8 attractors by ~400 steps at H = 32)
    seq_len: int = 100  # T
    n_bits: int = 3  # bits (channels); 2^n_bits attractors
    seed: int = 0  # model init and data stream


def flipflop_task(recipe: FlipFlopRecipe) -> Task:
    return get_task("flipflop", seq_len=recipe.seq_len, n_bits=recipe.n_bits)


def flipflop_trainer(recipe: FlipFlopRecipe, device: str = "cpu") -> Trainer:
    """A Trainer (not yet stepped) for the recipe: one layer, per-step linear readout."""
    task = flipflop_task(recipe)
    budget.check_job(task, recipe.kind, recipe.hidden, recipe.batch_size)
    model = build_model(recipe.kind, task.input_size, recipe.hidden, task.output_size, seed=recipe.seed)
    return Trainer(model, task, lr=recipe.lr, batch_size=recipe.batch_size, clip=recipe.clip,
                   device=device, seed=recipe.seed)


def readout_corners(model: SeqModel, hidden_kh, n_bits: int = 3, radius: float = 0.3) -> list[str]:
    """The flip-flop memory each state reads out: "+-+" when the linear readout W_hy h + b lies
    within ``radius`` of that sign corner, "" otherwise.

    Args:
        model: a one-layer model with a per-step ``readout`` (Linear H -> n_bits).
        hidden_kh: (K, H) hidden states (e.g. ``FixedPoints.hidden``).
        n_bits: number of bits.
        radius: Euclidean distance to the corner that still counts.
    Returns:
        K strings.
    """
    W = model.readout.weight.detach().cpu().double().numpy()
    b = model.readout.bias.detach().cpu().double().numpy()
    h = np.asarray(hidden_kh, dtype=np.float64).reshape(-1, W.shape[1])
    ro = h @ W.T + b  # (K, n_bits)
    out = []
    for r in ro:
        corner = np.where(r >= 0, 1.0, -1.0)
        ok = np.linalg.norm(r - corner) < radius
        out.append("".join("+" if c > 0 else "-" for c in corner) if ok else "")
    return out


def all_corners(n_bits: int = 3) -> list[str]:
    """The 2^n_bits sign patterns, "---" first."""
    return ["".join(p) for p in itertools.product("-+", repeat=n_bits)]


# ---- models and states ------------------------------------------------------------------------


def frozen_copy(model: SeqModel) -> SeqModel:
    """A CPU copy of ``model`` (config + detached weights) in eval mode, safe to analyse while the
    original goes on training in another thread."""
    copy = model_from_config(model.config)
    copy.load_state_dict({k: v.detach().cpu().clone() for k, v in model.state_dict().items()})
    return copy.eval()


@dataclass(frozen=True)
class LayerStates:
    """States of layer 0 (forward direction) along a batch of sequences."""

    hidden: np.ndarray  # (B, T, H) h_t
    cell: np.ndarray | None  # (B, T, H) LSTM c_t, else None
    valid: np.ndarray  # (B, T) bool, t < length of the sequence

    @property
    def states(self) -> np.ndarray:
        """(B, T, S) the full state: h, or [h, c] for LSTM (what fixed points live in)."""
        return self.hidden if self.cell is None else np.concatenate([self.hidden, self.cell], -1)


def layer0_states(model: SeqModel, x_btf, lengths_b=None) -> LayerStates:
    """Run layer 0 of ``model.rnn`` step by step (no gradients) and keep h_t (and c_t).

    Args:
        model: a ``SeqModel`` on any device (the result is on the CPU).
        x_btf: inputs (B, T, F).
        lengths_b: valid lengths (B,) or None.
    Returns:
        ``LayerStates``; past a sequence's length its state is frozen and ``valid`` is False.
    """
    rnn = model.rnn
    dev = next(model.parameters()).device
    x = torch.as_tensor(x_btf).to(dev, torch.float32)
    with torch.no_grad():
        # one layer only: unroll() runs every layer, so pass a one-layer view of the weights
        u = unroll(_first_layer(rnn), x, lengths_b, keep=False)
    h = torch.stack(u.hidden[0][0], 1).cpu().numpy()
    c = u.cell[0][0]
    c = None if c is None else torch.stack(c, 1).cpu().numpy()
    B, T = x.shape[:2]
    valid = np.ones((B, T), bool)
    if lengths_b is not None:
        valid = np.arange(T)[None] < np.asarray(torch.as_tensor(lengths_b).cpu())[:, None]
    return LayerStates(h, c, valid)


def _first_layer(rnn: torch.nn.RNNBase) -> torch.nn.RNNBase:
    if rnn.num_layers == 1 and not rnn.bidirectional:
        return rnn
    kw = dict(batch_first=True)
    if isinstance(rnn, torch.nn.RNN):
        kw["nonlinearity"] = rnn.nonlinearity
    one = type(rnn)(rnn.input_size, rnn.hidden_size, num_layers=1, **kw)
    with torch.no_grad():
        for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
            getattr(one, name).copy_(getattr(rnn, name))
    return one.to(next(rnn.parameters()).device)


# ---- sensitivity to a perturbation ------------------------------------------------------------


@dataclass(frozen=True)
class GrowthFit:
    """A straight line through log distances over the steps where the perturbation is neither lost
    in float64 round-off nor saturated at the size of the attractor."""

    slope: float  # per step (natural log): the finite-time estimate of the largest exponent
    intercept: float  # log distance of the line at offset 0
    first: int  # first offset (from k) used
    last: int  # last offset used (inclusive)


def growth_fit(log_dist, lower: float = 1e-12, upper: float = 1e-2, min_points: int = 3) -> GrowthFit:
    """Fit log ||s_t - s'_t|| = intercept + slope * (t - k) where the distance is in (lower, upper).

    Past ``upper`` a growing perturbation stops growing exponentially (the trajectories are as far
    apart as the attractor allows); below ``lower`` float64 round-off dominates. The window runs
    from offset 0 to the first offset that leaves the band.

    Args:
        log_dist: (N,) natural-log distances, e.g. from ``perturbation_growth`` (entry 0 at step k).
        lower, upper: the band of distances that is fitted.
        min_points: fewer usable points give NaN.
    Returns:
        a ``GrowthFit`` (slope NaN when the window is too short).
    """
    y = np.asarray(log_dist, dtype=np.float64).reshape(-1)
    lo, hi = math.log(lower), math.log(upper)
    inside = np.isfinite(y) & (y > lo) & (y < hi)
    last = -1
    for i, ok in enumerate(inside):
        if not ok:
            break
        last = i
    if last + 1 < min_points:
        return GrowthFit(float("nan"), float("nan"), 0, max(last, 0))
    t = np.arange(last + 1, dtype=np.float64)
    slope, intercept = np.polyfit(t, y[:last + 1], 1)
    return GrowthFit(float(slope), float(intercept), 0, last)


@dataclass(frozen=True)
class Sensitivity:
    """How a perturbation of the state after step k evolves, and the exponent estimates."""

    k: int  # the perturbed step
    delta: float  # size of the perturbation
    log_dist: np.ndarray  # (T - k,) natural log ||s_t - s'_t|| for t = k .. T-1
    fit: GrowthFit  # line through the exponential phase
    lyapunov_qr: float  # largest exponent along the same trajectory, QR method on the Jacobians after k


def sensitivity(model: SeqModel, x_tf, k: int, delta: float = 1e-6, seed: int = 0) -> Sensitivity:
    """Perturb s_k by ``delta`` along a random direction and follow both copies (layer 0).

    Args:
        model: a ``SeqModel`` (a one-layer view of layer 0 is analysed).
        x_tf: one input sequence (T, F).
        k: the perturbed step, 0 <= k < T - 1.
        delta: norm of the perturbation.
        seed: seeds the direction.
    Returns:
        a ``Sensitivity``.
    """
    x = torch.as_tensor(np.asarray(x_tf, dtype=np.float32))
    logd = perturbation_growth(model, x, int(k), float(delta), seed=seed)
    jac = state_jacobians(model, x)[int(k) + 1:]
    lam = lyapunov_exponent(jac) if len(jac) else float("nan")
    return Sensitivity(int(k), float(delta), logd, growth_fit(logd), lam)


# ---- the edge of chaos -------------------------------------------------------------------------


@dataclass(frozen=True)
class ChaosSettings:
    """An untrained vanilla RNN driven by small random inputs, for the spectral-radius sweep."""

    hidden: int = 64  # H
    seq_len: int = 400  # T of the driving input
    burn_in: int = 100  # steps dropped before the exponent is measured (transient from h_0 = 0)
    input_scale: float = 0.1  # std of the Gaussian inputs
    nonlinearity: str = "tanh"  # "tanh", "relu" or "linear"
    seed: int = 0  # W_hh, biases and the inputs


def random_rnn(rho: float, s: ChaosSettings) -> SeqModel:
    """An untrained one-input vanilla RNN whose W_hh (Gaussian) has spectral radius ``rho``."""
    return build_model("rnn", 1, s.hidden, 1, nonlinearity=s.nonlinearity, spectral_radius=float(rho),
                       recurrent_init="random", seed=s.seed)


def random_inputs(s: ChaosSettings) -> torch.Tensor:
    """(T, 1) Gaussian inputs of std ``input_scale``, from their own seeded generator."""
    gen = torch.Generator().manual_seed(s.seed + 1)
    return s.input_scale * torch.randn(s.seq_len, 1, generator=gen)


def largest_lyapunov_rnn(model: SeqModel, x_tf, burn_in: int = 0, seed: int = 0) -> float:
    """Largest Lyapunov exponent (per step) of a vanilla RNN's layer 0 along one input sequence.

    Renormalised tangent vector (the first column of the QR method, without the other columns):
    v <- J_t v / ||J_t v|| with J_t = diag(phi'(a_t)) W_hh, the exponent being the mean of
    log ||J_t v|| after ``burn_in`` steps. numpy, float64: O(H^2) a step instead of O(H^3).

    Args:
        model: a ``SeqModel`` whose ``rnn`` is a ``torch.nn.RNN`` (tanh, relu) or the linear RNN.
        x_tf: one input sequence (T, F).
        burn_in: steps run before the exponent is accumulated (the transient from h_0 = 0).
        seed: seeds the starting tangent vector.
    Returns:
        the exponent (NaN when T <= burn_in).
    """
    rnn = model.rnn
    if model.config.kind != "rnn":
        raise ValueError("largest_lyapunov_rnn needs a vanilla RNN; use core.analysis.lyapunov_exponent")
    g = lambda n: getattr(rnn, n).detach().cpu().double().numpy()  # noqa: E731
    W, U = g("weight_hh_l0"), g("weight_ih_l0")
    b = g("bias_ih_l0") + g("bias_hh_l0")
    act = model.config.nonlinearity
    x = np.asarray(torch.as_tensor(x_tf).detach().cpu(), dtype=np.float64).reshape(len(x_tf), -1)
    drive = x @ U.T + b  # (T, H)
    T, H = drive.shape
    if T <= burn_in:
        return float("nan")
    v = np.random.default_rng(seed).standard_normal(H)
    v /= np.linalg.norm(v)
    h = np.zeros(H)
    acc = 0.0
    for t in range(T):
        a = W @ h + drive[t]
        if act == "tanh":
            h = np.tanh(a)
            d = 1.0 - h * h
        elif act == "relu":
            h = np.maximum(a, 0.0)
            d = (a > 0).astype(np.float64)
        else:
            h, d = a, 1.0
        v = d * (W @ v)
        n = np.linalg.norm(v)
        if n == 0.0:
            return float("-inf")
        v /= n
        if t >= burn_in:
            acc += math.log(n)
    return acc / (T - burn_in)


def lyapunov_at(rho: float, s: ChaosSettings) -> float:
    """Largest Lyapunov exponent (per step) of ``random_rnn(rho)`` along ``random_inputs``."""
    return largest_lyapunov_rnn(random_rnn(rho, s), random_inputs(s), s.burn_in, s.seed)


def lyapunov_vs_radius(radii, s: ChaosSettings = ChaosSettings()) -> np.ndarray:
    """``lyapunov_at`` for each spectral radius: (R,) exponents (same W_hh direction, rescaled).

    Below the edge of chaos (exponent < 0) nearby trajectories converge and the network forgets
    its past; above it (> 0) they separate and a tiny change of h is amplified.
    """
    return np.array([lyapunov_at(float(r), s) for r in radii])
