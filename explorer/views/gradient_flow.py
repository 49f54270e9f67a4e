"""Page logic of the Gradient flow lab: engine calls and figure choices, no Streamlit calls.

The page caches the heavy functions here (``untrained_flows``, ``untrained_jacobians``,
``lab_jacobians``, ``cliff_data``) in the server's byte-bounded store (explorer.app.cache), keyed by
their hashable arguments; they return numbers, not text. Every function that returns text or figures takes ``lang`` (catalogue tables
``gradient`` and ``fig.gradients``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from core import cliff as GC
from core import gradients as G
from core.flow_training import FlowTraining, trained_flow_model
from core.models import model_from_config
from core.tasks import Batch

from ..figures import clipping as FC
from ..figures import gradients as FG
from ..figures.common import CELL_COLORS
from ..app.i18n import text
from ..app import settings as ST
from ..app import state

KINDS = ST.options(state.GF_CELLS)
# The page's sections: widget values (state.GF_TAB; kept as they were, URLs hold them) -> catalogue
# key under gradient.view
VIEW_KEYS = dict(zip(ST.options(state.GF_TAB), ("flow", "jacobians", "clipping", "cliff")))
VIEWS = tuple(VIEW_KEYS)
# where the measured models come from; labels: gradient.source.<key>. "trained": the settings' models
# after core.flow_training's short training on the adding problem (cached per setting by the page)
SOURCES = ST.options(state.GF_SOURCE)  # labels: gradient.source.<key>
TRAINING = FlowTraining()  # the "trained" source's recipe
LAB_BATCH = 8  # held-out sequences the lab model's gradient is measured on


# ---- gradient flow -----------------------------------------------------------------------------

def untrained_flows(setup: G.FlowSetup, kinds: tuple[str, ...]) -> dict[str, G.Flow]:
    """The flow of each cell kind, same settings and same batch (the cell kind of ``setup`` ignored)."""
    out = {}
    for kind in kinds:
        s = replace(setup, kind=kind)
        out[kind] = G.gradient_flow(G.flow_model(s), G.flow_task(s), G.flow_batch(s))
    return out


def trained_models(setup: G.FlowSetup, kinds: tuple[str, ...]) -> dict:
    """kind -> (model, final training loss): each cell of ``setup`` after the ``TRAINING`` recipe."""
    return {k: trained_flow_model(replace(setup, kind=k), TRAINING) for k in kinds}


def model_flows(models: dict, setup: G.FlowSetup) -> dict[str, G.Flow]:
    """The flow of each model (kind -> (model, loss) from ``trained_models``) on the setup's batch."""
    return {k: G.gradient_flow(m, G.flow_task(setup), G.flow_batch(setup)) for k, (m, _) in models.items()}


def model_jacobians(models: dict, setup: G.FlowSetup, flows: dict[str, G.Flow], steps: int) -> "JacobianData":
    """``jacobian_data`` of the trained models on sequence 0 of the setup's batch."""
    x = G.flow_batch(setup).x[0]
    return jacobian_data({k: (m, x) for k, (m, _) in models.items()}, flows, steps)


def trained_note(losses: dict[str, float], lang: str = "en") -> str:
    """The caption under a trained setting's chart: the recipe and each cell's final training loss."""
    tr = TRAINING
    shown = ", ".join(f"{FG.CELL_NAMES[k]} {v:.3g}" for k, v in losses.items())
    return text("gradient.trained_note", lang, steps=tr.steps, T=tr.task_len, lr=tr.lr, batch=tr.batch_size,
                losses=shown)


@dataclass
class LabSource:
    """A frozen copy of the Training lab's model and a held-out batch of its task."""

    model: object  # SeqModel, a copy (the training thread keeps its own)
    task: object  # core Task
    batch: Batch  # LAB_BATCH held-out sequences
    step: int  # training step the copy was taken at
    label: str  # one line for the page


def lab_source(job, lang: str = "en") -> LabSource:
    """Copy the lab job's model (config + weights) and take a held-out batch of its task."""
    tr = job.trainer
    src = tr.model
    model = model_from_config(src.config)
    with job.locked():  # the weights and the step they are from, together
        model.load_state_dict({k: v.detach().cpu().clone() for k, v in src.state_dict().items()})
        step = job.model_step
    vb = tr.validation_batch(256)
    n = min(LAB_BATCH, vb.x.shape[0])
    batch = Batch(vb.x[:n].cpu(), vb.y[:n].cpu(), None if vb.lengths is None else vb.lengths[:n].cpu())
    c = src.config
    act = f", {c.nonlinearity}" if c.kind == "rnn" else ""
    label = text("gradient.lab_label", lang, cell=FG.CELL_NAMES[c.kind], act=act, hidden=c.hidden_size,
                 layers=c.num_layers, task=tr.task.name, T=batch.x.shape[1], steps=step)
    return LabSource(model, tr.task, batch, step, label)


