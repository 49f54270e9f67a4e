"""Data page: upload sequences, check and prepare them; export and import models, settings, histories."""
import streamlit as st

from explorer.app.shell import use_navigation_only

use_navigation_only()
from core.budget import BudgetError
from core.datasets import DatasetError
from explorer.app import settings as ST
from explorer.app import state
from explorer.app import upload_widgets as U
from explorer.app import widgets as W
from explorer.app.lang import current, fmt, t
from explorer.jobs import run_files as RF
from explorer.jobs import runtime
from explorer.jobs.runs import UPLOAD_PREFIX
from explorer.views import data as V, data_held_out as HO, data_text as DT
from explorer.views.data_baselines import best_model

ss = st.session_state
lang = current()
st.title(t("data.title"))
st.caption(t("data.caption"))
datasets, uploads = ss[state.DATASETS], ss[state.DATA_UPLOADS]


def table(rows):
    st.markdown("\n".join(f"- **{k}:** {v}" for k, v in rows))


c1, c2 = st.columns([3, 2])
up = c1.file_uploader(t("data.train_file"), key=state.DATA_FILE)
test_up = c1.file_uploader(t("data.test_file"), key=state.DATA_TEST_FILE)
with c2.expander(t("data.read_how")):
    st.selectbox(t("data.format"), ST.options(state.DATA_FORMAT), key=state.DATA_FORMAT, format_func=fmt("data.fmt"))
    a, b = st.columns(2)
    a.selectbox(t("data.delimiter"), ST.options(state.DATA_DELIM), key=state.DATA_DELIM, format_func=fmt("data.delim"))
    b.selectbox(t("data.header_row"), ST.options(state.DATA_HEADER), key=state.DATA_HEADER, format_func=fmt("data.header_opt"))
    st.text_input(t("data.feature_columns"), key=state.DATA_FEATURES)
    a, b = st.columns(2)
    a.text_input(t("data.label_column"), key=state.DATA_LABEL)
    b.text_input(t("data.time_column"), key=state.DATA_TIME)
    st.checkbox(t("data.interpolate"), key=state.DATA_INTERP)
opts = V.LoadOptions(ss[state.DATA_FORMAT], ss[state.DATA_DELIM], ss[state.DATA_HEADER], ss[state.DATA_FEATURES],
                     ss[state.DATA_LABEL], ss[state.DATA_TIME], ss[state.DATA_INTERP])

if up is not None:
    ds, err, fresh = V.cached_read(uploads, "train", (up.file_id, up.size, opts),
                                   lambda: V.read_upload(up.getvalue(), up.name, opts))
    if err:
        st.error(DT.error_text(err, lang) + (t("data.kept_previous") if datasets else ""), icon=":material/error:")
    elif fresh:
        ss[state.DATA_CURRENT] = V.add_dataset(datasets, ds)
if ss[state.DATA_CURRENT] not in datasets:
    ss[state.DATA_CURRENT] = next(iter(datasets), None)
if len(datasets) > 1:
    st.selectbox(t("data.dataset_shown"), list(datasets), key=state.DATA_CURRENT)
name = ss[state.DATA_CURRENT]
entry = datasets.get(name)
if entry is not None and test_up is not None:
    tds, terr, fresh = V.cached_read(uploads, "test", (test_up.file_id, test_up.size, opts, name),
                                     lambda: V.read_upload(test_up.getvalue(), test_up.name, opts))
    if terr is None and fresh:
        try:
            V.attach_test(entry, tds)
        except DatasetError as e:
            terr = e
    if terr is not None:
        st.error(t("data.test_file_error", error=DT.error_text(terr, lang)), icon=":material/error:")

if entry is None:
    st.info(t("data.no_data"))
