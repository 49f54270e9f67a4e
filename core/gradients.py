"""Vanishing and exploding gradients, measured (lecture note section 6).

- ``gradient_flow``: ||dL/dh_t|| over t for a model on a batch, in float64 so curves that fall
  to 1e-200 or rise to 1e+150 stay measurable.
- ``fit_decay`` / ``verdict``: a line through log||dL/dh_t|| gives the per-step rate and the
  verdict vanishing / stable / exploding (thresholds below).
- ``pascanu_bound``: Pascanu, Mikolov & Bengio (2013): with a loss read only at the end,
  ||dL/dh_t|| <= ||dL/dh_{T-1}|| * eta^(T-1-t), eta = sigma_max(W_hh) * gamma, gamma a bound on
  |sigma'| (1 for tanh, ReLU and the identity).
- ``jacobian_view``: ||J_{T-1} ... J_{t+1}|| and the singular values of every factor J_k.
- ``gate_products``: LSTM's constant error carousel prod f_k, GRU's direct path prod z_k.
- ``run_clipping_comparison``: the same exploding run trained with and without clipping.
- The single-unit cliff lives in ``core.cliff``.

torch + numpy only.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np
import torch

from .models import build_model
from .tasks import Batch, Task, get_task
from .trace import trace
from .jacobians import jacobian_log_products, state_jacobians
from .trainer import Trainer

# ---- verdict thresholds -------------------------------------------------------------------------
# The fitted line's change over 100 steps decides: falling more than 10x per 100 steps
# (rate < 0.977 per step backwards) is vanishing, rising more than 10x per 100 steps (rate > 1.023)
# is exploding, anything flatter is stable. A non-finite gradient anywhere is exploding; a
# gradient that underflows to exactly 0 before t = 0 is vanishing.
DECADES_PER_100 = 1.0  # |log10 change per 100 steps| above which the curve vanishes or explodes
SKIP_END = 5  # steps nearest the loss left out of the fit (they carry the readout's direct term)
VERDICTS = ("vanishing", "stable", "exploding")
GAMMA = {"tanh": 1.0, "relu": 1.0, "linear": 1.0}  # sup |sigma'| of each activation
FLOW_TASK = "adding"  # many-to-one, loss read at the end: the clean Pascanu setting
JACOBIAN_MAX_STEPS = 300  # the Jacobian view uses at most this many steps...
JACOBIAN_MAX_STATE = 128  # ...and a state of at most this size (S = H, or 2H for LSTM)


# ---- gradient flow on untrained models ----------------------------------------------------------

@dataclass(frozen=True)
class FlowSetup:
    """An untrained model and the batch whose gradient flow is measured."""

    kind: str = "rnn"  # "rnn", "lstm" or "gru"
    nonlinearity: str = "tanh"  # vanilla RNN activation: "tanh", "relu" or "linear"
    spectral_radius: float = 1.0  # radius every H x H block of W_hh is rescaled to
    recurrent_init: str = "random"  # "random" (Gaussian), "orthogonal" or "identity"
    seq_len: int = 100  # T
    hidden_size: int = 64  # H
    input_scale: float = 1.0  # the inputs are multiplied by this
    batch_size: int = 8  # sequences the norm is taken over
    seed: int = 0  # model init and data
    forget_bias: float | None = None  # LSTM only: initial forget-gate bias (None: torch's small draw)


def flow_task(setup: FlowSetup) -> Task:
    """The adding problem of length T: a many-to-one task whose loss is read at the last step."""
    return get_task(FLOW_TASK, seq_len=int(setup.seq_len))


def flow_model(setup: FlowSetup):
    """The untrained ``SeqModel`` (head "last") of ``setup``."""
    task = flow_task(setup)
    return build_model(setup.kind, task.input_size, int(setup.hidden_size), task.output_size,
                       head=task.head, nonlinearity=setup.nonlinearity,
                       spectral_radius=float(setup.spectral_radius),
                       recurrent_init=setup.recurrent_init, seed=int(setup.seed),
                       forget_bias=setup.forget_bias if setup.kind == "lstm" else None)


def flow_batch(setup: FlowSetup) -> Batch:
    """The batch of ``setup`` (inputs scaled by ``input_scale``), same for every cell kind."""
    task = flow_task(setup)
    b = task.sample(int(setup.batch_size), torch.Generator().manual_seed(int(setup.seed) + 1))
    return Batch(b.x * float(setup.input_scale), b.y, b.lengths)


@dataclass
class Flow:
    """The measured gradient flow of one model on one batch (numpy, float64)."""

    grad_norm: np.ndarray  # (T,) ||dL/dh_t||, total derivative; may hold 0, inf or nan
    loss: float  # the loss of the batch
    gates: dict  # name -> (B, T, H) gate activations (LSTM, GRU), else empty
    sigma_max: float | None  # largest singular value of W_hh (vanilla RNN), else None
    radius: float | None  # spectral radius of W_hh (vanilla RNN), else None
    eta: float | None  # sigma_max * gamma, Pascanu's per-step bound (vanilla RNN), else None
    many_to_one: bool  # loss read only at the end: the bound applies


def gradient_flow(model, task: Task, batch: Batch) -> Flow:
    """||dL/dh_t|| of ``model`` on ``batch``, computed on a float64 copy (the model is untouched).

    Args:
        model: a ``SeqModel``.
        task: gives the loss.
        batch: inputs (B, T, F), targets, optional lengths.
    Returns:
        a ``Flow``.
    """
    m = copy.deepcopy(model).cpu().double()
    x = batch.x.double()
    y = batch.y.double() if batch.y.is_floating_point() else batch.y
    with np.errstate(all="ignore"):
        tr = trace(m, x, y, task, lengths=batch.lengths)
    sig = rad = eta = None
    if m.config.kind == "rnn":
        w = m.rnn.weight_hh_l0.detach()
        sig = float(torch.linalg.matrix_norm(w, ord=2))
        rad = float(torch.linalg.eigvals(w).abs().max())
        eta = sig * GAMMA[m.config.nonlinearity]
    return Flow(np.asarray(tr.grad_h_norm, dtype=np.float64), float(tr.loss), tr.gates, sig, rad, eta,
                m.config.head == "last" and m.config.num_layers == 1 and not m.config.bidirectional)


# ---- the fitted rate and the verdict ------------------------------------------------------------

@dataclass(frozen=True)
class DecayFit:
    """A straight line through log||dL/dh_t|| (see ``fit_decay``)."""

    rate: float  # factor per step BACKWARDS, g_{t-1} / g_t: < 1 vanishing, > 1 exploding
    decades_per_100: float  # log10 change per 100 steps backwards (negative: falls toward t = 0)
    measured_ratio: float  # g_first / g_last over the fitted window (nan if not finite)
    t_first: int  # first step of the fitted window
    t_last: int  # last step of the fitted window
    verdict: str  # one of VERDICTS
    reason: str  # one line saying why (English: REASONS[reason_code] with factor)
    reason_code: str  # a key of REASONS, for callers that word the reason themselves
    factor: float  # change per 100 steps back the reason quotes (nan when it quotes none)


def fit_decay(grad_norm: np.ndarray, skip_end: int = SKIP_END) -> DecayFit:
    """Fit log||dL/dh_t|| = a + s t by least squares and judge the curve.

    The window runs from t = 0 to T-1-skip (skip = min(skip_end, T // 10)), minus steps where the
    gradient is 0 or not finite. rate = exp(-s): the factor the gradient gains per step it travels
    back. Verdict: see ``DECADES_PER_100``.

    Args:
        grad_norm: (T,) gradient norms.
        skip_end: steps nearest the loss to leave out.
    Returns:
        a ``DecayFit``.
    """
    g = np.asarray(grad_norm, dtype=np.float64).reshape(-1)
    T = g.shape[0]
    end = T - 1 - min(int(skip_end), T // 10)
    t = np.arange(end + 1)
    w = g[: end + 1]
    ok = np.isfinite(w) & (w > 0)
    nonfinite = bool((~np.isfinite(g)).any())
    underflow = bool(ok.any() and (w[: int(np.argmax(ok))] == 0).any()) or bool((w == 0).any())
    if ok.sum() < 2:
        v = "exploding" if nonfinite else "vanishing"
        code = "not_finite" if nonfinite else "zero"
        return DecayFit(math.inf if nonfinite else 0.0, math.nan, math.nan, 0, end, v,
                        reason_text(code), code, math.nan)
    s, _ = np.polyfit(t[ok], np.log(w[ok]), 1)
    rate = float(np.exp(-s))
    dec = float(-s * 100 / np.log(10))
    tf, tl = int(t[ok][0]), int(t[ok][-1])
    ratio = float(w[tf] / w[tl])
    v, code, factor = verdict_code(dec, nonfinite=nonfinite, underflow=underflow)
    return DecayFit(rate, dec, ratio, tf, tl, v, reason_text(code, factor), code, factor)


# reason code -> the English reason; {factor}: change per 100 steps back, {limit}: 10**DECADES_PER_100.
# The explorer words the same codes in the user's language.
REASONS = {
    "not_finite": "the gradient is not finite",
    "zero": "the gradient is zero",
    "overflow": "the gradient overflows (inf/nan) on its way back",
    "underflow": "the gradient underflows to exactly 0 on its way back",
    "falls": "falls {factor:.3g}x per 100 steps back (limit {limit:g}x)",
    "grows": "grows {factor:.3g}x per 100 steps back (limit {limit:g}x)",
    "changes": "changes {factor:.3g}x per 100 steps back (within {limit:g}x)",
}


def reason_text(code: str, factor: float = math.nan) -> str:
    """The English reason of ``code`` (a key of ``REASONS``) quoting ``factor``."""
    return REASONS[code].format(factor=factor, limit=10 ** DECADES_PER_100)


def verdict_code(decades_per_100: float, *, nonfinite: bool = False,
                 underflow: bool = False) -> tuple[str, str, float]:
    """(verdict, reason code, factor) from the fitted change per 100 steps; see ``DECADES_PER_100``.

    factor is the change per 100 steps back that the reason quotes (nan for the codes that quote none).
    """
    if nonfinite:
        return "exploding", "overflow", math.nan
    if underflow:
        return "vanishing", "underflow", math.nan
    if decades_per_100 < -DECADES_PER_100:
        return "vanishing", "falls", 10 ** -decades_per_100
    if decades_per_100 > DECADES_PER_100:
        return "exploding", "grows", 10 ** decades_per_100
    return "stable", "changes", 10 ** abs(decades_per_100)


def verdict(decades_per_100: float, *, nonfinite: bool = False, underflow: bool = False) -> tuple[str, str]:
    """(verdict, English reason) from the fitted change per 100 steps; see ``DECADES_PER_100``."""
    v, code, factor = verdict_code(decades_per_100, nonfinite=nonfinite, underflow=underflow)
    return v, reason_text(code, factor)


def pascanu_bound(g_end: float, eta: float, T: int) -> np.ndarray:
    """log10 of the bound g_end * eta^(T-1-t) for t = 0..T-1 ((T,), float64, no overflow)."""
    k = np.arange(T - 1, -1, -1, dtype=np.float64)
    return np.log10(max(g_end, 1e-300)) + k * np.log10(max(eta, 1e-300))


# ---- Jacobians and gate products ----------------------------------------------------------------

@dataclass
class JacobianView:
    """Products and factors of ds_k/ds_{k-1} along one trajectory (T' = steps used)."""

    log10_product: np.ndarray  # (T',) log10 ||J_{T'-1} ... J_{t+1}||_2 (0 at t = T'-1)
    singular_values: np.ndarray  # (T', S) singular values of J_t, largest first
    steps: int  # T', the steps used (the first T' of the sequence)
    state_size: int  # S


def jacobian_view(model, x_tf: torch.Tensor, max_steps: int = JACOBIAN_MAX_STEPS) -> JacobianView:
    """Jacobian products and factor spectra over the first ``max_steps`` steps of ``x_tf`` (T, F).

    The state is h (RNN, GRU) or [h, c] (LSTM, S = 2H), of layer 0. Computed in float64.
    """
    m = copy.deepcopy(model).cpu().double()
    x = x_tf[: int(max_steps)].double()
    jac = state_jacobians(m, x, as_tensor=True)
    sv = torch.linalg.svdvals(jac).numpy()
    return JacobianView(jacobian_log_products(jac), sv, int(x.shape[0]), int(jac.shape[-1]))


GATE_PATH = {"lstm": "forget", "gru": "update"}  # the gate on each cell's direct (additive) path


def gate_products(gates: dict, kind: str, steps: int | None = None) -> np.ndarray | None:
    """log10 prod_{k=t+1}^{T-1} g_k per unit for sequence 0, (T, H); None for a vanilla RNN.

    LSTM: g = f, the forget gate, since dc_{T-1}/dc_t = diag(prod f_k) along the cell path.
    GRU (torch: h_k = (1 - z_k) n_k + z_k h_{k-1}): g = z, the update gate, whose product is the
    direct h-to-h path. Entry T-1 is 0 (the empty product). ``steps`` truncates to the first steps.
    """
    name = GATE_PATH.get(kind)
    if name is None or name not in gates:
        return None
    g = np.asarray(gates[name][0], dtype=np.float64)
    if steps is not None:
        g = g[: int(steps)]
    with np.errstate(divide="ignore"):
        lg = np.log10(g)
    # suffix sums of log g_k over k > t
    rev = np.cumsum(lg[::-1], axis=0)[::-1]
    out = np.zeros_like(lg)
    out[:-1] = rev[1:]
    return out


# ---- clipping: the same exploding run with and without it ---------------------------------------

@dataclass(frozen=True)
class ClipSetup:
    """An exploding configuration: Le et al.'s IRNN (ReLU, W_hh = I) trained with plain SGD."""

    kind: str = "rnn"  # cell kind
    nonlinearity: str = "relu"  # vanilla RNN activation
    recurrent_init: str = "identity"  # W_hh initialisation
    spectral_radius: float = 1.0  # radius of W_hh at initialisation
    task: str = "sine"  # a key of core.TASKS
    seq_len: int = 50  # T
    hidden_size: int = 32  # H
    optimizer: str = "sgd"  # "sgd" (with momentum) or "adam"
    lr: float = 0.01  # learning rate
    clip: float = 1.0  # global-norm threshold of the clipped run
    steps: int = 150  # optimisation steps of each run
    batch_size: int = 32  # sequences per step
    seed: int = 0  # model init and data stream (the same for both runs)


@dataclass
class ClipResult:
    """Per-step records of the two runs (numpy (steps,) each; loss nan where a step diverged)."""

    steps: np.ndarray  # 1..n
    loss_plain: np.ndarray  # training loss without clipping
    grad_plain: np.ndarray  # global gradient norm (before clipping) without clipping
    loss_clip: np.ndarray  # training loss with clipping
    grad_clip: np.ndarray  # global gradient norm before clipping, clipped run
    diverged_plain: int  # steps rolled back (non-finite loss) without clipping
    diverged_clip: int  # the same with clipping
    clip: float  # the threshold
    baseline_loss: float  # the task's best constant prediction
    seconds: float  # wall time of both runs


def _train(setup: ClipSetup, clip: float | None) -> list[dict]:
    task = get_task(setup.task, seq_len=int(setup.seq_len))
    model = build_model(setup.kind, task.input_size, int(setup.hidden_size), task.output_size,
                        head=task.head, nonlinearity=setup.nonlinearity,
                        spectral_radius=float(setup.spectral_radius),
                        recurrent_init=setup.recurrent_init, seed=int(setup.seed))
    tr = Trainer(model, task, lr=float(setup.lr), batch_size=int(setup.batch_size),
                 optimizer=setup.optimizer, clip=clip, device="cpu", seed=int(setup.seed))
    return tr.train(int(setup.steps))


def run_clipping_comparison(setup: ClipSetup = ClipSetup()) -> ClipResult:
    """Train ``setup`` twice from the same initialisation and data: without, then with clipping."""
    import time
    t0 = time.perf_counter()
    plain, clipped = _train(setup, None), _train(setup, float(setup.clip))

    def col(recs, k):
        return np.array([r[k] if not r["diverged"] else np.nan for r in recs], dtype=np.float64)

    task = get_task(setup.task, seq_len=int(setup.seq_len))
    return ClipResult(np.arange(1, len(plain) + 1), col(plain, "loss"),
                      np.array([r["grad_norm"] for r in plain], dtype=np.float64),
                      col(clipped, "loss"), np.array([r["grad_norm"] for r in clipped], dtype=np.float64),
                      sum(r["diverged"] for r in plain), sum(r["diverged"] for r in clipped),
                      float(setup.clip), float(task.baseline_loss), time.perf_counter() - t0)