def lab_flow(src: LabSource) -> dict[str, G.Flow]:
    return {src.model.config.kind: G.gradient_flow(src.model, src.task, src.batch)}


def fits(flows: dict[str, G.Flow]) -> dict[str, G.DecayFit]:
    return {k: G.fit_decay(f.grad_norm) for k, f in flows.items()}


def _fit_line(g: np.ndarray, fit: G.DecayFit):
    """(slope, intercept) in log10 units of the fitted line, for the figure."""
    if not math.isfinite(fit.decades_per_100):
        return None
    t = np.arange(fit.t_first, fit.t_last + 1)
    lg = np.log10(np.asarray(g, np.float64)[t])
    ok = np.isfinite(lg)
    s = -fit.decades_per_100 / 100.0
    a = float(np.mean(lg[ok] - s * t[ok]))
    return s, a, fit.t_first, fit.t_last


def verdict_text(fit: G.DecayFit, lang: str = "en") -> str:
    return text(f"gradient.verdict.{fit.verdict}", lang)


def reason_text(fit: G.DecayFit, lang: str = "en") -> str:
    """The fit's reason in ``lang`` (in English the same words as ``fit.reason``)."""
    return text(f"gradient.reason.{fit.reason_code}", lang, factor=fit.factor, limit=10 ** G.DECADES_PER_100)


def badge_text(kind: str, fit: G.DecayFit, lang: str = "en") -> str:
    rate = (text("gradient.badge_rate", lang, rate=fit.rate) if math.isfinite(fit.rate) and fit.rate > 0
            else "")
    return f"{FG.CELL_NAMES[kind]}: {verdict_text(fit, lang)}" + (f" ({rate})" if rate else "")


def flow_fig(flows: dict[str, G.Flow], fts: dict[str, G.DecayFit], show_bound: bool = True,
             lang: str = "en"):
    """The main figure: curves, fitted lines, the Pascanu bound for a vanilla RNN, badges."""
    grads = {k: f.grad_norm for k, f in flows.items()}
    lines = {k: ln for k in flows if (ln := _fit_line(flows[k].grad_norm, fts[k])) is not None}
    bound, label = None, ""
    rnn = flows.get("rnn")
    if show_bound and rnn is not None and rnn.eta is not None and rnn.many_to_one:
        g_end = float(rnn.grad_norm[-1])
        if math.isfinite(g_end) and g_end > 0:
            bound = G.pascanu_bound(g_end, rnn.eta, rnn.grad_norm.size)
            label = text("gradient.bound_label", lang, eta=rnn.eta)
    badges = [(k, fts[k].verdict, badge_text(k, fts[k], lang)) for k in flows]
    return FG.flow_figure(grads, fits=lines, bound_log10=bound,
                          bound_label=label or text("fig.gradients.bound_short", lang), badges=badges,
                          lang=lang)


def overflow_notes(flows: dict[str, G.Flow], lang: str = "en") -> list[str]:
    """A warning per cell whose forward pass overflowed (loss not finite: every gradient is NaN)."""
    return [text("gradient.overflow", lang, cell=FG.CELL_NAMES[k])
            for k, f in flows.items() if not math.isfinite(f.loss)]


def _fmt(v: float) -> str:
    return "—" if v is None or not math.isfinite(v) else f"{v:.3g}"


def flow_table(flows: dict[str, G.Flow], fts: dict[str, G.DecayFit], lang: str = "en") -> list[dict]:
    """One row per cell: end and start gradient, fitted rate, change per 100 steps, verdict.

    Column headers and the verdict and its reason are in ``lang``.
    """
    col = {c: text(f"gradient.table.{c}", lang) for c in ("cell", "end", "start", "rate", "change",
                                                          "verdict", "why")}
    rows = []
    for k, f in flows.items():
        ft = fts[k]
        rows.append({
            col["cell"]: FG.CELL_NAMES[k],
            col["end"]: _fmt(float(f.grad_norm[-1])),
            col["start"]: _fmt(float(f.grad_norm[0])),
            col["rate"]: _fmt(ft.rate),
            col["change"]: _fmt(ft.decades_per_100),
            col["verdict"]: verdict_text(ft, lang),
            col["why"]: reason_text(ft, lang),
        })
    return rows


