"""Logic of the RNN cell page (lecture note sections 1, 2), without Streamlit.

The page keeps the weights as one number per widget key (explorer.app.state.CELL_ENTRIES); here they
become a ``core.tiny_rnn.TinySpec``, a real model, a step-by-step record, the equations with
numbers, and the data of the dynamical-system views. Every number comes from ``core``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core import tiny_rnn as tr
from explorer.figures import cell as cf
from explorer.app.i18n import text

from ..app import state

MATRICES = tuple(state.CELL_MATRIX_SHAPES)  # "W_xh", "W_hh", "b_h", "W_hy", "b_y"
LATEX_NAMES = {"W_xh": "W_{xh}", "W_hh": "W_{hh}", "b_h": "b_h", "W_hy": "W_{hy}", "b_y": "b_y"}


def matrix_shape(name: str, H: int, F: int) -> tuple:
    """The shape of one matrix for H units and F inputs (one output)."""
    return {"W_xh": (H, F), "W_hh": (H, H), "b_h": (H,), "W_hy": (1, H), "b_y": (1,)}[name]


def entry_keys(name: str, H: int, F: int) -> list[list[str]]:
    """Widget keys of the entries in use, as rows (a vector is one column)."""
    shp = matrix_shape(name, H, F)
    cols = shp[1] if len(shp) == 2 else 1
    return [[state.CELL_ENTRIES[(name, i, j)] for j in range(cols)] for i in range(shp[0])]


def matrices_from(values: dict, H: int, F: int) -> dict:
    """{name: array} from a mapping widget key -> number (e.g. st.session_state)."""
    out = {}
    for name in MATRICES:
        m = np.array([[float(values[k]) for k in row] for row in entry_keys(name, H, F)])
        out[name] = m.reshape(matrix_shape(name, H, F))
    return out


def spec_from(values: dict, H: int, F: int, activation: str) -> tr.TinySpec:
    m = matrices_from(values, H, F)
    return tr.TinySpec.from_arrays(m["W_xh"], m["W_hh"], m["b_h"], m["W_hy"], m["b_y"], activation)


def effective_input_size(preset: str, F: int) -> int:
    """The word preset is always 2-D (love, hate)."""
    return 2 if preset == "love/hate" else F


def error_text(e: ValueError, lang: str = "en") -> str:
    """The message of a bad typed input or matrix in ``lang`` (``core.tiny_rnn.InputError`` carries a
    code and values; any other ValueError keeps its own English message)."""
    code = getattr(e, "code", None)
    if code is None:
        return str(e)
    return text(f"cell.error.{code}", lang, **e.values)


def verdict(label: str, lang: str = "en") -> str:
    """A fixed point's verdict from ``core.tiny_rnn.classify`` ("stable spiral", "saddle", ...) in words."""
    key = label.replace(" ", "_")
    return text(f"cell.verdict.{key}", lang)


def make_input(preset: str, T: int, F: int, seed: int, typed: str) -> tr.InputSequence:
    """The input sequence of the page; raises ValueError for a bad typed sequence."""
    if preset == "typed":
        return tr.parse_sequence(typed, F)
    return tr.preset_input(preset, T, F, seed)


# ---- equations ------------------------------------------------------------------------------------

def _num(v: float) -> str:
    s = f"{v:.3f}"
    return "0.000" if s == "-0.000" else s


def bmatrix(m) -> str:
    m = np.atleast_1d(np.asarray(m, float))
    if m.ndim == 1:
        m = m[:, None]  # a column vector
    body = r" \\ ".join(" & ".join(_num(v) for v in row) for row in m)
    return r"\begin{bmatrix}" + body + r"\end{bmatrix}"


@dataclass(frozen=True)
class Equations:
    """LaTeX of the two equations at one step, with the numbers the engine used."""

    hidden: str  # h_t = sigma(W_xh x_t + W_hh h_{t-1} + b_h) with numbers
    output: str  # y_t = W_hy h_t + b_y with numbers