else:
    ds, test = entry["dataset"], entry.get("test")
    st.header(ds.name if test is None else t("data.header_test", name=ds.name, test=test.name))
    c1, c2, c3 = st.columns([2, 2, 3])
    with c1:
        st.subheader(t("data.summary"))
        table(V.summary_rows(entry["summary"], lang))
    with c2:
        for df in (V.class_frame(ds, test, lang), V.channel_frame(entry["summary"], lang)):
            if df is not None:
                st.dataframe(df, hide_index=True, width="stretch")
    with c3:
        st.subheader(t("data.detected"))
        st.markdown("\n".join(f"- {DT.note_text(n, lang)}" for n in ds.notes) or f"- {t('data.nothing_special')}")

    st.subheader(t("data.preparation"))
    if ss[state.DATA_MODE] not in V.mode_choices(ds.kind):
        ss[state.DATA_MODE] = "auto"
    if not set(ss[state.DATA_TARGETS]) <= set(ds.channels):
        ss[state.DATA_TARGETS] = []
    p = iter(st.columns(4))
    next(p).selectbox(t("data.task"), V.mode_choices(ds.kind), key=state.DATA_MODE, format_func=fmt("data.mode"))
    if ds.kind in ("series", "text"):
        c = next(p)
        c.number_input(t("data.window_length" if ds.kind == "series" else "data.seq_length"), *ST.bounds(state.DATA_WINDOW),
                       key=state.DATA_WINDOW)
    if ds.kind == "series":
        c.number_input(t("data.horizon"), *ST.bounds(state.DATA_HORIZON), key=state.DATA_HORIZON)
        next(p).multiselect(t("data.targets"), ds.channels, key=state.DATA_TARGETS)
    c = next(p)
    c.slider(t("data.val_share"), *ST.bounds(state.DATA_VAL), step=0.05, key=state.DATA_VAL, help=t("data.val_share_help"))
    c.checkbox(t("data.standardise"), key=state.DATA_STD, help=t("data.standardise_help"))
    c.number_input(t("data.split_seed"), *ST.bounds(state.DATA_SEED), key=state.DATA_SEED)
    if ds.kind == "labelled":
        next(p).number_input(t("data.max_steps"), *ST.bounds(state.DATA_MAX_STEPS), key=state.DATA_MAX_STEPS, help=t("data.max_steps_help"))
    prep = V.prep_options(lambda k: ss[k])
    task = None
    try:
        task = V.prepare(entry, prep)
    except (DatasetError, BudgetError) as e:  # what does not fit the data, or the server's memory
        st.error(DT.error_text(e, lang), icon=":material/error:")
    if task is not None:
        c1, c2 = st.columns([3, 2])
        with c1:
            table(V.preparation_rows(task, ds, lang))
        scale = V.scaling_frame(task, ds, lang)
        if scale is not None:
            c2.dataframe(scale, hide_index=True, width="stretch")
        b = st.columns([3, 3, 2])
        if b[0].button(t("data.use"), icon=":material/model_training:", type="primary", key=state.DATA_BTN_USE):
            ss[state.LAB_TASK] = UPLOAD_PREFIX + ds.name
            if ds.kind != "labelled":
                ss[state.LAB_SEQ_LEN] = int(ss[state.DATA_WINDOW])
            st.switch_page("pages/training_lab.py")
        U.suggest_button(name, state.DATA_BTN_SUGGEST, b[1])
        if b[2].button(t("data.remove"), icon=":material/delete:", key=state.DATA_BTN_REMOVE):
            del datasets[name]
            ss[state.DATA_CURRENT] = None
            st.rerun()
        st.caption(t("data.listed", name=ds.name))
        U.suggest_reasons(name)
        U.baselines_block(entry, task)

    st.subheader(t("data.preview"))
    frame = V.preview_frame(ds, lang=lang)
    if frame is None:
        st.code(ds.text[:1500], language=None)
    else:
        st.dataframe(frame, hide_index=True, height=280, width="stretch")
    figs = V.preview_figures(ds, task, prep, test, lang=lang)
    cols = st.columns(1 if ds.kind == "series" else 2)
    for i, (slug, fig) in enumerate(figs):
        with cols[i % len(cols)]:
            W.chart(fig)
            W.html_download(fig, f"{ds.name}_{slug}", f"{state.DATA_DL_FIG}.{i}")

board = runtime.session_jobs()
job = board.get("lab")
if entry is not None and job is not None and job.trainer.task.name == UPLOAD_PREFIX + name:
    st.subheader(t("data.held_out"))
    if st.button(t("data.evaluate"), key=state.DATA_BTN_EVAL):
        model, step, best = best_model(job.trainer)  # the best checkpoint when the run kept one
        ss[state.DATA_EVAL] = HO.held_out(model, job.trainer.task, step, name, best=best)
    r = ss[state.DATA_EVAL]
    if r is not None and r.dataset == name:
        cards, note = HO.held_out_cards(r, lang)
        for col, (label, value, delta) in zip(st.columns(3), cards):
            col.metric(label, value, delta=delta, delta_color="normal" if r.metric_name == "accuracy" else "inverse")
        st.caption(note)

st.header(t("data.export"))
settings = RF.lab_settings(lambda k: ss[k])
c1, c2, c3 = st.columns(3)
with c1.container(border=True):
    st.markdown(t("data.model_box"))
    if job is not None:
        st.download_button(t("data.dl_model"), lambda: RF.model_bytes(job, settings), file_name="rnn_model.zip",
                           mime="application/zip", key=state.DATA_DL_MODEL, icon=":material/download:",
                           on_click="ignore")
        if job.trainer.best_step is not None:
            st.caption(t("data.dl_best", step=job.trainer.best_step, metric=t(f"data.metric.{job.trainer.task.metric}")))
    else:
        st.caption(t("data.no_model"))
    mf = st.file_uploader(t("data.model_file"), type=["zip", "safetensors"], key=state.DATA_MODEL_FILE)
    if st.button(t("data.load_model"), key=state.DATA_BTN_LOAD_MODEL, disabled=mf is None):
        updates, ss[state.DATA_IMPORT_MSG] = RF.import_model_upload(mf.getvalue(), datasets, settings, board,
                                                                   runtime.limiter())
        ss.update(updates)
with c2.container(border=True):
    st.markdown(t("data.settings_box"))
    st.download_button(t("data.dl_settings"), RF.settings_bytes(settings), file_name="rnn_settings.json",
                       mime="application/json", key=state.DATA_DL_SETTINGS, icon=":material/download:",
                       on_click="ignore")
    sf = st.file_uploader(t("data.settings_file"), type=["json"], key=state.DATA_SETTINGS_FILE)
    if st.button(t("data.apply_settings"), key=state.DATA_BTN_LOAD_SETTINGS, disabled=sf is None):
        updates, ss[state.DATA_IMPORT_MSG] = RF.import_settings_upload(sf.getvalue(), datasets, ss[state.DEVICE])
        ss.update(updates)
with c3.container(border=True):
    st.markdown(t("data.history_box"))
    if job is not None:
        st.download_button(t("data.dl_history"), lambda: RF.history_bytes(job), file_name="rnn_history.csv",
                           mime="text/csv", key=state.DATA_DL_HISTORY, icon=":material/download:", on_click="ignore")
    else:
        st.caption(t("data.no_run"))
msg = ss[state.DATA_IMPORT_MSG]
if msg is not None:
    (st.success if msg[0] == "success" else st.error)(DT.message_text(msg, lang))
