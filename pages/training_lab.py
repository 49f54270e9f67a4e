"""Training lab (lecture note section 5): train live and watch loss, states and gradients."""
import streamlit as st

from explorer.app.shell import use_navigation_only

use_navigation_only()
from core.generate import generate_text
from explorer.app import live_feed as LF, report_ui, share_ui, state
from explorer.app import settings as ST
from explorer.app import upload_widgets as U
from explorer.app.job_controls import JobControls, job_row
from explorer.app import widgets as W
from explorer.app.lang import current, t
from explorer.jobs import runtime
from explorer.jobs.run_files import run_record
from explorer.jobs.runs import UPLOAD_PREFIX, RunSettings, build_trainer, run_error_text
from explorer.jobs.training_job import TrainingJob
from explorer.views import data_baselines as BV
from explorer.views import training_lab as V

ss = st.session_state
presenter = ss[state.PRESENTER]
lang = current()
CONTROLS = JobControls(("lab",), state.LAB_SIGNATURE, state.LAB_BTN_TRAIN, state.LAB_BTN_PAUSE,
                       state.LAB_BTN_RESET, "lab.settings_changed", step=state.LAB_BTN_STEP)
MAX_HISTORY = 5_000  # training records kept per run (older ones are thinned): bounds memory per session
st.title(t("lab.title"))
st.caption(t("lab.caption"))


def current_settings() -> RunSettings:
    return RunSettings(ss[state.LAB_TASK], int(ss[state.LAB_SEQ_LEN]), ss[state.LAB_KIND],
                       int(ss[state.LAB_HIDDEN]), int(ss[state.LAB_LAYERS]), ss[state.LAB_ACT],
                       bool(ss[state.LAB_BIDIR]), float(ss[state.LAB_LR]), int(ss[state.LAB_BATCH]),
                       ss[state.LAB_OPT], float(ss[state.LAB_CLIP]), int(ss[state.LAB_SEED]),
                       int(ss[state.LAB_STEPS]), int(ss[state.LAB_PROBE]), ss[state.DEVICE])


with st.expander(t("lab.settings"), expanded=not presenter):
    c1, c2, c3 = st.columns(3)
    with c1.container(border=True):
        W.task_controls(state.LAB_TASK, state.LAB_SEQ_LEN, presenter=presenter)
    with c2.container(border=True):
        W.model_controls(state.LAB_KIND, state.LAB_HIDDEN, state.LAB_LAYERS, state.LAB_ACT,
                         state.LAB_BIDIR, presenter=presenter)
    with c3.container(border=True):
        W.optimizer_controls(state.LAB_LR, state.LAB_BATCH, state.LAB_OPT, state.LAB_CLIP,
                             state.LAB_SEED, presenter=presenter)
        cc = st.columns([3, 2])  # room for six digits of steps
        cc[0].number_input(t("lab.steps"), *ST.bounds(state.LAB_STEPS), step=100, key=state.LAB_STEPS)
        cc[1].number_input(t("lab.probe_every"), *ST.bounds(state.LAB_PROBE), key=state.LAB_PROBE, help=t("lab.probe_every_help"))
    upload = ss[state.LAB_TASK][len(UPLOAD_PREFIX):] if ss[state.LAB_TASK].startswith(UPLOAD_PREFIX) else None
    if upload in ss[state.DATASETS]:
        U.suggest_button(upload, state.LAB_BTN_SUGGEST, st.columns([1, 3])[0])
        U.suggest_reasons(upload, expanded=ss[state.LAB_SIGNATURE] is None)  # folded once a run exists

settings = current_settings()
found = runtime.session_jobs().get("lab")
if found is not None and ss[state.LAB_SIGNATURE] is None:  # a reloaded tab found its run: what it was built with
    ss[state.LAB_SIGNATURE] = run_record(found, settings).signature()


def new_run() -> dict[str, TrainingJob]:
    trainer = build_trainer(settings, ss[state.DATASETS])
    trainer.max_history = MAX_HISTORY
    return {"lab": TrainingJob(trainer, settings.steps, limiter=runtime.limiter(), probe_every=settings.probe_every)}


def apply_live_settings(j: TrainingJob) -> None:
    """Learning rate, clipping, target and probe cadence may change while a run goes on."""
    j.configure(lr=settings.lr, clip=settings.clip, probe_every=settings.probe_every,
                target_steps=max(settings.steps, j.trainer.step_count if not j.snapshot().active else 0))


row = job_row(CONTROLS, settings.signature(), new_run, prepare=apply_live_settings,
              error=lambda e: t("lab.build_error", error=run_error_text(e, lang)),
              on_new=lambda _: ss.update({state.LAB_SCRUB: -1}))
job: TrainingJob | None = row.jobs["lab"] if row.jobs else None
share_ui.panel("training_lab", ("lab",), view={"dims": 3 if ss[state.LAB_VIEW3D] else 2})  # class mode


def pair():
    """Two charts side by side, or stacked full width on a projector."""
    return (st.container(), st.container()) if presenter else st.columns(2)


