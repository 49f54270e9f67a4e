"""Every session-state key of the app, with its default, in one place.

Pages read and write ``st.session_state[KEY]`` through these names only. Widget keys listed in
``PERSISTENT`` keep their values when the user switches pages (Streamlit drops the state of
widgets that are not drawn; ``keep()`` re-assigns them on every run so they survive).
"""
from __future__ import annotations

import streamlit as st

# ---- shared sidebar ------------------------------------------------------------------------
DEVICE = "device"  # "auto", "cpu", "cuda" or "mps": where new runs train
PRESENTER = "presenter"  # lecture mode: larger type, fewer controls

# ---- Training lab settings (widget keys) ---------------------------------------------------
LAB_TASK = "lab.task"  # a key of core.TASKS or "upload:<name>"
LAB_SEQ_LEN = "lab.seq_len"  # sequence length T of the task
LAB_KIND = "lab.kind"  # "rnn", "lstm" or "gru"
LAB_HIDDEN = "lab.hidden"  # hidden units H
LAB_LAYERS = "lab.layers"  # stacked layers
LAB_ACT = "lab.activation"  # vanilla RNN activation
LAB_BIDIR = "lab.bidirectional"  # bidirectional
LAB_LR = "lab.lr"  # learning rate
LAB_BATCH = "lab.batch"  # batch size
LAB_OPT = "lab.optimizer"  # "adam" or "sgd"
LAB_CLIP = "lab.clip"  # gradient clipping norm, 0 = off
LAB_SEED = "lab.seed"  # seed of the model and of the data stream
LAB_STEPS = "lab.steps"  # target number of steps
LAB_PROBE = "lab.probe_every"  # steps between probes
LAB_VIEW3D = "lab.view3d"  # 3-D PCA view instead of 2-D
LAB_SCRUB = "lab.scrub"  # index into the probe history for the trajectory view
LAB_SIGNATURE = "lab.signature"  # the settings the current run was built with

# ---- uploaded data (issue 7) -----------------------------------------------------------------
DATASETS = "data.datasets"  # name -> core SequenceDataset the user uploaded

DEFAULTS = {
    DEVICE: "auto",
    PRESENTER: False,
    LAB_TASK: "sine",
    LAB_SEQ_LEN: 50,
    LAB_KIND: "lstm",
    LAB_HIDDEN: 32,
    LAB_LAYERS: 1,
    LAB_ACT: "tanh",
    LAB_BIDIR: False,
    LAB_LR: 0.01,
    LAB_BATCH: 32,
    LAB_OPT: "adam",
    LAB_CLIP: 1.0,
    LAB_SEED: 0,
    LAB_STEPS: 1000,
    LAB_PROBE: 50,
    LAB_VIEW3D: False,
    LAB_SCRUB: -1,
    LAB_SIGNATURE: None,
    DATASETS: {},
}

PERSISTENT = [k for k in DEFAULTS if k not in (LAB_SIGNATURE, DATASETS, LAB_SCRUB)]


def init() -> None:
    """Fill in defaults and keep widget values alive across page switches. Call once per run."""
    ss = st.session_state
    for k, v in DEFAULTS.items():
        if k not in ss:
            ss[k] = dict(v) if isinstance(v, dict) else v
    for k in PERSISTENT:
        ss[k] = ss[k]


def get(key: str):
    return st.session_state.get(key, DEFAULTS.get(key))
