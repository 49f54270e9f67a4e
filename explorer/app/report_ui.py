"""The "Download report" button of the Training lab, the comparison page and the dynamics page.

Each page calls one function here. The report is built only when the button is clicked:
``st.download_button(data=callable)`` runs the callable in a server thread at click time (not on
every rerun), so the callable must not touch ``st``: everything from the session (settings, the
link, the language) is read now, at script time, and the jobs' snapshots at click time.
"""
from __future__ import annotations

import html
import re
from dataclasses import asdict

import streamlit as st

from ..views import data_baselines as BV
from ..report import record as RR
from . import state, urlstate
from .i18n import text
from .lang import current, t
from ..report.build import build_report
from ..jobs.runs import LAB_KEYS



def _page_url() -> str | None:
    """The page's own address in the reader's browser (None outside a browser, e.g. in AppTest)."""
    try:
        return st.context.url or None
    except Exception:  # no browser context (AppTest, bare mode): the report gives a relative link
        return None


def _file_name(*parts) -> str:
    stem = "-".join(re.sub(r"[^A-Za-z0-9_.]+", "_", str(p)).strip("_") for p in parts if p)
    return f"rnnx-report-{stem}.html"


def _safely(make, lang: str):
    """The click-time callable: the report, or a small HTML page saying why it could not be made."""
    def build() -> bytes:
        try:
            return build_report(make(), lang).encode("utf-8")
        except Exception as e:  # a click must never take the server down; the file says what went wrong
            msg = text("report.failed", lang, error=f"{type(e).__name__}: {e}")
            return f'<!DOCTYPE html><html lang="{lang}"><meta charset="utf-8"><p>{html.escape(msg)}</p></html>'.encode()
    return build


def _button(key: str, make, file_name: str, lang: str, where=None) -> None:
    (where or st).download_button(t("report.download"), data=_safely(make, lang), file_name=file_name,
                                  mime="text/html", key=key, on_click="ignore", icon=":material/download:",
                                  help=t("report.download_help"))


def _dataset_summary(task_name: str) -> dict | None:
    if not str(task_name).startswith("upload:"):
        return None
    entry = st.session_state[state.DATASETS].get(task_name[len("upload:"):])
    ds = entry.get("dataset") if isinstance(entry, dict) else entry
    try:
        return ds.summary() if ds is not None else None
    except Exception:  # a summary is a nicety: the report goes on without it
        return None


def lab_settings(job, signature: tuple | None) -> dict:
    """The settings the lab's run was built with (its signature) and those that may change mid-run,
    as the job has them now."""
    c = job.trainer.config
    s = dict(signature or ())
    s.update(lr=float(c.lr), clip=float(c.clip or 0.0), steps=int(job.target_steps), probe_every=int(job.probe_every))
    return {k: s[k] for k in LAB_KEYS if k in s}


def lab_button(job, where=None) -> None:
    """The Training lab's button (``job``: the lab's TrainingJob)."""
    ss, lang = st.session_state, current()
    settings = lab_settings(job, ss[state.LAB_SIGNATURE])
    values = {**{k: ss[k] for k in urlstate.url_keys() if k in ss}, **{LAB_KEYS[k]: v for k, v in settings.items()}}
    query, url, data = urlstate.params_for("training_lab", values), _page_url(), _dataset_summary(settings["task"])
    command = RR.lab_command(settings)
    entry = BV.upload_entry(job.trainer.task, ss[state.DATASETS])
    base = BV.task_baselines(entry, job.trainer.task) if entry is not None else None  # cached on the entry

    def make():
        return RR.from_jobs("training_lab", {"lab": job}, settings, query=query, base_url=url, data=data,
                            command=command, baselines=base)
    _button("report.lab", make, _file_name("lab", settings.get("kind"), settings.get("task")), lang, where)


def compare_button(jobs: dict, settings, preset, finals: dict, where=None) -> None:
    """The comparison page's button. ``settings``: the PageSettings the jobs were built with;
    ``preset``: the active Preset or None; ``finals``: the page's final evaluations by job id (the
    live fragment adds to it; read at click time)."""
    ss, lang = st.session_state, current()
    query, url = urlstate.params_for("comparison", ss), _page_url()
    fields = asdict(settings)

    def make():
        return compare_record(jobs, fields, preset, finals, query=query, base_url=url, lang=lang)
    _button("report.compare", make, _file_name("compare", fields.get("task")), lang, where)


def dynamics_button(job, settings: dict, where=None) -> None:
    """The dynamics page's button: the analysed job's run, plus its W_hh spectrum, fixed points in
    the state space and their Jacobian eigenvalues (found again at click time, for the model then)."""
    ss, lang = st.session_state, current()
    query, url = urlstate.params_for("dynamics", ss), _page_url()
    initial = ss[state.DYN_WHH_INITIAL]
    initial = initial[1] if initial is not None and initial[0] == job.id else None

    def make():
        return dynamics_record(job, settings, initial, query=query, base_url=url, lang=lang)
    _button("report.dynamics", make, _file_name("dynamics", job.trainer.model.config.kind), lang, where)


def dynamics_settings(source: str, recipe, lab_signature: tuple | None, job) -> dict:
    """What the dynamics page's model was built from: the flip-flop recipe, or the lab's run."""
    if source == "flipflop" and recipe is not None:
        return {"source": source, **asdict(recipe)}
    return {"source": source, **lab_settings(job, lab_signature)}


# ---- the records (no Streamlit: called at click time, in a server thread) ----------------------

def compare_record(jobs: dict, fields: dict, preset, finals: dict, *, query: dict, base_url: str | None,
                   lang: str) -> RR.RunRecord:
    """The comparison's record: the three runs and, with a preset, its checks on the runs that
    finished exactly its budget (as the page's badges judge them)."""
    from ..views import comparison as CV
    rec_preset = None
    if preset is not None:
        snaps = {k: j.snapshot() for k, j in jobs.items()}
        whole = {k: v for k, v in CV.finals_by_kind(jobs, finals).items()
                 if snaps[k].status == "done" and snaps[k].step == preset.steps}
        rec_preset = {"title": CV.preset_text(preset.name, "title", lang), "checks": CV.badges(preset, whole, lang)}
    return RR.from_jobs("comparison", jobs, fields, query=query, base_url=base_url, preset=rec_preset)


def dynamics_record(job, settings: dict, initial, *, query: dict, base_url: str | None, lang: str) -> RR.RunRecord:
    """The dynamics page's record: the run, plus the W_hh spectrum (and at step 0 when
    ``initial`` is given), the fixed points in the state space and their Jacobian eigenvalues,
    found for the model as it is now."""
    from ..views import dynamics as DV
    kind = job.trainer.model.config.kind
    eig, step = DV.live_whh(job)
    a = DV.analyse(job)
    fp = DV.fixed_points(a)
    labels = DV.summarise(a, fp).labels
    extras = ((text("report.dyn.whh", lang), DV.whh_eig_fig_from(eig, kind, step, initial, lang=lang)),
              (text("report.dyn.space", lang), DV.state_space_fig(a, fp, labels=labels, lang=lang)),
              (text("report.dyn.jacobian", lang), DV.jacobian_eig_fig(fp, a.step, lang=lang)))
    return RR.from_jobs("dynamics", {job.name: job}, settings, query=query, base_url=base_url, extras=extras)
