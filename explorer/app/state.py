"""Every session-state key of the app, by name, in one place.

Pages read and write ``st.session_state[KEY]`` through these names only. The user's settings
(widget keys) have their default, domain and sharing in explorer/app/settings.py (one table per page);
``PLAIN`` below holds the defaults of the rest: results, caches, signatures, uploads.
"""
from __future__ import annotations

from core import gated_cell as _gc

# ---- shared sidebar ------------------------------------------------------------------------
DEVICE = "device"  # "auto", "cpu", "cuda" or "mps": where new runs train
PRESENTER = "presenter"  # lecture mode: larger type, fewer controls
LANG = "lang"  # "en" or "ko" (explorer.app.i18n.LANGS): the language of every text

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
TAB_TOKEN = "tab.token"  # this browser tab's key to its job board (explorer.jobs.runtime; kept in sessionStorage)
LAB_FIG_CACHE = "lab.fig_cache"  # probe figures already built, by probe step (explorer.views.training_lab.cached)
LAB_BTN_TRAIN, LAB_BTN_PAUSE, LAB_BTN_STEP, LAB_BTN_RESET = (  # buttons (keys keep their identity
    "lab.btn.train", "lab.btn.pause", "lab.btn.step", "lab.btn.reset")  # when `disabled` changes)

# ---- uploaded data (issue 7) -----------------------------------------------------------------
DATASETS = "data.datasets"  # name -> core SequenceDataset the user uploaded

# ---- RNN cell page (widget keys) -------------------------------------------------------------
CELL_HIDDEN = "cell.hidden"  # H, 1 to 3 units
CELL_INPUTS = "cell.inputs"  # F, 1 or 2 inputs
CELL_ACT = "cell.activation"  # "tanh" or "relu"
CELL_PRESET = "cell.preset"  # a key of core.tiny_rnn.INPUT_PRESETS
CELL_LENGTH = "cell.length"  # T of the preset input
CELL_STEP = "cell.step"  # the time step shown (the time slider)
CELL_NOISE_SEED = "cell.noise_seed"  # seed of the "noise" preset
CELL_TYPED_INPUT = "cell.typed_input"  # the "typed" preset's text
CELL_WEIGHT_MODE = "cell.weight_mode"  # "sliders" or "typed"
# one text box per matrix in "typed" mode, and one slider per entry (max sizes H = 3, F = 2, O = 1)
CELL_MATRIX_SHAPES = {"W_xh": (3, 2), "W_hh": (3, 3), "b_h": (3,), "W_hy": (1, 3), "b_y": (1,)}
CELL_TEXT = {name: f"cell.text.{name}" for name in CELL_MATRIX_SHAPES}
CELL_ENTRY_DEFAULTS = {  # a bistable unit for H = 1, a spiral for H = 2; row 0 reads love up, hate down
    "W_xh": ((1.0, -1.0), (0.5, 0.8), (-0.6, 0.4)),
    "W_hh": ((1.1, -0.6, 0.0), (0.6, 1.1, 0.0), (0.2, -0.3, 0.5)),
    "b_h": (0.0, 0.0, 0.0),
    "W_hy": ((1.0, -0.5, 0.3),),
    "b_y": (0.0,),
}
CELL_ENTRIES = {  # (matrix, row, col) -> widget key; vectors use col 0
    (name, i, j): f"cell.{name}.{i}.{j}"
    for name, shp in CELL_MATRIX_SHAPES.items()
    for i in range(shp[0]) for j in range(shp[1] if len(shp) == 2 else 1)
}
CELL_KIND = "cell.kind"  # "rnn", "lstm" or "gru": the cell the page explains
CELL_PLAYING = "cell.playing"  # the play control is stepping through time (never in a link)
CELL_PLAY_TICK = "cell.play_tick"  # time.monotonic() of the last step the play control took
CELL_BTN_PLAY, CELL_BTN_SENTIMENT = "cell.btn.play", "cell.sentiment_button"  # buttons (not in DEFAULTS)
# LSTM/GRU (core.gated_cell): one slider per entry at the largest size H = 3, F = 2, keyed
# (kind, gate, part, row, col) -> "cell.lstm.f.W_x.0.1" (vectors use col 0), one text box per block
CELL_GATED_ENTRIES = {
    (kind, g, p, i, j): f"cell.{kind}.{g}.{p}.{i}.{j}"
    for kind in _gc.KINDS for g in _gc.GATES[kind] for p in _gc.parts(kind, g)
    for i in range(_gc.MAX_H) for j in range(_gc.MAX_F if p == "W_x" else _gc.MAX_H if p == "W_h" else 1)
}
CELL_GATED_TEXT = {(kind, g, p): f"cell.text.{kind}.{g}.{p}"
                   for kind in _gc.KINDS for g in _gc.GATES[kind] for p in _gc.parts(kind, g)}

