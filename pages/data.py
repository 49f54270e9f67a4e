"""Data page: upload sequences, check and prepare them; export and import models, settings, histories."""
import streamlit as st

from explorer.shell import use_navigation_only

use_navigation_only()
from core.datasets import FORMATS, DatasetError
from explorer import data_views as V
from explorer import runtime, state
from explorer import widgets as W
from explorer.runs import UPLOAD_PREFIX

ss = st.session_state
st.title("Your data")
st.caption("Sections 4 and 5 of the lecture note on your own sequences: the data decides the I/O structure "
           "(a series: forecast, many-to-many or many-to-one; labelled sequences: classify, many-to-one; text: "
           "the next character, many-to-many). Files up to **50 MB**; nothing is written to the server's disk.")
datasets, uploads = ss[state.DATASETS], ss[state.DATA_UPLOADS]


def table(rows):
    st.markdown("\n".join(f"- **{k}:** {v}" for k, v in rows))


c1, c2 = st.columns([3, 2])
up = c1.file_uploader("Training file: CSV/TSV (a series, wide or long labelled sequences), NPZ or UTF-8 text, "
                      "up to 50 MB", key=state.DATA_FILE)
test_up = c1.file_uploader("Test file (optional): held-out data with the same layout, e.g. the UCR archive's "
                           "_TEST file", key=state.DATA_TEST_FILE)
with c2.expander("How to read the file (detected automatically)"):
    st.selectbox("Format", ["auto", *FORMATS], key=state.DATA_FORMAT)
    a, b = st.columns(2)
    a.selectbox("Delimiter", list(V.DELIMITERS), key=state.DATA_DELIM)
    b.selectbox("Header row", list(V.HEADERS), key=state.DATA_HEADER)
    st.text_input("Feature columns (names or 0-based indices, comma-separated; empty: all)", key=state.DATA_FEATURES)
    a, b = st.columns(2)
    a.text_input("Label column (empty: default)", key=state.DATA_LABEL)
    b.text_input("Time column (auto, none or a name)", key=state.DATA_TIME)
    st.checkbox("Interpolate gaps in a series", key=state.DATA_INTERP)
opts = V.LoadOptions(ss[state.DATA_FORMAT], ss[state.DATA_DELIM], ss[state.DATA_HEADER], ss[state.DATA_FEATURES],
                     ss[state.DATA_LABEL], ss[state.DATA_TIME], ss[state.DATA_INTERP])

if up is not None:
    ds, err, fresh = V.cached_read(uploads, "train", (up.file_id, up.size, opts),
                                   lambda: V.read_upload(up.getvalue(), up.name, opts))
    if err:
        st.error(err + (" (The previously loaded data stays loaded.)" if datasets else ""), icon=":material/error:")
    elif fresh:
        ss[state.DATA_CURRENT] = V.add_dataset(datasets, ds)
if ss[state.DATA_CURRENT] not in datasets:
    ss[state.DATA_CURRENT] = next(iter(datasets), None)
if len(datasets) > 1:
    st.selectbox("Dataset shown", list(datasets), key=state.DATA_CURRENT)
name = ss[state.DATA_CURRENT]
entry = datasets.get(name)
if entry is not None and test_up is not None:
    tds, terr, fresh = V.cached_read(uploads, "test", (test_up.file_id, test_up.size, opts, name),
                                     lambda: V.read_upload(test_up.getvalue(), test_up.name, opts))
    try:
        if terr:
            raise DatasetError(terr)
        if fresh:
            V.attach_test(entry, tds)
    except DatasetError as e:
        st.error(f"Test file: {e}", icon=":material/error:")

if entry is None:
    st.info("No data loaded yet. Upload a file above: a time series (rows are time steps), labelled sequences "
            "(one per row with the label first, as in the UCR archive, or long format with columns sequence_id, "
            "t, features, label), an NPZ with X and y, or plain text.")
