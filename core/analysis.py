"""Analysis of recurrent dynamics: PCA of hidden states, fixed points, Lyapunov exponents.

The dynamical system is ``core.cells.state_map``: s_t = F(s_{t-1}, u_t) with s = h for a vanilla
RNN or a GRU and s = [h, c] for an LSTM (S = H or 2H). Everything here runs on the CPU in float64
(the fixed-point tolerances and the 1e-6 perturbations need it) and returns numpy arrays; it reads
the first layer (layer 0) of ``model.rnn``, forward direction, whose input is the model's input.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from .cells import CellWeights, cell_weights, state_map
from .jacobians import map_jacobians

# ---- PCA ----------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PCABasis:
    """A k-dimensional principal subspace of hidden states.

    ``components`` are orthonormal rows; each has its largest-|value| entry positive (after
    ``align_basis`` the signs follow the reference instead).
    """

    mean: np.ndarray  # (H,) mean of the fitted states
    components: np.ndarray  # (k, H) principal directions, most variance first
    explained: np.ndarray  # (k,) fraction of the total variance along each component
    fit_on: int  # number of points fitted

    @property
    def k(self) -> int:
        return self.components.shape[0]


def _as_np(a) -> np.ndarray:
    if isinstance(a, Tensor):
        a = a.detach().cpu()
    return np.asarray(a, dtype=np.float64)


def _sign_convention(comp_kh: np.ndarray) -> np.ndarray:
    """Flip each row so that its largest-|value| entry is positive."""
    idx = np.abs(comp_kh).argmax(axis=1)
    sign = np.sign(comp_kh[np.arange(len(comp_kh)), idx])
    sign[sign == 0] = 1.0
    return comp_kh * sign[:, None]


def fit_pca(states_nh, k: int = 3) -> PCABasis:
    """Principal components of states, from the SVD of the centred data.

    Args:
        states_nh: states (N, H), or any (..., H) (flattened to points); rows with a non-finite
            value are skipped. numpy array or tensor.
        k: number of components; clamped to min(N, H).
    Returns:
        a ``PCABasis`` with the deterministic sign convention (largest entry of each component > 0).
    """
    X = _as_np(states_nh)
    if X.ndim < 2:
        raise ValueError(f"states must have shape (N, H) or (..., H); got {X.shape}")
    X = X.reshape(-1, X.shape[-1])
    X = X[np.isfinite(X).all(axis=1)]
    if len(X) == 0:
        raise ValueError("no finite states to fit a PCA on")
    if k < 1:
        raise ValueError(f"k must be at least 1; got {k}")
    mean = X.mean(axis=0)
    # torch's SVD (MKL, honours torch.set_num_threads): numpy's multithreaded OpenBLAS fights
    # torch's OpenMP threads in a training process and took ~100 ms here for a 300 x 32 matrix.
    _, s, vt = (t.numpy() for t in torch.linalg.svd(torch.from_numpy(X - mean), full_matrices=False))
    k = min(int(k), vt.shape[0])
    var = s ** 2
    total = var.sum()
    explained = var[:k] / total if total > 0 else np.zeros(k)
    return PCABasis(mean, _sign_convention(vt[:k].copy()), explained, len(X))


def project(basis: PCABasis, states) -> np.ndarray:
    """Coordinates of states in the basis: (..., H) -> (..., k)."""
    X = _as_np(states)
    return (X - basis.mean) @ basis.components.T


def align_basis(new: PCABasis, reference: PCABasis, reorder: bool = False) -> PCABasis:
    """Make ``new`` look like ``reference`` so an animation across refits does not jump.

    Args:
        new: the basis fitted later (e.g. later in training).
        reference: the earlier basis whose orientation to keep (same H).
        reorder: also permute the components of ``new`` to match the reference ones they are most
            parallel to (greedy on |cosine|); ``explained`` is permuted with them.
    Returns:
        a ``PCABasis`` whose components have non-negative dot products with the matched reference
        components (components beyond the reference's k keep their sign and order).
    """
    if new.components.shape[1] != reference.components.shape[1]:
        raise ValueError("bases of different state sizes cannot be aligned")
    C = np.abs(new.components @ reference.components.T)  # (k_new, k_ref)
    kn, kr = C.shape
    order = list(range(kn))
    if reorder:
        matched: dict[int, int] = {}  # reference index -> new index
        C2 = C.copy()
        for _ in range(min(kn, kr)):
            i, j = np.unravel_index(np.argmax(C2), C2.shape)
            matched[j] = i
            C2[i, :] = -1.0
            C2[:, j] = -1.0
        first = [matched[j] for j in range(kr) if j in matched]
        order = first + [i for i in range(kn) if i not in first]
    comps = new.components[order].copy()
    expl = new.explained[order].copy()
    for j in range(min(kn, kr)):
        if comps[j] @ reference.components[j] < 0:
            comps[j] = -comps[j]
    return PCABasis(new.mean, comps, expl, new.fit_on)


# ---- fixed points ---------------------------------------------------------------------------------


@dataclass(eq=False)
class FixedPoints:
    """Fixed points s* = F(s*, u*) of one layer, K distinct points, S = H (RNN/GRU) or 2H (LSTM)."""

    points: np.ndarray  # (K, S) the points, lowest q first; for LSTM [h, c]
    q: np.ndarray  # (K,) ½||F(s) - s||² at each
    jacobians: np.ndarray  # (K, S, S) dF/ds at each
    eigenvalues: np.ndarray  # (K, S) complex, sorted by |value|, largest first
    stable: np.ndarray  # (K,) bool, max |eigenvalue| < 1
    n_unstable_dims: np.ndarray  # (K,) int, number of eigenvalues with |value| > 1
    unstable_directions: np.ndarray  # (K, S) real unit eigenvector of the largest |eig| > 1, else 0
    hidden_size: int  # H; points[:, :H] is h
    all_q: np.ndarray  # (n_starts,) final q of every start (for a histogram)
    converged_fraction: float  # fraction of starts that ended with q < tol
    kind: str = "rnn"  # cell kind
    u: np.ndarray | None = None  # (F,) the constant input

    def __len__(self) -> int:
        return len(self.points)

    @property
    def hidden(self) -> np.ndarray:
        """(K, H) the hidden part of each point."""
        return self.points[:, :self.hidden_size]


def _weights64(rnn: torch.nn.RNNBase, layer: int = 0) -> CellWeights:
    """Detached float64 CPU copies of one layer's weights."""
    w = cell_weights(rnn, layer)
    c = lambda t: None if t is None else t.detach().to("cpu", torch.float64)  # noqa: E731
    return CellWeights(w.kind, c(w.w_ih), c(w.w_hh), c(w.b_ih), c(w.b_hh), w.nonlinearity)


def _rnn_of(model) -> torch.nn.RNNBase:
    return model.rnn if hasattr(model, "rnn") else model


def _check_layer(layer: int) -> None:
    if layer != 0:
        raise ValueError(
            f"layer={layer}: only layer 0 can be analysed; a deeper layer is driven by the layer "
            "below's output, which is not a constant input")


def _start_states(states, n: int, S: int, noise: float, gen: torch.Generator) -> Tensor:
    if states is None:
        return 0.5 * torch.randn(n, S, generator=gen, dtype=torch.float64)
    X = torch.as_tensor(_as_np(states))
    X = X.reshape(-1, X.shape[-1])
    if X.shape[-1] != S:
        hint = " (for an LSTM pass [h, c], e.g. concatenate trace.hidden and trace.cell)" if S % 2 == 0 else ""
        raise ValueError(f"states have {X.shape[-1]} columns but the state has S = {S}{hint}")
    X = X[torch.isfinite(X).all(dim=1)]
    if len(X) == 0:
        raise ValueError("no finite states to start from")
    idx = torch.randperm(len(X), generator=gen)[:n] if len(X) >= n else \
        torch.randint(len(X), (n,), generator=gen)
    s = X[idx].clone()
    if noise > 0:
        s += noise * torch.randn(s.shape, generator=gen, dtype=torch.float64)
    return s


def find_fixed_points(model, u=None, *, n_starts: int = 256, states=None, steps: int = 400,
                      lr: float = 0.05, tol: float = 1e-6, dedup_tol: float = 1e-3, layer: int = 0,
                      seed: int = 0, noise: float = 0.0, newton_steps: int = 4) -> FixedPoints:
    """Fixed points of s -> F(s, u*) by minimising q(s) = ½||F(s, u*) - s||² from many starts.

    All starts descend at once with Adam (learning rate decayed by a cosine to 1% of ``lr``), in
    float64. Guarded Newton steps s <- s - a (J - I)^-1 (F(s) - s) (taken only where they lower q)
    then try to rescue the starts left above ``tol``. Points with q < ``tol`` are merged when
    closer than ``dedup_tol * sqrt(S)`` (the lowest q survives); the survivors are polished by
    Newton and merged again, and each gets its Jacobian (``torch.func.jacrev``), eigenvalues and
    stability. Slow points (q small but not zero: near-continuous attractors, common in GRUs
    whose update gate saturates) pass only if their q is under ``tol``.

    Args:
        model: a ``SeqModel`` (or a bare ``torch.nn.RNN/LSTM/GRU``); its layer 0 is analysed.
        u: the constant input (F,) (array or tensor); None for zeros.
        n_starts: number of starting states.
        states: (N, S) states to start from (e.g. visited states from a trace; [h, c] for LSTM),
            sampled without replacement when N >= n_starts; None for N(0, 0.5²) starts.
        steps: Adam iterations.
        lr: Adam's initial learning rate.
        tol: q below which a start counts as converged.
        dedup_tol: merge radius per unit (scaled by sqrt(S)).
        layer: must be 0.
        seed: seeds the choice of starts and the noise.
        noise: std of Gaussian noise added to the sampled ``states``.
        newton_steps: Newton polishing steps after Adam (0 for plain Adam).
    Returns:
        a ``FixedPoints`` (K may be 0).
    """
    _check_layer(layer)
    if n_starts < 1:
        raise ValueError(f"n_starts must be at least 1; got {n_starts}")
    w = _weights64(_rnn_of(model), 0)
    H = w.hidden_size
    S = 2 * H if w.kind == "lstm" else H
    F_in = w.w_ih.shape[1]
    u_f = torch.zeros(F_in, dtype=torch.float64) if u is None else torch.as_tensor(_as_np(u)).reshape(-1)
    if u_f.shape[0] != F_in:
        raise ValueError(f"u must have {F_in} entries (the input size); got {u_f.shape[0]}")
    gen = torch.Generator().manual_seed(int(seed))
    s = _start_states(states, int(n_starts), S, float(noise), gen).requires_grad_(True)
    n = s.shape[0]
    u_nf = u_f.expand(n, F_in)

    def qfun(x):
        return 0.5 * (state_map(w, u_nf[: len(x)], x) - x).pow(2).sum(-1)

    opt = torch.optim.Adam([s], lr=lr)
    for i in range(steps):
        for g in opt.param_groups:
            g["lr"] = lr * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * i / max(steps, 1))))
        opt.zero_grad(set_to_none=True)
        qfun(s).sum().backward()
        opt.step()
    s = s.detach()
    with torch.no_grad():
        q = qfun(s)
    for _ in range(newton_steps):  # rescue the starts Adam left above tol
        idx = torch.nonzero(~(q < tol) & torch.isfinite(q)).flatten()
        if len(idx) == 0:
            break
        s, q = _newton_step(w, u_f, s, q, idx)
    q = torch.nan_to_num(q, nan=math.inf)
    radius = dedup_tol * math.sqrt(S)
    n_conv = int((q < tol).sum())
    keep = _dedup(s, q, torch.nonzero(q < tol).flatten(), radius)
    # polish one representative per cluster (cheap: few points), then merge what now coincides
    rep = torch.tensor(keep, dtype=torch.long)
    for _ in range(newton_steps):
        live = rep[q[rep] > 0]
        if len(live) == 0:
            break
        s, q = _newton_step(w, u_f, s, q, live)
    keep = _dedup(s, q, rep, radius)
    pts = s[keep]
    K = len(keep)
    if K:
        jac = map_jacobians(w, u_f, pts).detach()
        vals, vecs = torch.linalg.eig(jac)
        order = vals.abs().argsort(dim=-1, descending=True)
        vals = torch.gather(vals, 1, order)
        vecs = torch.gather(vecs, 2, order[:, None, :].expand_as(vecs))
        mags = vals.abs()
        stable = mags[:, 0] < 1
        n_unst = (mags > 1).sum(-1)
        v = vecs[:, :, 0]  # eigenvector of the largest |eig|: rotate so its biggest entry is real
        j = v.abs().argmax(-1)
        piv = v[torch.arange(K), j]
        v = (v * (piv.conj() / piv.abs())[:, None]).real
        v = v / v.norm(dim=-1, keepdim=True).clamp_min(1e-300)
        v = torch.where(stable[:, None], torch.zeros_like(v), v)
    else:
        jac = torch.zeros(0, S, S, dtype=torch.float64)
        vals = torch.zeros(0, S, dtype=torch.complex128)
        stable = torch.zeros(0, dtype=torch.bool)
        n_unst = torch.zeros(0, dtype=torch.long)
        v = torch.zeros(0, S, dtype=torch.float64)
    return FixedPoints(
        points=pts.numpy(), q=q[keep].numpy(), jacobians=jac.numpy(), eigenvalues=vals.numpy(),
        stable=stable.numpy(), n_unstable_dims=n_unst.numpy(), unstable_directions=v.numpy(),
        hidden_size=H, all_q=q.numpy(), converged_fraction=n_conv / n, kind=w.kind,
        u=u_f.numpy())


