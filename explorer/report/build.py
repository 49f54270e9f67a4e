"""One self-contained HTML report of a run, with replays: ``build_report(record, lang) -> str``.

The report tells the story of a run from a ``RunRecord`` (explorer/report/record.py; the pages and
``python -m core.train --report`` both make one): settings and data, models, software and device,
a preset's pass/fail, loss and metric curves, then for each run the probe charts as replays over
its training history (trajectories in PCA, hidden state, ||dL/dh_t|| and its heatmap), the gates
of gated cells, page-specific charts (dynamics), and how to reproduce it: a link that reopens the
same settings in the app and a command line. The figures come from the app's own builders.
"""
from __future__ import annotations

import html
import json
import math
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

from core.analysis import PCABasis, project

from ..views import data_baselines as BV
from ..views import comparison as CV
from ..views import training_lab as LV
from ..figures import replay as R
from ..figures.common import PLOTLY_WHITE, cell_name
from ..app.i18n import has, normalize, text
from .document import chart, document
from .record import RunRecord, link


def task_title(task, lang: str) -> str:
    """The task's title in ``lang`` (as the dynamics page names it), else its registry name."""
    from ..views.dynamics import task_name
    return task_name(task, lang) or task.name

TRAJ_SEQUENCES = LV.TRAJ_SEQUENCES  # probe sequences drawn in a replayed trajectory chart


def _e(v) -> str:
    return html.escape(str(v))


def _fmt(v) -> str:
    """A setting or a result as text: floats short, booleans and None as words."""
    if isinstance(v, bool) or v is None:
        return {True: "✓", False: "—", None: "—"}[v]
    if isinstance(v, float):
        return "—" if not math.isfinite(v) else f"{v:.4g}"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    return str(v)


def _table(rows, header: tuple | None = None) -> str:
    out = ["<table>"]
    if header:
        out.append("<tr>" + "".join(f"<th>{_e(h)}</th>" for h in header) + "</tr>")
    for r in rows:
        cells = []
        for i, v in enumerate(r):
            num = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
            tag = "th" if (i == 0 and header is None) else "td"
            cells.append(f'<{tag}{" class=num" if num else ""}>{_e(_fmt(v))}</{tag}>')
        out.append("<tr>" + "".join(cells) + "</tr>")
    return "".join(out + ["</table>"])


def tx(key: str, lang: str, fallback: str) -> str:
    """``key``'s text in ``lang``, or ``fallback`` when the catalogue has no such key."""
    return text(key, lang) if has(key) else fallback


def _styled(fig, height: int = 460):
    """A figure on its own: plotly_white (the app leaves the template to Streamlit's theme).
    ``fig`` may be a live chart's plain dicts (``loss_figure(as_dict=True)``)."""
    if isinstance(fig, dict):
        fig = go.Figure(fig)
    fig.update_layout(template=PLOTLY_WHITE)
    if fig.layout.height is None:
        fig.update_layout(height=height + (120 if fig.layout.sliders else 0))
    return fig


class _Charts:
    """Numbers the charts of one report (ids "chart-0", "chart-1", ...)."""

    def __init__(self):
        self.n = 0

    def __call__(self, fig, *, wide: bool = False, height: int = 460) -> str:
        if fig is None:
            return ""
        self.n += 1
        return chart(_styled(fig, height), f"chart-{self.n - 1}", wide=wide)


# ---- sections ----------------------------------------------------------------------------------

def _summary(rec: RunRecord, lang: str) -> str:
    t = rec.task
    out = [f"<h2>{_e(text('report.h.settings', lang))}</h2>",
           _table([(tx(f"report.setting.{k}", lang, k), v) for k, v in rec.settings.items()])]
    out.append(f"<h3>{_e(text('report.h.data', lang))}</h3>")
    rows = [(text("report.data.task", lang), f"{task_title(t, lang)} ({t.name})"), (text("report.data.io", lang), t.io),
            (text("report.data.seq_len", lang), getattr(t, "seq_len", None)),
            (text("report.data.sizes", lang), f"{t.input_size} → {t.output_size}"),
            (text("report.data.loss", lang), t.loss_kind), (text("report.data.metric", lang), t.metric),
            (text("report.data.baseline_loss", lang), float(t.baseline_loss)),
            (text("report.data.baseline_metric", lang), float(t.baseline_metric))]
    if rec.data:
        d = rec.data
        rows += [(text("report.data.file", lang), f"{d.get('name', '')} ({d.get('format', '')}, {d.get('kind', '')})"),
                 (text("report.data.sequences", lang), d.get("n_sequences")),
                 (text("report.data.lengths", lang),
                  f"{d.get('min_length')} … {d.get('max_length')}"),
                 (text("report.data.channels", lang), ", ".join(map(str, d.get("channels", [])[:20])))]
        if d.get("classes"):
            rows.append((text("report.data.classes", lang), ", ".join(f"{k}: {v}" for k, v in d["classes"].items())))
    out.append(_table(rows))
    out.append(f"<h3>{_e(text('report.h.models', lang))}</h3>")
    head = tuple(text(f"report.model.{c}", lang) for c in
                 ("name", "cell", "hidden", "layers", "parameters", "status", "steps", "val_loss", "val_metric", "seconds"))
    rows = []
    for name, snap in rec.runs.items():
        m = rec.models[name]
        rows.append((name, cell_name(m["kind"], lang), m["hidden"], m["layers"], m["parameters"],
                     tx(f"jobs.status.{snap.status}", lang, snap.status), int(snap.step),
                     float(snap.val_loss[-1]) if len(snap.val_loss) else None,
                     float(snap.val_metric[-1]) if len(snap.val_metric) else None, round(float(snap.elapsed_s), 1)))
    out.append(_table(rows, head))
    out.append(f"<h3>{_e(text('report.h.env', lang))}</h3>")
    out.append(_table([(tx(f"report.env.{k}", lang, k), v) for k, v in rec.env.items()]))
    return "".join(out)