else:
    ds, test = entry["dataset"], entry.get("test")
    st.header(f"{ds.name}" + (f"  ·  test file: {test.name}" if test is not None else ""))
    c1, c2, c3 = st.columns([2, 2, 3])
    with c1:
        st.subheader("Summary")
        table(V.summary_rows(entry["summary"]))
    with c2:
        for df in (V.class_frame(ds, test), V.channel_frame(entry["summary"])):
            if df is not None:
                st.dataframe(df, hide_index=True, width="stretch")
    with c3:
        st.subheader("What was detected or done")
        st.markdown("\n".join(f"- {n}" for n in ds.notes) or "- nothing special")

    st.subheader("Preparation")
    if ss[state.DATA_MODE] not in V.mode_choices(ds.kind):
        ss[state.DATA_MODE] = "auto"
    if not set(ss[state.DATA_TARGETS]) <= set(ds.channels):
        ss[state.DATA_TARGETS] = []
    p = iter(st.columns(4))
    next(p).selectbox("Task", V.mode_choices(ds.kind), key=state.DATA_MODE, format_func=V.MODE_LABELS.get)
    if ds.kind in ("series", "text"):
        c = next(p)
        c.number_input("Window length" if ds.kind == "series" else "Sequence length", 2, 1000, key=state.DATA_WINDOW)
    if ds.kind == "series":
        c.number_input("Horizon (steps ahead)", 1, 100, key=state.DATA_HORIZON)
        next(p).multiselect("Channels to forecast (empty: all)", ds.channels, key=state.DATA_TARGETS)
    c = next(p)
    c.slider("Validation share", 0.05, 0.5, step=0.05, key=state.DATA_VAL, disabled=test is not None,
             help="A test file, when given, replaces the validation split.")
    c.checkbox("Standardise channels", key=state.DATA_STD, help="Per channel, fitted on the training split only.")
    c.number_input("Split seed", 0, 2**31 - 1, key=state.DATA_SEED)
    prep = V.PrepOptions(ss[state.DATA_MODE], int(ss[state.DATA_WINDOW]), int(ss[state.DATA_HORIZON]),
                         tuple(ss[state.DATA_TARGETS]), float(ss[state.DATA_VAL]), bool(ss[state.DATA_STD]),
                         int(ss[state.DATA_SEED]))
    task = None
    try:
        task = V.prepare(entry, prep)
    except DatasetError as e:
        st.error(str(e), icon=":material/error:")
    if task is not None:
        c1, c2 = st.columns([3, 2])
        with c1:
            table(V.preparation_rows(task, ds))
        scale = V.scaling_frame(task, ds)
        if scale is not None:
            c2.dataframe(scale, hide_index=True, width="stretch")
        b = st.columns([2, 2, 3])
        if b[0].button("Train on it in the Training lab", icon=":material/model_training:", type="primary",
                       key=state.DATA_BTN_USE):
            ss[state.LAB_TASK] = UPLOAD_PREFIX + ds.name
            if ds.kind != "labelled":
                ss[state.LAB_SEQ_LEN] = int(ss[state.DATA_WINDOW])
            st.switch_page("pages/training_lab.py")
        if b[1].button("Remove this dataset", icon=":material/delete:", key=state.DATA_BTN_REMOVE):
            del datasets[name]
            ss[state.DATA_CURRENT] = None
            st.rerun()
        b[2].caption(f"Listed as **Uploaded: {ds.name}** in the Training, Gradient flow, Dynamics and Comparison labs.")

    st.subheader("Preview")
    frame = V.preview_frame(ds)
    if frame is None:
        st.code(ds.text[:1500], language=None)
    else:
        st.dataframe(frame, hide_index=True, height=280, width="stretch")
    figs = V.preview_figures(ds, task, prep, test)
    cols = st.columns(1 if ds.kind == "series" else 2)
    for i, (slug, fig) in enumerate(figs):
        with cols[i % len(cols)]:
            st.plotly_chart(fig)
            W.html_download(fig, f"{ds.name}_{slug}", f"{state.DATA_DL_FIG}.{i}")

board = runtime.session_jobs()
job = board.get("lab")
if entry is not None and job is not None and job.trainer.task.name == UPLOAD_PREFIX + name:
    st.subheader("Held-out evaluation of the Training lab's model")
    if st.button("Evaluate now", key=state.DATA_BTN_EVAL):
        ss[state.DATA_EVAL] = V.held_out(job.trainer.model, job.trainer.task, job.trainer.step_count, name)
    r = ss[state.DATA_EVAL]
    if r is not None and r.dataset == name:
        cards, note = V.held_out_cards(r)
        for col, (label, value, delta) in zip(st.columns(3), cards):
            col.metric(label, value, delta=delta, delta_color="normal" if r.metric_name == "accuracy" else "inverse")
        st.caption(note)

st.header("Export and import")
current = V.lab_settings(lambda k: ss[k])
c1, c2, c3 = st.columns(3)
with c1.container(border=True):
    st.markdown("**The Training lab's model** (safetensors + JSON config, one .zip)")
    if job is not None:
        st.download_button("Download the model", lambda: V.model_bytes(job, current), file_name="rnn_model.zip",
                           mime="application/zip", key=state.DATA_DL_MODEL, icon=":material/download:",
                           on_click="ignore")
    else:
        st.caption("No model yet: train one in the Training lab.")
    mf = st.file_uploader("Load a model into the Training lab", type=["zip", "safetensors"], key=state.DATA_MODEL_FILE)
    if st.button("Load the model", key=state.DATA_BTN_LOAD_MODEL, disabled=mf is None):
        updates, ss[state.DATA_IMPORT_MSG] = V.import_model_upload(mf.getvalue(), datasets, current, board,
                                                                   runtime.limiter())
        ss.update(updates)
with c2.container(border=True):
    st.markdown("**The Training lab's settings** (JSON)")
    st.download_button("Download the settings", V.settings_bytes(current), file_name="rnn_settings.json",
                       mime="application/json", key=state.DATA_DL_SETTINGS, icon=":material/download:",
                       on_click="ignore")
    sf = st.file_uploader("Upload settings", type=["json"], key=state.DATA_SETTINGS_FILE)
    if st.button("Apply the settings", key=state.DATA_BTN_LOAD_SETTINGS, disabled=sf is None):
        updates, ss[state.DATA_IMPORT_MSG] = V.import_settings_upload(sf.getvalue(), datasets, ss[state.DEVICE])
        ss.update(updates)
with c3.container(border=True):
    st.markdown("**The run's history** (CSV: loss, gradient norm, metrics per step)")
    if job is not None:
        st.download_button("Download the history", lambda: V.history_bytes(job), file_name="rnn_history.csv",
                           mime="text/csv", key=state.DATA_DL_HISTORY, icon=":material/download:", on_click="ignore")
    else:
        st.caption("No run yet.")
msg = ss[state.DATA_IMPORT_MSG]
if msg is not None:
    (st.success if msg[0] == "success" else st.error)(msg[1])