def equations(spec: tr.TinySpec, rec: tr.StepRecord, t: int) -> Equations:
    """The equations of step ``t`` with the matrices, x_t, h_{t-1}, a_t, h_t and y_t substituted."""
    sig = r"\tanh" if spec.activation == "tanh" else r"\mathrm{ReLU}"
    hidden = (
        r"\begin{aligned}"
        rf"h_{{{t}}} &= {sig}\big(W_{{xh}}\,x_{{{t}}} + W_{{hh}}\,h_{{{t - 1}}} + b_h\big) \\"
        rf" &= {sig}\Big({bmatrix(spec.w_xh)}{bmatrix(rec.x[t])} + {bmatrix(spec.w_hh)}{bmatrix(rec.h_prev[t])}"
        rf" + {bmatrix(spec.b_h)}\Big) \\"
        rf" &= {sig}\Big({bmatrix(rec.pre[t])}\Big) = {bmatrix(rec.h[t])}"
        r"\end{aligned}"
    )
    output = (
        rf"y_{{{t}}} = W_{{hy}}\,h_{{{t}}} + b_y = {bmatrix(spec.w_hy)}{bmatrix(rec.h[t])} + {bmatrix(spec.b_y)}"
        rf" = {bmatrix(rec.y[t])}"
    )
    return Equations(hidden, output)


# ---- dynamical-system views ---------------------------------------------------------------------

def _box(spec: tr.TinySpec, rec: tr.StepRecord) -> tuple[float, float]:
    """Axis range that holds the visited states and the fixed points."""
    if spec.activation == "tanh":
        return -1.1, 1.1
    hi = max(1.0, float(np.nanmax(rec.h, initial=0.0)) * 1.15 + 0.2)
    return -0.2, min(hi, 50.0)


def cobweb(spec: tr.TinySpec, rec: tr.StepRecord, t: int, fp: tr.TinyFixedPoints, *, lang: str = "en"):
    """Cobweb plot of the H = 1 map h_t = F(h_{t-1}, x_t) for the input of step ``t``; ``fp`` are
    the fixed points for that input (``core.tiny_rnn.fixed_points``)."""
    lo, hi = _box(spec, rec)
    grid = np.linspace(lo, hi, 201)
    u = rec.x[t]
    f = tr.state_map_np(spec, grid[:, None], u)[:, 0]
    # visited states h_{-1} = 0, h_0, ..., h_t
    path = np.concatenate([[0.0], rec.h[:t + 1, 0]])
    labels = [verdict(lab, lang) for lab in fp.labels]
    return cf.cobweb_figure(grid, f, path, fp.points[:, 0], fp.stable, labels, t=t,
                            u_text=_u_text(u), x_range=(lo, hi), lang=lang)


def phase_plane(spec: tr.TinySpec, rec: tr.StepRecord, t: int, fp: tr.TinyFixedPoints,
                n_arrows: int = 15, n_null: int = 61, *, lang: str = "en"):
    """Phase plane of the H = 2 map for the input of step ``t``: vector field F(h, u) - h,
    nullclines F_i(h, u) = h_i, the trajectory up to step t, and the fixed points."""
    lo, hi = _box(spec, rec)
    u = rec.x[t]
    a = np.linspace(lo, hi, n_arrows)
    H1, H2 = np.meshgrid(a, a)
    pts = np.stack([H1.ravel(), H2.ravel()], -1)
    d = tr.state_map_np(spec, pts, u) - pts
    g = np.linspace(lo, hi, n_null)
    G1, G2 = np.meshgrid(g, g)
    gp = np.stack([G1.ravel(), G2.ravel()], -1)
    gd = (tr.state_map_np(spec, gp, u) - gp).reshape(n_null, n_null, 2)
    traj = np.concatenate([np.zeros((1, 2)), rec.h[:t + 1]])
    labels = [verdict(lab, lang) for lab in fp.labels]
    return cf.phase_figure(pts, d, g, gd[..., 0], gd[..., 1], traj, fp.points, fp.stable, labels,
                           t=t, u_text=_u_text(u), axis_range=(lo, hi), lang=lang)


def _u_text(u) -> str:
    return "u = (" + ", ".join(f"{v:.2f}" for v in np.atleast_1d(u)) + ")"


def fixed_point_rows(fp: tr.TinyFixedPoints, lang: str = "en") -> list[dict]:
    """A table of fixed points: the point, the eigenvalues of the Jacobian, the verdict (column
    headers and verdicts in ``lang``)."""
    cols = (text("cell.col.point", lang), text("cell.col.eigenvalues", lang), text("cell.col.max", lang),
            text("cell.col.verdict", lang))
    rows = []
    for p, e, lab in zip(fp.points, fp.eigenvalues, fp.labels):
        rows.append(dict(zip(cols, ("(" + ", ".join(f"{v:.3f}" for v in p) + ")",
                                    ", ".join(_cplx(z) for z in e), f"{np.abs(e).max():.3f}",
                                    verdict(lab, lang)))))
    return rows


def _cplx(z: complex) -> str:
    return f"{z.real:.3f}" if abs(z.imag) < 1e-9 else f"{z.real:.3f}{z.imag:+.3f}i"
