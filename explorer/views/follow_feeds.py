"""What class-mode followers see of each page that trains: one ``Feed`` per page turns the
lecturer's jobs into a room's ``Frame`` (serialised charts). No Streamlit.

Feeds run in the room's publisher thread (``explorer.jobs.rooms``), once per language that followers
read, never in a follower's refresh. Each builds only what changed: the curves when the step moved
(at most every ``CURVE_S`` seconds), the probe charts when a probe arrived, the run started or
stopped, or the lecturer changed a shared view option. The charts are the lecturer page's own
builders (``training_lab``, ``comparison``, ``dynamics`` here); when a run is not training, the
Training lab's trajectory and hidden-state charts become replays whose slider each follower moves
in their own browser (the lab's history scrub, at no cost to the server).
"""
from __future__ import annotations

import json

from core.compare import CELLS

from . import comparison as CV
from . import dynamics as DV
from . import training_lab as LV
from ..figures.live import live_spec
from ..figures.training import loss_figure
from ..app.i18n import text
from ..jobs.rooms import Frame

CURVE_S = 0.9  # seconds between rebuilds of the curves (followers refresh about once a second)
PROBE_S = 3.0  # seconds between rebuilds of the probe charts (the lecturer's page: 1 s). Each build costs the
# lecturer's training some of its GIL time: with 60 followers in two languages, py-spy --gil found the
# publisher's builds holding the GIL about a third of the time at 2 s
LAB_JOB = "lab"  # the Training lab's job name on the lecturer's board
SAMPLE_PROMPT, SAMPLE_CHARS = "Shall I", 200  # the character model's sample, as the lab draws it


def _specs(figs: dict) -> dict:
    return {k: live_spec(f) for k, f in figs.items() if f is not None}


def _rows(specs: dict, rows: tuple) -> tuple:
    """The rows, keeping only the charts that exist."""
    kept = (tuple(k for k in row if k in specs) for row in rows)
    return tuple(r for r in kept if r)


def _groups(specs: dict, layout: tuple, prev: Frame | None) -> tuple:
    """(name, UTF-8 JSON bytes) per group of ``layout`` ((name, rows), ...) that has charts; a group
    whose charts did not change keeps the previous frame's bytes object. Bytes, not text: Streamlit
    forwards a component's bytes as they are, where a str inside a dict is JSON-escaped and hashed
    again for every follower on every refresh."""
    old = dict(prev.groups) if prev is not None else {}
    out = []
    for name, rows in layout:
        rows = _rows(specs, rows)
        if not rows:
            continue
        group = {"rows": rows, "specs": {k: specs[k] for row in rows for k in row}}
        data = json.dumps(group, separators=(",", ":")).encode()
        out.append((name, old[name] if old.get(name) == data else data))
    return tuple(out)


class _Build:
    """Bookkeeping shared by the feeds: what the previous frame was built from, and what is due now
    (curves when the steps moved, probe charts when their key changed; each at most every
    ``CURVE_S`` / ``PROBE_S`` seconds, and at once for a new run or a new status)."""

    def __init__(self, room, prev: Frame | None, ident: tuple, steps: tuple, statuses: tuple, probe_key: tuple):
        same = prev is not None and prev.keys.get("ident") == ident
        k = prev.keys if same else {}
        now = room.now()  # the room's clock (tests step it by hand)
        new_status = k.get("statuses") != statuses
        self.prev, self.now = prev, now
        self.curves = not same or new_status or (k.get("steps") != steps and now - k.get("curves_t", 0.0) >= CURVE_S)
        self.probes = not same or new_status or (k.get("probe") != probe_key
                                                 and now - k.get("probes_t", 0.0) >= PROBE_S)
        self.specs = dict(prev.specs) if same else {}
        self.texts = dict(prev.texts) if same else {}
        self.keys = dict(k, ident=ident)
        self.probe_key = probe_key  # what the probe charts are built from (a feed may set what it drew)
        self._steps, self._statuses = steps, statuses

    @property
    def nothing(self) -> bool:
        return not (self.curves or self.probes)

    def frame(self, layout: tuple) -> Frame:
        if self.curves:
            self.keys.update(steps=self._steps, statuses=self._statuses, curves_t=self.now)
        if self.probes:
            self.keys.update(probe=self.probe_key, probes_t=self.now)
        version = self.prev.version + 1 if self.prev is not None else 1
        rows = _rows(self.specs, tuple(r for _, group in layout for r in group))
        return Frame(rows, self.specs, _groups(self.specs, layout, self.prev), self.texts, self.keys, version)


def _empty(prev: Frame | None) -> Frame:
    """No run under the shared name (yet, or the lecturer reset it)."""
    if prev is not None and prev.keys.get("ident") is None:
        return prev
    return Frame(keys={"ident": None}, version=prev.version + 1 if prev is not None else 1)


# ---- Training lab -------------------------------------------------------------------------------