# ---- Unrolled graph page (widget keys) ---------------------------------------------------------
GRAPH_STRUCTURE = "graph.structure"  # one of core.graph.STRUCTURES
GRAPH_LENGTH = "graph.length"  # T, input steps
GRAPH_BIDIR = "graph.bidirectional"  # add the backward chain
GRAPH_ATTN = "graph.attention"  # attention head (many-to-one)
GRAPH_MODE = "graph.mode"  # "forward" or "backward"
GRAPH_SOURCE = "graph.source"  # "untrained" or "lab" (the Training lab's model)
GRAPH_KIND = "graph.kind"  # "rnn", "lstm" or "gru" (untrained model)
GRAPH_HIDDEN = "graph.hidden"  # H of the untrained model
GRAPH_SEED = "graph.seed"  # seed of the untrained model and its input

# ---- I/O structures page -----------------------------------------------------------------------
IO_STRUCTURE = "io.structure"  # a key of explorer.views.io_structures.STRUCTURES
IO_STEPS = "io.steps"  # training steps of the example (reset to the recipe's on a structure change)
IO_SEED = "io.seed"  # seed of the example's model and data
IO_SAMPLE = "io.sample"  # which held-out example is drawn (0-based)
IO_RESULTS = "io.results"  # structure -> explorer.views.io_structures.ExampleResult of the last training

# ---- Bidirectional & attention page ------------------------------------------------------------
BI_SHIFT = "bidir.shift"  # look-ahead: the label of step t is the sign of x_{t+shift}
BI_STEPS = "bidir.steps"  # training steps of both look-ahead models
BI_SEED = "bidir.seed"  # seed of every model on the page
BI_SAMPLE = "bidir.sample"  # which held-out look-ahead sequence is drawn
BI_RESULT = "bidir.result"  # explorer.views.bidirectional_attention.LookaheadResult of the last comparison
ATT_SEQ_LEN = "bidir.attn_len"  # T of the marked-recall task
ATT_STEPS = "bidir.attn_steps"  # training steps of the attention (and last-state) jobs
IO_BTN_TRAIN, BI_BTN_TRAIN, ATT_BTN_TRAIN, ATT_BTN_STOP = (  # buttons (not in DEFAULTS)
    "io.btn.train", "bidir.btn.train", "bidir.btn.attn_train", "bidir.btn.attn_stop")

# ---- LSTM vs GRU vs RNN comparison lab -------------------------------------------------------
CMP_PRESET = "compare.preset"  # "custom" or a key of core.compare.PRESETS
CMP_TASK = "compare.task"  # a key of core.TASKS or "upload:<name>"
CMP_SEQ_LEN = "compare.seq_len"  # sequence length T
CMP_HIDDEN = "compare.hidden"  # H of every cell (of the RNN when sizes are matched)
CMP_EQUAL = "compare.equal_params"  # choose H per cell for about equal parameter counts
CMP_LR = "compare.lr"  # Adam learning rate
CMP_BATCH = "compare.batch"  # batch size
CMP_CLIP = "compare.clip"  # gradient clipping norm, 0 = off
CMP_SEED = "compare.seed"  # seed of the data stream and of every model's init
CMP_FORGET = "compare.forget_bias"  # the LSTM's initial forget-gate bias, 0 = torch's default draw
CMP_STEPS = "compare.steps"  # budget: steps per cell
CMP_GATE_SEQ = "compare.gate_seq"  # which probe sequence the gate views show (1-based)
CMP_SWEEP_RESULT = "compare.sweep_result"  # (SweepSettings, accuracy (3, D)) of the last memory sweep
CMP_SWEEP_STEPS = "compare.sweep_steps"  # training steps per model in the memory-length sweep
CMP_SIGNATURE = "compare.signature"  # the settings the current three jobs were built with
CMP_FIG_CACHE = "compare.fig_cache"  # probe-based comparison figures already built, by probe steps
CMP_FINAL = "compare.final"  # job id -> final evaluation {"loss", "metric"} on the fixed batch