def theory_lines(rnn: G.Flow | None, nonlinearity: str, init: str, rho: float | None,
                 hidden: int | None = None, lang: str = "en") -> list[str]:
    """What Pascanu et al. predict for this vanilla RNN, and how the measurement compares."""
    def tx(key, **values):
        return text(f"gradient.theory.{key}", lang, **values)

    if rnn is None or rnn.sigma_max is None:
        return [tx("no_rnn")]
    out = [tx("eta", radius=rnn.radius, sigma=rnn.sigma_max, eta=rnn.eta)]
    if nonlinearity == "linear":
        out.append(tx("linear_vanish") if rnn.radius < 1 else
                   tx("linear_explode") if rnn.radius > 1 else tx("linear_border"))
    else:
        out.append(tx("sufficient", act=nonlinearity) if rnn.sigma_max < 1 else tx("not_sufficient"))
    if nonlinearity == "relu" and init == "random":
        out.append(tx("relu_random", value=f" = {rnn.radius / math.sqrt(2):.3g}" if rnn.radius else ""))
    if init == "random" and rho is not None:
        out.append(tx("circular", sigma=rnn.sigma_max, radius=rnn.radius))
    return out


# ---- Jacobians ---------------------------------------------------------------------------------

def jacobian_plan(seq_len: int, hidden: int, kinds: tuple[str, ...],
                  lang: str = "en") -> tuple[int, tuple[str, ...], str]:
    """(steps, cells, note): the Jacobian view's budget (JACOBIAN_MAX_STEPS, JACOBIAN_MAX_STATE)."""
    steps = min(int(seq_len), G.JACOBIAN_MAX_STEPS)
    ok = tuple(k for k in kinds if (2 if k == "lstm" else 1) * hidden <= G.JACOBIAN_MAX_STATE)
    notes = []
    if steps < seq_len:
        notes.append(text("gradient.jacobian.first_steps", lang, steps=steps, T=seq_len, last=steps - 1))
    left = [FG.CELL_NAMES[k] for k in kinds if k not in ok]
    if left:
        notes.append(text("gradient.jacobian.left_out", lang, cells=", ".join(left),
                          max=G.JACOBIAN_MAX_STATE, H=hidden))
    note = text("gradient.jacobian.limited", lang, notes="; ".join(notes)) if notes else ""
    return steps, ok, note


@dataclass
class JacobianData:
    """Per cell: the Jacobian view and, for LSTM/GRU, the gate products (log10, (T', H))."""

    views: dict  # kind -> core.gradients.JacobianView
    gates: dict  # kind -> (T', H) log10 prod of the direct-path gate


def jacobian_data(models_and_x: dict, flows: dict[str, G.Flow], steps: int) -> JacobianData:
    """Jacobian views of sequence 0 and the gate products from the same trajectory.

    Args:
        models_and_x: kind -> (model, x_tf (T, F)).
        flows: kind -> Flow (its gates give the products).
        steps: how many steps to use.
    """
    views, gates = {}, {}
    for kind, (model, x) in models_and_x.items():
        views[kind] = G.jacobian_view(model, x, steps)
        gp = G.gate_products(flows[kind].gates, kind, steps) if kind in flows else None
        if gp is not None:
            gates[kind] = gp
    return JacobianData(views, gates)


def untrained_jacobians(setup: G.FlowSetup, kinds: tuple[str, ...], steps: int) -> JacobianData:
    flows = untrained_flows(setup, kinds)
    mx = {}
    for k in kinds:
        s = replace(setup, kind=k)
        mx[k] = (G.flow_model(s), G.flow_batch(s).x[0])
    return jacobian_data(mx, flows, steps)


def lab_jacobians(src: LabSource, flows: dict[str, G.Flow], steps: int) -> JacobianData:
    """The Jacobian view of the lab model on its first held-out sequence (unpadded)."""
    x = src.batch.x[0]
    if src.batch.lengths is not None:
        x = x[: int(src.batch.lengths[0])]
    return jacobian_data({src.model.config.kind: (src.model, x)}, flows, steps)