def _dedup(s: Tensor, q: Tensor, idx: Tensor, radius: float) -> list[int]:
    """Indices among ``idx`` that survive greedy merging, lowest q first: a point closer than
    ``radius`` to a kept one is dropped."""
    keep: list[int] = []
    for i in idx[torch.argsort(q[idx])].tolist():
        if not keep or torch.cdist(s[i][None], s[keep]).min() > radius:
            keep.append(i)
    return keep


def _newton_step(w: CellWeights, u_f: Tensor, s: Tensor, q: Tensor, idx: Tensor):
    """One Newton step s <- s - a (J - I)^-1 (F(s) - s) on the starts ``idx``, with the step
    halved (a = 1, 1/2, 1/4, 1/8) until q drops; a start whose q never drops stays put."""
    S = s.shape[1]
    x, qx = s[idx], q[idx]
    with torch.no_grad():
        r = state_map(w, u_f.expand(len(x), -1), x) - x
    A = map_jacobians(w, u_f, x) - torch.eye(S, dtype=torch.float64)
    delta, info = torch.linalg.solve_ex(A, -r)
    ok = (info == 0) & torch.isfinite(delta).all(-1)
    delta = torch.nan_to_num(delta) * ok[:, None]
    done = ~ok
    for a in (1.0, 0.5, 0.25, 0.125):
        cand = x + a * delta
        with torch.no_grad():
            qc = 0.5 * (state_map(w, u_f.expand(len(x), -1), cand) - cand).pow(2).sum(-1)
        take = ~done & (qc < qx)
        x = torch.where(take[:, None], cand, x)
        qx = torch.where(take, qc, qx)
        done |= take
    s, q = s.clone(), q.clone()
    s[idx], q[idx] = x, qx
    return s, q