# ---- Gradient flow lab (widget keys and results) ------------------------------------------------
GF_SOURCE = "gradient_flow.source"  # "untrained" (settings below) or "lab" (the Training lab's model)
GF_CELLS = "gradient_flow.cells"  # cell kinds drawn, a list of "rnn", "lstm", "gru"
GF_ACT = "gradient_flow.activation"  # vanilla RNN activation: "tanh", "relu" or "linear"
GF_INIT = "gradient_flow.init"  # W_hh initialisation: "random", "orthogonal" or "identity"
GF_RHO = "gradient_flow.radius"  # spectral radius of every W_hh block at initialisation
GF_SEQ_LEN = "gradient_flow.seq_len"  # sequence length T (up to 1,000)
GF_HIDDEN = "gradient_flow.hidden"  # hidden units H
GF_INPUT_SCALE = "gradient_flow.input_scale"  # the inputs are multiplied by this
GF_SEED = "gradient_flow.seed"  # model init and data seed
GF_FORGET = "gradient_flow.forget_bias"  # LSTM initial forget-gate bias (0: torch's small draw; 1, 2)
GF_BOUND = "gradient_flow.show_bound"  # draw the Pascanu bound
GF_CLIP_LR = "gradient_flow.clip_lr"  # SGD learning rate of the clipping demo
GF_CLIP_THRESHOLD = "gradient_flow.clip_threshold"  # global-norm threshold of the clipped run
GF_CLIP_STEPS = "gradient_flow.clip_steps"  # steps of each run in the clipping demo
GF_CLIP_RESULT = "gradient_flow.clip_result"  # (ClipSetup, ClipResult) of the last comparison, or None
GF_CLIFF_SIGMA = "gradient_flow.cliff_sigma"  # single-unit cliff: "sigmoid" or "tanh"
GF_CLIFF_W0 = "gradient_flow.cliff_w0"  # start of the descent paths: w
GF_CLIFF_B0 = "gradient_flow.cliff_b0"  # start of the descent paths: b
GF_CLIFF_LR = "gradient_flow.cliff_lr"  # gradient-descent step size
GF_CLIFF_STEPS = "gradient_flow.cliff_steps"  # gradient-descent steps
GF_CLIFF_CLIP = "gradient_flow.cliff_clip"  # clipping threshold of the clipped path
GF_TAB = "gradient_flow.tab"  # the open tab (only the open one is computed)

# ---- Data page: upload options (widget keys) ----------------------------------------------------
DATA_FORMAT = "data.format"  # "auto" or one of core.datasets.FORMATS
DATA_DELIM = "data.delimiter"  # "auto", ",", ";", "tab" or "whitespace"
DATA_HEADER = "data.header"  # "auto", "yes" or "no"
DATA_FEATURES = "data.features"  # feature columns: names or 0-based indices, comma-separated; "" = all
DATA_LABEL = "data.label_column"  # label column name or 0-based index; "" = the format's default
DATA_TIME = "data.time_column"  # "auto", "none" or a column name
DATA_INTERP = "data.interpolate"  # interpolate gaps linearly
# ---- Data page: preparation (widget keys) -------------------------------------------------------
DATA_MODE = "data.mode"  # "auto" or a mode of core.datasets.task.MODES
DATA_WINDOW = "data.window"  # window length of a series (sequence length of text)
DATA_HORIZON = "data.horizon"  # steps ahead to forecast
DATA_TARGETS = "data.targets"  # channels to forecast ([] = all)
DATA_VAL = "data.val_fraction"  # share held out for validation (when no test file)
DATA_STD = "data.standardize"  # per-channel standardisation fitted on the training split
DATA_SEED = "data.seed"  # seed of the stratified split
DATA_MAX_STEPS = "data.max_steps"  # labelled data: average-pool to at most this many steps (0 = keep every step)
DATA_CURRENT = "data.current"  # name (key of DATASETS) of the dataset the page shows
# ---- Data page: plain state ----------------------------------------------------------------------
DATA_UPLOADS = "data.uploads"  # "train"/"test" -> (file signature, dataset or None, error or None)
DATA_EVAL = "data.eval"  # explorer.views.data_held_out.HeldOut of the last held-out evaluation, or None
DATA_IMPORT_MSG = "data.import_msg"  # (level, text) reported after an import, or None
SUGGESTED = "data.suggested"  # (dataset name, core.suggest.Suggestion) last applied by "Use suggested settings", or None
# file uploaders, buttons and downloads (not in DEFAULTS: Streamlit refuses assigned values)
DATA_FILE, DATA_TEST_FILE, DATA_MODEL_FILE, DATA_SETTINGS_FILE = (
    "data.file", "data.test_file", "data.model_file", "data.settings_file")
DATA_BTN_USE, DATA_BTN_EVAL, DATA_BTN_REMOVE, DATA_BTN_LOAD_MODEL, DATA_BTN_LOAD_SETTINGS = (
    "data.btn.use", "data.btn.eval", "data.btn.remove", "data.btn.load_model", "data.btn.load_settings")
DATA_DL_MODEL, DATA_DL_SETTINGS, DATA_DL_HISTORY, DATA_DL_FIG = (
    "data.dl.model", "data.dl.settings", "data.dl.history", "data.dl.fig")  # DATA_DL_FIG + ".<n>"