def product_fig(jd: JacobianData, lang: str = "en"):
    """||J product|| per cell (solid) and the direct-path gate products (dashed: max unit)."""
    products, styles = {}, {}
    for kind, v in jd.views.items():
        name = f"{FG.CELL_NAMES[kind]}: ||∏ ∂s_k/∂s_(k−1)||"
        products[name] = v.log10_product
        styles[name] = (CELL_COLORS[kind], "solid")
    for kind, lg in jd.gates.items():
        gate = text(f"gradient.gate.{kind}", lang)  # only LSTM and GRU have gate products
        name = text("gradient.product_most_open", lang, cell=FG.CELL_NAMES[kind], gate=gate)
        products[name] = lg.max(axis=1)
        styles[name] = (CELL_COLORS[kind], "dash")
        name = text("gradient.product_mean", lang, cell=FG.CELL_NAMES[kind], gate=gate)
        with np.errstate(divide="ignore"):
            products[name] = np.log10(np.mean(10.0 ** lg, axis=1))
        styles[name] = (CELL_COLORS[kind], "dot")
    return FG.product_figure(products, styles=styles, lang=lang)


def singular_fig(jd: JacobianData, lang: str = "en"):
    return FG.singular_value_figure({k: v.singular_values for k, v in jd.views.items()}, lang=lang)


# ---- clipping and the cliff --------------------------------------------------------------------

def clipping_figs(r: G.ClipResult, lang: str = "en"):
    return FC.clipping_figures(r.steps, r.loss_plain, r.loss_clip, r.grad_plain, r.grad_clip, r.clip,
                               baseline=r.baseline_loss, lang=lang)


def clipping_summary(r: G.ClipResult) -> dict:
    """Numbers the page shows under the clipping figures."""
    def tail(a):
        a = a[np.isfinite(a)][-20:]
        return float(np.mean(a)) if a.size else math.nan
    return {"loss_plain": tail(r.loss_plain), "loss_clip": tail(r.loss_clip),
            "max_grad_plain": float(np.nanmax(np.where(np.isfinite(r.grad_plain), r.grad_plain, np.nan)))
            if np.isfinite(r.grad_plain).any() else math.inf,
            "clipped_steps": int(np.sum(r.grad_clip > r.clip)), "diverged_plain": r.diverged_plain,
            "seconds": r.seconds}


CLIFF_W = ST.bounds(state.GF_CLIFF_W0)  # w range of the surface: where a path may start
CLIFF_B = ST.bounds(state.GF_CLIFF_B0)  # b range
CLIFF_GRID = 161  # points per axis (161^2 floats: well under 1 MB)


@dataclass
class CliffData:
    w: np.ndarray  # (n,) grid
    b: np.ndarray  # (n,) grid
    loss: np.ndarray  # (n, n) rows b
    plain: GC.DescentPath  # gradient descent without clipping
    clipped: GC.DescentPath  # with clipping


def cliff_data(sigma: str, w0: float, b0: float, lr: float, steps: int, clip: float) -> CliffData:
    setup = GC.CliffSetup(sigma=sigma)
    w = np.linspace(*CLIFF_W, CLIFF_GRID)
    b = np.linspace(*CLIFF_B, CLIFF_GRID)
    return CliffData(w, b, GC.cliff_surface(w, b, setup),
                     GC.cliff_descent(w0, b0, lr, steps, None, setup),
                     GC.cliff_descent(w0, b0, lr, steps, clip, setup))


def cliff_figs(cd: CliffData, lang: str = "en"):
    plain = text("fig.gradients.no_clip", lang)
    clipped = text("fig.gradients.clipped_at", lang, clip=cd.clipped.clip)
    colors = {plain: FG.PLAIN_COLOR, clipped: FG.CLIPPED_COLOR}
    surf = FC.cliff_figure(cd.w, cd.b, cd.loss, {plain: cd.plain.wb, clipped: cd.clipped.wb}, colors=colors,
                           lang=lang)
    lossf = FC.path_loss_figure({plain: cd.plain.loss, clipped: cd.clipped.loss}, colors=colors, lang=lang)
    return surf, lossf


def largest_jump(p: GC.DescentPath) -> tuple[float, int]:
    """(length, step) of the longest single step of a path."""
    if len(p.wb) < 2:
        return 0.0, 0
    d = np.linalg.norm(np.diff(p.wb, axis=0), axis=1)
    k = int(np.argmax(d))
    return float(d[k]), k