def _preset(rec: RunRecord, lang: str) -> str:
    if not rec.preset:
        return ""
    rows = []
    for desc, value, ok in rec.preset["checks"]:
        cls, word = ("pending", text("report.preset.pending", lang)) if ok is None else \
            (("pass", text("report.preset.pass", lang)) if ok else ("fail", text("report.preset.fail", lang)))
        rows.append(f'<tr><td>{_e(desc)}</td><td class="num">{_e(_fmt(value))}</td><td class="{cls}">{_e(word)}</td></tr>')
    head = "".join(f"<th>{_e(text(f'report.preset.{c}', lang))}</th>" for c in ("check", "measured", "result"))
    return (f"<h2>{_e(text('report.h.preset', lang, title=rec.preset['title']))}</h2>"
            f"<table><tr>{head}</tr>{''.join(rows)}</table>")


def _results(rec: RunRecord, lang: str) -> str:
    """The Training lab run's best step with its validation (and test) metric, its last step,
    and the baselines on the same data ("" on other pages)."""
    snap = rec.runs.get("lab") if rec.page == "training_lab" else None
    if snap is None:
        return ""
    m = rec.task.metric
    name = text(f"data.metric.{m}", lang) if m in ("accuracy", "mse") else m

    def v(x):
        return BV.value_text(m, x)
    out = [f"<h2>{_e(text('report.h.results', lang))}</h2>"]
    if not len(snap.val_steps):
        return "".join(out + [f"<p>{_e(text('report.result.none', lang))}</p>"])
    rows = []
    if snap.best_step is not None:
        rows += [(text("report.result.best_step", lang), int(snap.best_step)),
                 (text("report.result.val_at_best", lang, metric=name), v(snap.best_metric))]
        if snap.has_test:
            rows.append((text("report.result.test_at_best", lang, metric=name), v(snap.best_test_metric)))
    last = int(snap.val_steps[-1])
    if snap.has_test:
        rows.append((text("report.result.test_last", lang, metric=name, step=f"{last:,}"), v(snap.test_metric[-1])))
    else:
        rows.append((text("report.result.val_last", lang, metric=name, step=f"{last:,}"), v(snap.val_metric[-1])))
    b = rec.baselines
    if b is not None:
        rows += [(text(f"report.result.baseline_{b.held_out}", lang, name=BV.baseline_label(k, lang)),
                  BV.value_text(b.metric, val)) for k, val in b.values.items()]
    out.append(_table(rows))
    if snap.has_test:
        out.append(f'<p class="note">{_e(text("report.result.note_test", lang))}</p>')
    return "".join(out)


def _curves(rec: RunRecord, c: _Charts, lang: str) -> str:
    task = rec.task
    out = [f"<h2>{_e(text('report.h.curves', lang))}</h2>", '<div class="grid">']
    if rec.page == "comparison":
        out += [c(CV.loss_fig(rec.runs, task, lang=lang)), c(CV.metric_fig(rec.runs, task, lang=lang))]
    else:
        for snap in rec.runs.values():
            out.append(c(LV.loss_fig(snap, task, lang=lang), wide=LV.metric_is_loss(task)))
            if not LV.metric_is_loss(task):
                out.append(c(LV.metric_fig(snap, task, lang=lang)))
    return "".join(out + ["</div>"])