DATA_BTN_SUGGEST, LAB_BTN_SUGGEST = "data.btn.suggest", "lab.btn.suggest"  # "Use suggested settings" (not in DEFAULTS)

# ---- Dynamics lab (widget keys and results) -----------------------------------------------------
DYN_SOURCE = "dynamics.source"  # a key of explorer.views.dynamics.SOURCES: "flipflop" (preset) or "lab"
DYN_KIND = "dynamics.kind"  # flip-flop preset: "rnn", "lstm" or "gru"
DYN_HIDDEN = "dynamics.hidden"  # flip-flop preset: hidden units H
DYN_LR = "dynamics.lr"  # flip-flop preset: Adam learning rate
DYN_STEPS = "dynamics.steps"  # flip-flop preset: training steps
DYN_SEED = "dynamics.seed"  # flip-flop preset: model init and data seed
DYN_VIEW3D = "dynamics.view3d"  # state space in 3-D PCA instead of 2-D
DYN_COLOR = "dynamics.color_by"  # "time" or "target"
DYN_SENS_SOURCE = "dynamics.sens_source"  # sensitivity of "model" (the one above) or "untrained" (tanh RNN at rho)
DYN_SENS_RHO = "dynamics.sens_rho"  # spectral radius of the untrained RNN
DYN_SENS_SEQ = "dynamics.sens_seq"  # which held-out sequence drives the model (1-based)
DYN_SENS_K = "dynamics.sens_k"  # the perturbed step k
DYN_SENS_DELTA = "dynamics.sens_delta"  # size of the perturbation
DYN_CHAOS_INPUT = "dynamics.chaos_input"  # input std of the edge-of-chaos sweep
DYN_SIGNATURE = "dynamics.signature"  # the preset settings the current flip-flop job was built with
DYN_FP_CACHE = "dynamics.fp_cache"  # {"job", "step", "time", "fp"}: the last fixed-point search
DYN_ANALYSIS = "dynamics.analysis"  # the last explorer.views.dynamics.Analysis (the next PCA is aligned to its basis)
DYN_WHH_INITIAL = "dynamics.whh_initial"  # (job id, W_hh eigenvalues at step 0) of the preset job
DYN_BTN_TRAIN, DYN_BTN_PAUSE, DYN_BTN_RESET, DYN_BTN_FIND = (  # buttons (not in DEFAULTS)
    "dynamics.btn.train", "dynamics.btn.pause", "dynamics.btn.reset", "dynamics.btn.find")

# ---- lecture mode: guided tour and shareable URLs (explorer/app/tour.py, explorer/app/urlstate.py) ------
TOUR_STEP = "tour.step"  # index into explorer.app.tour_steps.TOUR of the step shown, -1 = tour not started
TOUR_BTN_START, TOUR_BTN_BACK, TOUR_BTN_NEXT, TOUR_BTN_END = (  # buttons (not in DEFAULTS)
    "tour.btn.start", "tour.btn.back", "tour.btn.next", "tour.btn.end")
URL_LOADED = "url.loaded"  # the shared link's query parameters were applied (on the session's first run)

# ---- class mode: sharing a run, following one (explorer/app/share_ui.py, explorer/views/follow.py) ------
FOLLOW_CODE = "follow.code"  # the room code a student types (text input; the link's ?room= wins)
FOLLOW_COPY_OF = "follow.copy_of"  # which of the lecturer's runs "Take a copy" copies (comparison: a cell)
SHARE_BTN_OPEN, SHARE_BTN_END, FOLLOW_BTN_JOIN, FOLLOW_BTN_COPY = (  # buttons (not in DEFAULTS)
    "share.btn.open", "share.btn.end", "follow.btn.join", "follow.btn.copy")


PLAIN = {  # session state that is not a user setting: its default (explorer/app/settings.py adds the settings')
    LAB_SCRUB: -1,
    LAB_SIGNATURE: None,
    LAB_FIG_CACHE: {},
    DATASETS: {},
    CELL_PLAYING: False,
    CELL_PLAY_TICK: 0.0,
    IO_RESULTS: {},
    BI_RESULT: None,
    CMP_SWEEP_RESULT: None,
    CMP_SIGNATURE: None,
    CMP_FINAL: {},
    CMP_FIG_CACHE: {},
    GF_CLIP_RESULT: None,
    DYN_SIGNATURE: None,
    DYN_FP_CACHE: None,
    DYN_ANALYSIS: None,
    DYN_WHH_INITIAL: None,
    DATA_CURRENT: None,
    DATA_UPLOADS: {},
    DATA_EVAL: None,
    DATA_IMPORT_MSG: None,
    SUGGESTED: None,
    URL_LOADED: False,
}
