"""Logic of the Unrolled graph page (lecture note sections 3, 4, 5, 7), without Streamlit.

``graph_data`` runs one sequence through a model with ``core.trace`` (values, ||dL/dh_t|| and each
step's contribution to dL/dW_hh) and checks the contributions' sum against torch.autograd; the
backward chain of a bidirectional model and the decoder of an encoder-decoder, which the trace
does not report, get their gradients from autograd through ``core.unroll`` / ``core.cells.step``.
Everything is keyed by the node ids of ``core.graph.build_graph``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from core import build_model, get_task, trace
from core.cells import cell_weights, input_projection, step
from core.graph import Graph, build_graph
from core.unroll import unroll
from explorer.figures.common import cell_name
from explorer.app.i18n import has, text
from explorer.jobs.runs import UPLOAD_PREFIX

# A built-in task for each structure, so an untrained model has real inputs, targets and a loss.
STRUCTURE_TASKS = {
    "one-to-one": "one_to_one",
    "one-to-many": "waveform",
    "many-to-one": "adding",
    "many-to-many": "sine",
    "encoder-decoder": "reversal",
}
ATTENTION_TASK = "marked_recall"  # many-to-one with an attention head


def task_for(structure: str, T: int, attention: bool = False):
    """The built-in task that shows ``structure`` with T input steps."""
    name = ATTENTION_TASK if attention and structure == "many-to-one" else STRUCTURE_TASKS[structure]
    if name == "one_to_one":
        return get_task(name)
    return get_task(name, seq_len=max(2, int(T)))


def untrained_model(task, kind: str, hidden: int, bidirectional: bool, seed: int):
    """A freshly initialised model of the head the task needs."""
    return build_model(kind, task.input_size, hidden, task.output_size, head=task.head,
                       out_steps=task.out_steps, bidirectional=bidirectional, seed=seed)


def sample(task, seed: int):
    """One sequence (a Batch with B = 1) drawn with an explicit generator."""
    return task.sample(1, torch.Generator().manual_seed(int(seed)))


@dataclass
class GraphData:
    """Everything the page draws. Node dicts are keyed by ``core.graph.Node.id``."""

    graph: Graph
    kind: str  # cell kind
    loss: float  # the task loss of the sequence
    values: dict = field(default_factory=dict)  # node id -> vector (forward values)
    hover: dict = field(default_factory=dict)  # node id -> hover text
    grad: dict = field(default_factory=dict)  # node id -> ||dL/d node|| (h, h̃, s, ctx, y)
    contrib_norm: np.ndarray | None = None  # (T,) ||step t's share of dL/dW_hh||_F
    contrib_entry: np.ndarray | None = None  # (T,) step t's share of one entry of dL/dW_hh
    entry: tuple = (0, 0)  # (row, col) of that entry: the largest |autograd gradient|
    entry_label: str = ""  # e.g. "W_hh[1, 3]" or "W_hh (forget block)[2, 1]"
    autograd_entry: float = 0.0  # autograd's value of that entry
    autograd_norm: float = 0.0  # ||dL/dW_hh||_F from autograd
    sum_norm: float = 0.0  # ||Σ_t contributions||_F
    max_err: float = 0.0  # max over entries |Σ_t contributions − autograd|
    weight_name: str = "weight_hh_l0"  # the torch parameter compared
    notes: list = field(default_factory=list)  # sentences the page shows under the figure


def _vec_text(v, n: int = 6) -> str:
    v = np.atleast_1d(np.asarray(v, float)).reshape(-1)
    body = ", ".join(f"{a:.3f}" for a in v[:n])
    return f"[{body}{', …' if v.size > n else ''}] ({v.size})"


def _step_losses(task, out: torch.Tensor, y: torch.Tensor) -> list[float]:
    """Loss of each output step (for per-step and decoder outputs (B, T, O))."""
    res = []
    for t in range(out.shape[1]):
        with torch.no_grad():
            res.append(float(task.loss(out[:, t:t + 1], y[:, t:t + 1])))
    return res


def graph_data(model, task, batch, structure: str | None = None, *, lang: str = "en") -> GraphData:
    """Forward values, gradients and the W_hh accumulation of ``model`` on one sequence.

    Args:
        model: a ``SeqModel`` (any cell, head, layers; the graph shows the last layer).
        task: its task (gives the loss; ``task.io`` the structure unless ``structure`` is given).
        batch: a Batch with B = 1.
        structure: override of the I/O structure.
        lang: language of the hover texts, notes and entry label ("en", "ko").
    Returns:
        a ``GraphData``.
    """
    model = model.cpu() if next(model.parameters()).device.type != "cpu" else model
    x, y, lengths = batch.x.cpu(), batch.y.cpu(), getattr(batch, "lengths", None)
    if lengths is not None:  # one sequence: cut it to its length
        n = int(lengths[0])
        x = x[:, :n]
        if task.head == "per_step":
            y = y[:, :n]
        lengths = None
    cfg = model.config
    B, T, _ = x.shape
    L = cfg.num_layers
    structure = structure or task.io
    attention = cfg.head == "attention"
    tr = trace(model, x, y, task, grad_h=True, contributions=True)
    out = torch.as_tensor(tr.output)
    out_steps = out.shape[1] if cfg.head == "encoder_decoder" else None
    g = build_graph(structure, T, out_steps=out_steps, bidirectional=cfg.bidirectional,
                    attention=attention and structure == "many-to-one")
    d = GraphData(g, cfg.kind, tr.loss)
    ids = {n.id for n in g.nodes}

    # dL/d output, through the task loss
    out_leaf = out.clone().requires_grad_(True)
    with torch.enable_grad():
        (dy,) = torch.autograd.grad(task.loss(out_leaf, y), out_leaf)

    for t in range(T):
        if f"x{t}" in ids:
            d.values[f"x{t}"] = x[0, t].numpy()
            d.hover[f"x{t}"] = f"x_{t} = {_vec_text(x[0, t])}"
        if f"h{t}" in ids:
            d.values[f"h{t}"] = tr.hidden[0, t]
            d.grad[f"h{t}"] = float(np.linalg.norm(tr.grad_h[0, t]))
            extra = f"<br>c_{t} = {_vec_text(tr.cell[0, t])}" if tr.cell is not None else ""
            d.hover[f"h{t}"] = (f"h_{t} = {_vec_text(tr.hidden[0, t])}{extra}"
                                f"<br>‖∂L/∂h_{t}‖ = {d.grad[f'h{t}']:.3g}")
        if f"hb{t}" in ids:
            d.values[f"hb{t}"] = tr.hidden_backward[0, t]
    if cfg.bidirectional:
        gb = _backward_chain_grads(model, x, y, task)
        for t in range(T):
            if f"hb{t}" in ids:
                d.grad[f"hb{t}"] = gb[t]
                d.hover[f"hb{t}"] = text("graph.hover.hb", lang, t=t, v=_vec_text(tr.hidden_backward[0, t]),
                                         g=gb[t])

    # outputs and losses
    if cfg.head in ("per_step", "encoder_decoder"):
        losses = _step_losses(task, out, y)
        for t in range(out.shape[1]):
            d.values[f"y{t}"] = out[0, t].numpy()
            d.grad[f"y{t}"] = float(dy[0, t].norm())
            d.values[f"L{t}"] = np.array([losses[t]])
    else:
        last = T - 1
        d.values[f"y{last}"] = out[0].numpy()
        d.grad[f"y{last}"] = float(dy[0].norm())
        d.values[f"L{last}"] = np.array([tr.loss])
    for nid in list(d.values):
        if nid[0] == "y":
            d.hover[nid] = f"y = {_vec_text(d.values[nid])}<br>‖∂L/∂y‖ = {d.grad[nid]:.3g}"
        elif nid[0] == "L":
            d.hover[nid] = text("graph.hover.loss", lang, loss=float(d.values[nid][0]), total=tr.loss)

    if cfg.head == "encoder_decoder":
        s_val, s_grad = _decoder_states(model, x, y, task)
        for k in range(len(s_val)):
            d.values[f"s{k}"] = s_val[k]
            d.grad[f"s{k}"] = s_grad[k]
            d.hover[f"s{k}"] = text("graph.hover.s", lang, k=k, v=_vec_text(s_val[k]), g=s_grad[k])
    if attention and tr.attention is not None:
        a = tr.attention[0]
        states = tr.hidden[0] if tr.hidden_backward is None else np.concatenate(
            [tr.hidden[0], tr.hidden_backward[0]], -1)
        ctx = (a[:, None] * states).sum(0)
        S = states.shape[1]
        w_ctx = model.readout.out.weight.detach()[:, :S]
        d.values["ctx"] = ctx
        d.grad["ctx"] = float((dy[0] @ w_ctx).norm())
        top = np.argsort(-a)[:3]
        d.hover["ctx"] = text("graph.hover.ctx", lang, v=_vec_text(ctx),
                              top=", ".join(f"α_{i} = {a[i]:.2f}" for i in top))
    # a gap node stands for the first state it hides: the one its incoming edge feeds
    full = {"h": [float(np.linalg.norm(tr.grad_h[0, t])) for t in range(T)]}
    if cfg.bidirectional:
        full["hb"] = gb
    if cfg.head == "encoder_decoder":
        full["s"] = s_grad
    for n in g.nodes:
        if n.kind != "gap":
            continue
        chain = n.id[4:]
        shown = list(g.shown_out_steps if chain == "s" else g.shown_steps)
        i = next(i for i in range(1, len(shown)) if shown[i] != shown[i - 1] + 1)
        before, after = shown[i - 1], shown[i]
        hidden_step = after - 1 if chain == "hb" else before + 1
        d.grad[n.id] = float(full[chain][hidden_step])
        d.hover[n.id] = text("graph.hover.gap", lang, first=before + 1, last=after - 1)

    _accumulation(d, model, x, y, task, tr, lang)
    if L > 1:
        d.notes.append(text("graph.note_layers", lang, n=L))
    return d


def _backward_chain_grads(model, x, y, task) -> list[float]:
    """||dL/dh̃_t|| of the last layer's backward chain, by autograd through core.unroll."""
    L = model.config.num_layers
    with torch.enable_grad():
        u = unroll(model.rnn, x)
        out, _ = model.head_forward(u.output_btd, u.h_n, u.c_n, None, n_steps=x.shape[1])
        loss = task.loss(out, y)
        hb = u.hidden[L - 1][1]
        gs = torch.autograd.grad(loss, hb, allow_unused=True)
    return [0.0 if gv is None else float(gv.norm()) for gv in gs]