def replay_figures(snap, lang: str = "en", which: tuple = ("traj", "hidden", "grad", "gradmap")) -> dict:
    """The replayed probe charts of one run: name -> Figure, for the names in ``which`` ("traj",
    "hidden", "grad", "gradmap"); missing before the first probe."""
    figs = {}
    hist = snap.state_history
    if snap.basis is not None and hist and "traj" in which:
        k = min(2, snap.basis.components.shape[0])
        if k == 2:
            b = snap.basis
            basis = PCABasis(b.mean, b.components[:2], b.explained[:2], b.fit_on)
            figs["traj"] = R.trajectory_replay([s for s, _ in hist], [project(basis, h[:TRAJ_SEQUENCES]) for _, h in hist],
                                               explained=list(basis.explained), lang=lang)
    if snap.basis is not None and hist and "hidden" in which:
        figs["hidden"] = R.hidden_replay([s for s, _ in hist], [h[0] for _, h in hist], lang=lang)
    if len(snap.grad_rows) and "grad" in which:
        figs["grad"] = R.grad_curve_replay(snap.grad_rows_steps, snap.grad_rows, lang=lang)
    if len(snap.grad_rows) and "gradmap" in which:
        figs["gradmap"] = R.grad_heatmap_replay(snap.grad_rows_steps, snap.grad_rows, lang=lang)
    return figs


def _run(name: str, rec: RunRecord, c: _Charts, lang: str) -> str:
    snap, model = rec.runs[name], rec.models[name]
    who = cell_name(model["kind"], lang) if rec.page == "comparison" else ""
    out = [f"<h2>{_e(text('report.h.replay', lang, run=who).strip())}</h2>"]
    if snap.probe is None:
        return "".join(out + [f"<p>{_e(text('report.no_probe', lang))}</p>"])
    n = len(snap.state_history)
    out.append(f'<p class="note">{_e(text("report.replay_note", lang, frames=min(n, R.MAX_FRAMES), probes=n))}</p>')
    figs = replay_figures(snap, lang)
    out.append('<div class="grid">')
    out += [c(figs.get(k)) for k in ("traj", "hidden", "grad")]
    out.append(c(figs.get("gradmap"), wide=True))
    out.append("</div>")
    if snap.probe.gates:
        out.append(f"<h3>{_e(text('report.h.gates', lang, step=snap.probe.step))}</h3>")
        out.append('<div class="grid">')
        out += [c(CV.gate_heatmap_fig(model["kind"], snap, 0, lang=lang), wide=True),
                c(CV.gate_means_fig(model["kind"], snap, lang=lang))]
        out.append("</div>")
    return "".join(out)


def _reproduce(rec: RunRecord, lang: str) -> str:
    url = link(rec)
    out = [f"<h2>{_e(text('report.h.reproduce', lang))}</h2>"]
    if rec.base_url:
        out.append(f'<p>{_e(text("report.link_abs", lang))}<br><a href="{_e(url)}">{_e(url)}</a></p>')
    else:
        out.append(f"<p>{_e(text('report.link_rel', lang))}</p><pre>{_e(url)}</pre>")
    if rec.command:
        out.append(f"<p>{_e(text('report.command', lang))}</p><pre>{_e(rec.command)}</pre>")
    out.append(f"<p>{_e(text('report.same_numbers', lang))}</p>")
    payload = {"page": rec.page, "settings": rec.settings, "query": rec.query, "env": rec.env}
    out.append(f"<details><summary>{_e(text('report.settings_json', lang))}</summary>"
               f"<pre>{_e(json.dumps(payload, indent=1, ensure_ascii=False, default=str))}</pre></details>")
    return "".join(out)


def build_report(rec: RunRecord, lang: str = "en") -> str:
    """The report of ``rec`` as one HTML document (str) in ``lang`` ("en" or "ko")."""
    lang = normalize(lang)
    c = _Charts()
    page = text(f"nav.{rec.page}.title", lang) if has(f"nav.{rec.page}.title") else rec.page
    kinds = ", ".join(dict.fromkeys(cell_name(m["kind"], lang) for m in rec.models.values()))
    title = text("report.title", lang, page=page, cells=kinds, task=task_title(rec.task, lang))
    parts = [f"<h1>{_e(title)}</h1>",
             f'<p class="sub">{_e(text("report.subtitle", lang, created=rec.env.get("created", "")))}</p>',
             f'<p class="note">{_e(text("report.offline_note", lang))}</p>',
             _summary(rec, lang), _preset(rec, lang), _results(rec, lang), _curves(rec, c, lang)]
    parts += [_run(name, rec, c, lang) for name in rec.runs]
    if rec.extras:
        parts.append(f"<h2>{_e(text('report.h.extras', lang))}</h2>")
        for heading, fig in rec.extras:
            parts.append(f"<h3>{_e(heading)}</h3>" + c(fig, wide=True, height=560))
    parts.append(_reproduce(rec, lang))
    return document(title, "".join(parts), lang)


def write_report(record: RunRecord, path, lang: str = "en") -> int:
    """Write the report of ``record`` to ``path`` (the command line's ``--report``); returns its size in bytes."""
    data = build_report(record, lang).encode("utf-8")
    Path(path).write_bytes(data)
    return len(data)