def show_run(job: TrainingJob) -> None:
    """The live view of the run (layout only; figures come from explorer.views.training_lab)."""
    task = job.trainer.task
    snap0 = job.snapshot()
    entry = BV.upload_entry(task, ss[state.DATASETS])
    base = BV.task_baselines(entry, task) if entry is not None else None  # cached on the dataset's entry
    refs = BV.chart_lines(base, lang)
    # View controls live outside the timed fragment, so a widget change reruns the page once.
    # A flex row at their own widths (columns of 1:3:1 cut both labels on a laptop), apart, wrapping.
    views = st.container(horizontal=True, horizontal_alignment="distribute", vertical_alignment="center")
    views.toggle(t("lab.view3d"), key=state.LAB_VIEW3D, help=t("lab.view3d_help"))
    report_ui.lab_button(job, where=views)  # built on click, from the job's snapshot then
    n_hist = len(snap0.state_history)
    if n_hist > 1 and not snap0.active:
        scrub0 = ss.get(state.LAB_SCRUB, -1)
        shown = st.slider(t("lab.scrub"), 0, n_hist - 1, n_hist - 1 if scrub0 < 0 else min(scrub0, n_hist - 1))
        # -1: "the latest", so the slider follows new probes (Step once) while it sits at the end
        ss[state.LAB_SCRUB] = -1 if shown == n_hist - 1 else shown
    else:
        ss[state.LAB_SCRUB] = -1

    # Running: 5 times a second. Queued: every 2 s (many waiting students must not load the server).
    # While the session's stream carries the charts (explorer.app.live_feed), the fragments rerun
    # only for the status line and the run's changes: each rerun costs the browser's busy thread.
    running = snap0.status == "running"
    curve_every = {"running": V.CURVE_REFRESH_S, "queued": 2.0}.get(snap0.status)
    streaming0 = LF.streaming()

    def curve_figures() -> dict:
        """Loss and metric (no st calls: the session's stream builds these in its own thread)."""
        snap = job.snapshot()
        if V.metric_is_loss(task):  # a regression task's metric is its loss: one chart, not two copies
            return {"lab.chart.loss": V.loss_fig(snap, task, lang=lang, baselines=refs)}
        return {"lab.chart.loss": V.loss_fig(snap, task, lang=lang),
                "lab.chart.metric": V.metric_fig(snap, task, lang=lang, baselines=refs)}

    @st.fragment(run_every=LF.cadence(curve_every, streaming0))
    def live_curves():
        """Status, loss and metric: new points every step, so refreshed several times a second."""
        snap = job.snapshot()
        W.status_line(snap, runtime.limiter().limit)
        if snap.status != snap0.status or (running and LF.streaming() != streaming0):
            st.rerun()  # started, ended or paused (or the stream came or went): redraw the page once so the timers follow
        if snap.status == "queued":
            return  # nothing to draw until a slot frees: waiting sessions cost the server almost nothing
        figs = W.live_figures("lab.curves", curve_figures, V.CURVE_REFRESH_S if running else None)
        if V.metric_is_loss(task):
            W.chart(figs["lab.chart.loss"], key="lab.chart.loss", live=True)
        else:
            c1, c2 = pair()
            with c1:
                W.chart(figs["lab.chart.loss"], key="lab.chart.loss", live=True)
            with c2:
                W.chart(figs["lab.chart.metric"], key="lab.chart.metric", live=True)
        if entry is not None:
            U.run_results(snap, task, base)


    # Probe charts change only when a new probe arrives; the browser redraws them less often (3-D less still).
    dims = 3 if ss[state.LAB_VIEW3D] else 2
    probe_every = V.PROBE_REFRESH_S * (2 if dims == 3 else 1) if running else None
    scrub, fig_cache = ss[state.LAB_SCRUB], ss[state.LAB_FIG_CACHE]
    probe_keys = {"pred": "lab.chart.pred", "traj": "lab.chart.traj", "hidden": "lab.chart.hidden",
                  "grad": "lab.chart.grad", "gradmap": "lab.chart.gradmap"}

    def probe_figures() -> dict:
        """The five probe charts (no st calls: the session's stream builds these too)."""
        snap = job.snapshot()
        if snap.probe is None:
            return {}
        figs = V.probe_figures(snap, task, scrub, dims, fig_cache, job.id, lang=lang)
        return {probe_keys[k]: f for k, f in figs.items() if not (k == "pred" and task.name == "char_lm")}

    # streamed: the fragment only shows a sampled text (char_lm), which a reader needs a moment for anyway
    @st.fragment(run_every=LF.cadence(probe_every, streaming0, slow_s=2 * LF.SLOW_S))
    def live_probe():
        snap = job.snapshot()
        if snap.probe is None:
            st.caption(t("lab.no_probe"))
            return
        figs = W.live_figures("lab.probes", probe_figures, probe_every)
        c1, c2 = pair()
        with c1:
            if task.name == "char_lm":
                st.markdown(t("lab.sampled_text", step=snap.probe.step))
                st.code(V.cached(fig_cache, ("text", job.id, snap.probe.step), lambda: generate_text(
                    job.trainer.model, task, "Shall I", 200, temperature=0.7)), language=None)
            else:
                W.chart(figs["lab.chart.pred"], key="lab.chart.pred", live=True)
        with c2:
            W.chart(figs["lab.chart.traj"], key="lab.chart.traj", live=True)
        c1, c2 = pair()
        with c1:
            W.chart(figs["lab.chart.hidden"], key="lab.chart.hidden", live=True)
        with c2:
            W.chart(figs["lab.chart.grad"], key="lab.chart.grad", live=True)
        W.chart(figs["lab.chart.gradmap"], key="lab.chart.gradmap", live=True)


    live_curves()
    live_probe()


if job is None:
    st.info(t("lab.no_run"))
else:
    show_run(job)