def lab_feed(room, lang: str, prev: Frame | None) -> Frame:
    """The Training lab: loss (and metric), predictions or sampled text, trajectories, hidden
    state, gradient norms and their history."""
    job = room.jobs().get(LAB_JOB)
    if job is None:
        return _empty(prev)
    p = job.progress()
    dims = 3 if room.view.get("dims") == 3 else 2
    b = _Build(room, prev, (job.id,), (p.step,), (p.status,), (p.probe_step, p.active, dims))
    if b.nothing:
        return prev
    snap, task = room.snapshot(job), job.trainer.task
    if b.curves:
        b.specs["loss"] = live_spec(LV.loss_fig(snap, task, lang=lang))
        if not LV.metric_is_loss(task):
            b.specs["metric"] = live_spec(LV.metric_fig(snap, task, lang=lang))
    if b.probes and snap.probe is not None:
        figs = LV.probe_figures(snap, task, -1, dims, {}, job.id, lang=lang)
        if not snap.active and len(snap.state_history) > 1:  # each reader scrubs the history in the browser
            from ..report.build import replay_figures
            figs.update(replay_figures(snap, lang, which=("traj", "hidden") if dims == 2 else ("hidden",)))
        if task.name == "char_lm":
            from core.generate import generate_text
            figs.pop("pred", None)
            b.texts["sample"] = text("lab.sampled_text", lang, step=snap.probe.step) + "\n\n" + generate_text(
                job.trainer.model, task, SAMPLE_PROMPT, SAMPLE_CHARS, temperature=0.7)
        b.specs.update(_specs(figs))
        b.probe_key = (snap.probe.step, snap.active, dims)  # what was drawn (maybe a newer probe than progress saw)
    return b.frame((("curves", (("loss", "metric"),)), ("probes", (("pred", "traj"), ("hidden", "grad"), ("gradmap",)))))


# ---- LSTM vs GRU vs RNN ------------------------------------------------------------------------

def compare_feed(room, lang: str, prev: Frame | None) -> Frame:
    """The comparison: the three cells' loss and metric, gradient heatmaps, trajectories, gates,
    gate means and saturation."""
    all_jobs = room.jobs()
    jobs = {k: all_jobs.get(CV.JOB_NAMES[k]) for k in CELLS}
    if any(j is None for j in jobs.values()):
        return _empty(prev)
    progs = {k: j.progress() for k, j in jobs.items()}
    seq = max(0, int(room.view.get("gate_seq", 1)) - 1)
    b = _Build(room, prev, tuple(j.id for j in jobs.values()), tuple(p.step for p in progs.values()),
               tuple(p.status for p in progs.values()), (tuple(p.probe_step for p in progs.values()), seq))
    if b.nothing:
        return prev
    snaps = {k: room.snapshot(j) for k, j in jobs.items()}
    task = jobs["rnn"].trainer.task
    if b.curves:
        b.specs.update(_specs({"loss": CV.loss_fig(snaps, task, lang=lang, as_dict=True),
                               "metric": CV.metric_fig(snaps, task, lang=lang, as_dict=True)}))
    if b.probes:
        b.specs.update(_specs(CV.probe_views(snaps, {k: j.id for k, j in jobs.items()}, seq, {}, lang=lang, as_dict=True)))
    return b.frame((("curves", (("loss", "metric"),)), ("probes", (("grad",), ("traj",), ("gates_lstm", "gates_gru"),
                                                                ("means_lstm", "means_gru"), ("sat_lstm",), ("sat_gru",)))))


# ---- Dynamics ----------------------------------------------------------------------------------

def dynamics_feed(room, lang: str, prev: Frame | None) -> Frame:
    """The dynamics lab: W_hh's eigenvalues, the loss, and the state space with the fixed points
    and their Jacobians' eigenvalues as the lecturer's page found them (``room.extras["space"]``:
    never searched again for followers)."""
    names = room.job_names
    job = room.jobs().get(names[0]) if names else None
    if job is None:
        return _empty(prev)
    p = job.progress()
    space = room.extras.get("space")
    space = space if space is not None and space.get("job") == job.id else None
    space_key = None if space is None else (space["analysis"].step, space["analysis"].time, space["entry"]["step"],
                                            space["entry"]["time"], space["dims"], space["color_by"], p.active)
    b = _Build(room, prev, (job.id,), (p.step,), (p.status,), (space_key,))
    if b.nothing:
        return prev
    if b.curves:
        snap = room.snapshot(job)
        eig, step = DV.live_whh(job)
        initial = room.extras.get("whh_initial")
        initial = initial[1] if initial is not None and initial[0] == job.id else None
        b.specs.update(_specs({
            "whh": DV.whh_eig_fig_from(eig, job.trainer.model.config.kind, step, initial, lang=lang),
            "loss": loss_figure(snap.steps, snap.loss, snap.val_steps, snap.val_loss, job.trainer.task.baseline_loss,
                                title=text("dynamics.loss_title", lang), lang=lang)}))
    if b.probes and space is not None:
        a, entry = space["analysis"], space["entry"]
        fp, summ = entry["fp"], entry["summary"]
        b.specs.update(_specs({
            "space": DV.state_space_fig(a, fp, dims=space["dims"], color_by=space["color_by"], labels=summ.labels,
                                        max_points=DV.LIVE_POINTS if p.active else 8000, lang=lang),
            "jac": DV.jacobian_eig_fig(fp, entry["step"], lang=lang)}))
        b.texts["fixed_points"] = text("follow.fixed_points", lang, points=summ.n_points, stable=summ.n_stable,
                                       unstable=summ.n_points - summ.n_stable, step=entry["step"])
    return b.frame((("curves", (("whh", "loss"),)), ("probes", (("space",), ("jac",)))))


FEEDS = {"training_lab": lab_feed, "comparison": compare_feed, "dynamics": dynamics_feed}  # page -> feed