def _decoder_states(model, x, y, task):
    """Decoder states s_k (top layer) and ||dL/ds_k||, stepping ``model.decoder`` with
    ``core.cells.step`` from the encoder's final state as ``SeqModel.head_forward`` does."""
    c = model.config
    L, D, H = c.num_layers, (2 if c.bidirectional else 1), c.hidden_size
    with torch.enable_grad():
        _, h_n, c_n = model.encode(x)
        B = x.shape[0]
        h0 = h_n.view(L, D, B, H).sum(1)
        c0 = c_n.view(L, D, B, H).sum(1) if c_n is not None else None
        steps = c.out_steps or x.shape[1]
        inp = x.new_ones(B, steps, 1)
        for layer in range(L):
            w = cell_weights(model.decoder, layer)
            xi = input_projection(w, inp)
            h, cc = h0[layer], (c0[layer] if c0 is not None else None)
            hs = []
            for k in range(steps):
                h, cc, _, _ = step(w, xi[:, k], h, cc)
                hs.append(h)
            inp = torch.stack(hs, 1)
        loss = task.loss(model.readout(inp), y)
        gs = torch.autograd.grad(loss, hs)
    return [h.detach()[0].numpy() for h in hs], [float(gv.norm()) for gv in gs]


def _accumulation(d: GraphData, model, x, y, task, tr, lang: str = "en") -> None:
    """Each step's share of dL/dW_hh (from the trace) against torch.autograd's gradient."""
    L = model.config.num_layers
    name = f"weight_hh_l{L - 1}"
    W = getattr(model.rnn, name)
    with torch.enable_grad():
        loss = task.loss(model(x), y)
        (gw,) = torch.autograd.grad(loss, W)
    gw = gw.detach().numpy().astype(np.float64)
    contrib = tr.whh_contrib.astype(np.float64)  # (T, G*H, H)
    total = contrib.sum(0)
    i, j = np.unravel_index(int(np.abs(gw).argmax()), gw.shape)
    H = model.config.hidden_size
    blocks = {"lstm": ("input", "forget", "cell", "output"), "gru": ("reset", "update", "new")}.get(d.kind)
    d.entry = (int(i), int(j))
    if blocks:
        block = blocks[i // H]
        d.entry_label = text("graph.entry_block", lang, block=text(f"graph.block.{block}", lang),
                             i=i % H + 1, j=j + 1)
    else:
        d.entry_label = f"W_hh[{i + 1}, {j + 1}]"
    d.contrib_norm = tr.whh_contrib_norm
    d.contrib_entry = contrib[:, i, j]
    d.autograd_entry = float(gw[i, j])
    d.autograd_norm = float(np.linalg.norm(gw))
    d.sum_norm = float(np.linalg.norm(total))
    d.max_err = float(np.abs(total - gw).max())
    d.weight_name = name


def edge_grads(d: GraphData) -> list[float | None]:
    """Backward mode: the gradient an edge carries back, ||dL/d(the node it feeds)|| (for the
    loss edges, ||dL/dy||), aligned with ``d.graph.edges``."""
    out = []
    for e in d.graph.edges:
        if e.weight == "loss":
            out.append(d.grad.get(e.src))
        else:
            out.append(d.grad.get(e.dst, d.grad.get(e.src)))
    return out


def node_colors(d: GraphData, mode: str) -> dict:
    """Colour value of each node: the mean of its vector (forward), ||dL/d node|| (backward)."""
    if mode == "backward":
        return {k: v for k, v in d.grad.items() if np.isfinite(v)}
    return {k: float(np.mean(v)) for k, v in d.values.items() if not k.startswith("L")}


def accumulation_text(d: GraphData, lang: str = "en") -> str:
    """The check, in one line: the sum of the per-step shares equals autograd's gradient."""
    return text("graph.accumulation", lang, weight=d.weight_name, sum=d.sum_norm, auto=d.autograd_norm,
                err=d.max_err)


def structure_label(structure: str, lang: str = "en") -> str:
    """An I/O structure ("many-to-one", ...) in words."""
    return text(f"tasks.io.{structure}", lang)


def cell_label(kind: str, lang: str = "en") -> str:
    """A cell kind ("rnn", "lstm", "gru") in words."""
    return cell_name(kind, lang)


def task_label(name: str, io: str, lang: str = "en") -> str:
    """A task's menu title with its structure, e.g. "Adding problem (many-to-one)"; an uploaded
    data set (a name the catalogue does not know) by its name."""
    if name.startswith(UPLOAD_PREFIX):
        return text("widgets.uploaded", lang, name=name[len(UPLOAD_PREFIX):])
    if not has(f"tasks.{name}.title"):
        return name
    return f"{text(f'tasks.{name}.title', lang)} ({structure_label(io, lang)})"


def graph_title(d: GraphData, lang: str = "en") -> str:
    """The figure title: the structure, T, the remedies drawn and the loss."""
    g = d.graph
    parts = [f"{structure_label(g.structure, lang)}, T = {g.T}"]
    if g.bidirectional:
        parts.append(text("graph.title_bidir", lang))
    if g.attention:
        parts.append(text("graph.title_attn", lang))
    return "".join(parts) + text("graph.title_loss", lang, loss=d.loss)
