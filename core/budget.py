"""Memory limits of a shared server, and what a job, a dataset task or a trace will cost.

Every estimate is computed from sizes alone, BEFORE anything is allocated, so a request that would
not fit is refused with a message saying what to reduce (``BudgetError``) instead of taking the
server down. The figures are what torch really keeps (checked against the peak resident memory of
real steps in tests/core/test_budget.py, within a factor of 2):

- a training step: the batch, the activations autograd keeps for backward (per cell kind, layer
  and direction), the head's outputs and their gradients, the parameters with their gradients,
  the optimiser's moments and the trainer's rollback copy;
- a dataset task: its training arrays and its fixed validation batch;
- a forward pass (validation, probes) and a trace of a few sequences.

Limits come from the machine (``machine_budget()``: total memory, cores) and can be overridden by
environment variables (``RNNX_JOB_MB``, ``RNNX_VAL_MB``, ``RNNX_PAGE_MB``, ``RNNX_MAX_STEPS``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

MB = 2**20
GB = 2**30
# Bytes autograd keeps per (batch x step x hidden unit) of one layer and direction, in float32
# units: measured with saved-tensor hooks on torch's CPU kernels (vanilla RNN ~2.2, GRU ~8.1,
# LSTM ~17.6 to 20.6), rounded up for the working memory of the backward pass.
SAVED_PER_UNIT = {"rnn": 3, "gru": 11, "lstm": 18}
GATES = {"rnn": 1, "gru": 3, "lstm": 4}  # weight blocks per cell
# Copies of a batch's inputs (B, T, F) alive during a step, the batch itself included: torch's CPU
# kernels copy the input once; the LSTM's (oneDNN) also keeps a reordered copy, its gradient and a
# workspace, which dominate with wide inputs (1,000 channels, one-hot vocabularies). Measured.
INPUT_COPIES = {"rnn": 2, "gru": 2, "lstm": 6}
ATTN_SIZE = 32  # core.models.AttentionHead's default attention width
PROBE_SEQUENCES = 6  # sequences a job traces at each probe (explorer.jobs.training_job.PROBE_SEQUENCES)
# Most one job may use: the server itself (torch, Streamlit, the pages) holds ~0.5 GB, so a server
# running one such job stays within 1.5 GB (bench/robust.py measures exactly that).
JOB_CAP = 1 * GB
COPIES = {"adam": 5, "sgd": 4}  # parameter, gradient, (Adam: two moments | SGD: momentum), rollback copy


@dataclass(frozen=True)
class Budget:
    """Memory limits of this server (bytes), shared by all sessions."""

    total_bytes: int  # physical memory of the machine
    cores: int  # CPU cores (the default number of jobs that run at once)
    job_bytes: int  # most one training job may ask for (a step plus its data); RNNX_JOB_MB
    val_bytes: int  # most one fixed validation / probe batch may hold (inputs and outputs); RNNX_VAL_MB
    page_bytes: int  # most one page computation (a figure's analysis, a link) may ask for; RNNX_PAGE_MB
    max_steps: int  # longest sequence an upload keeps (longer ones are truncated); RNNX_MAX_STEPS


def total_memory() -> int:
    """Physical memory in bytes (sysconf, else /proc/meminfo, else 4 GB)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        pass
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 4 * GB


def _env_mb(env, name: str, default: int) -> int:
    v = env.get(name, "")
    try:
        return int(float(v) * MB) if v.strip() and float(v) > 0 else default
    except ValueError:
        return default


def machine_budget(env=None, total: int | None = None, cores: int | None = None) -> Budget:
    """Limits derived from this machine, each overridable by an environment variable.

    Args:
        env: the environment to read (default ``os.environ``).
        total, cores: the machine's memory and cores (default: measured).
    Returns:
        a ``Budget``: a job may use 1/(2 x cores) of the memory, between 256 MB and ``JOB_CAP`` (1 GB;
        every core may run a job, and half the memory stays for the server and its pages).
    """
    env = os.environ if env is None else env
    total = total_memory() if total is None else int(total)
    cores = max(1, os.cpu_count() or 1) if cores is None else max(1, int(cores))
    job = _env_mb(env, "RNNX_JOB_MB", int(min(JOB_CAP, max(256 * MB, total // (2 * cores)))))
    val = _env_mb(env, "RNNX_VAL_MB", min(128 * MB, max(16 * MB, job // 8)))
    page = _env_mb(env, "RNNX_PAGE_MB", job)
    try:
        steps = max(2, int(env.get("RNNX_MAX_STEPS", "") or 5000))
    except ValueError:
        steps = 5000
    return Budget(total, cores, job, val, page, steps)


def fmt_bytes(n: float) -> str:
    """"8.1 GB", "640 MB", "12 KB" (powers of 1024)."""
    if n >= GB:
        return f"{n / GB:.1f} GB"
    if n >= MB:
        return f"{n / MB:.0f} MB"
    return f"{max(1, round(n / 1024))} KB"


class BudgetError(ValueError):
    """A request over the server's memory budget, refused before anything was allocated.

    ``str(e)`` is the English message; ``key`` is its catalogue key (``budget.<key>`` in
    explorer/locales) and ``params`` the values that text takes, as for ``DatasetError``.
    """

    def __init__(self, message: str, key: str, **params):
        super().__init__(message)
        self.key, self.params = key, params

    def __reduce__(self):
        return _rebuild, (self.args[0], self.key, self.params)


def _rebuild(message, key, params):
    return BudgetError(message, key, **params)


@dataclass(frozen=True)
class Estimate:
    """Bytes a computation will need: ``total`` and its ``parts`` (name -> bytes)."""

    parts: dict

    @property
    def total(self) -> int:
        return int(sum(self.parts.values()))


def param_count(kind: str, input_size: int, hidden: int, output_size: int, *, layers: int = 1,
                bidirectional: bool = False, head: str = "per_step") -> int:
    """Parameters of ``core.models.build_model`` with these arguments (exact)."""
    g, D, H = GATES[kind], 2 if bidirectional and head != "encoder_decoder" else 1, hidden
    n = 0
    for layer in range(layers):
        f = input_size if layer == 0 else D * H
        n += D * g * H * (f + H + 2)
    state = D * H
    if head in ("per_step", "last"):
        n += state * output_size + output_size
    elif head == "attention":
        n += state * ATTN_SIZE + ATTN_SIZE + 2 * state * ATTN_SIZE // 2 + ATTN_SIZE
        n += 2 * state * output_size + output_size
    else:  # encoder_decoder: a decoder of the same kind reading one input
        n += sum(g * H * ((1 if layer == 0 else H) + H + 2) for layer in range(layers))
        n += H * output_size + output_size
    return n


def train_step(kind: str, batch: int, seq_len: int, input_size: int, hidden: int, output_size: int, *,
               layers: int = 1, bidirectional: bool = False, head: str = "per_step",
               out_steps: int | None = None, loss_kind: str = "mse", optimizer: str = "adam") -> Estimate:
    """Bytes of one training step (float32) with everything it keeps alive.

    Args mirror ``build_model`` and ``Trainer``: ``batch`` B, ``seq_len`` T, ``input_size`` F,
    ``hidden`` H, ``output_size`` O (classes for cross-entropy).
    """
    B, T, F, H, O = int(batch), int(seq_len), int(input_size), int(hidden), int(output_size)
    D = 2 if bidirectional and head != "encoder_decoder" else 1
    steps_out = {"per_step": T, "encoder_decoder": int(out_steps or T)}.get(head, 1)
    target = B * steps_out * (8 if loss_kind == "cross_entropy" else 4 * O)
    acts = 4 * B * T * H * D * layers * SAVED_PER_UNIT[kind]
    if head == "encoder_decoder":
        acts += 4 * B * steps_out * H * layers * SAVED_PER_UNIT[kind]
    elif head == "attention":
        acts += 4 * B * T * ATTN_SIZE * 3
    n = param_count(kind, F, H, O, layers=layers, bidirectional=bidirectional, head=head)
    return Estimate({"inputs": 4 * B * T * F * INPUT_COPIES[kind] + target, "activations": acts,
                     "outputs": 3 * 4 * B * steps_out * O,  # outputs, log-softmax / error, their gradient
                     "parameters": 4 * n * COPIES.get(optimizer, 5)})


def forward(kind: str, batch: int, seq_len: int, input_size: int, hidden: int, output_size: int, *,
            layers: int = 1, bidirectional: bool = False, head: str = "per_step",
            out_steps: int | None = None) -> Estimate:
    """Bytes of a forward pass without gradients (validation): inputs, one layer's states, outputs."""
    B, T = int(batch), int(seq_len)
    D = 2 if bidirectional and head != "encoder_decoder" else 1
    steps_out = {"per_step": T, "encoder_decoder": int(out_steps or T)}.get(head, 1)
    return Estimate({"inputs": 4 * B * T * input_size, "states": 4 * B * T * D * hidden * 2 * GATES[kind],
                     "outputs": 2 * 4 * B * steps_out * output_size})


def trace(kind: str, n: int, seq_len: int, input_size: int, hidden: int, output_size: int, *,
          layers: int = 1, bidirectional: bool = False) -> Estimate:
    """Bytes of ``core.trace`` on ``n`` sequences (a job's probe): the fused kernel's states of
    every layer and direction, then the last layer rebuilt step by step (gates, states, cell
    states, dL/dh) in float64 and as numpy copies."""
    D = 2 if bidirectional else 1
    rebuilt = GATES[kind] + 2 + (1 if kind == "lstm" else 0)  # gates, h, dL/dh, (LSTM) c
    units = int(n) * int(seq_len) * int(hidden)
    return Estimate({"fused_states": 4 * units * D * layers, "rebuilt": 8 * 2 * units * rebuilt,
                     "io": 4 * int(n) * int(seq_len) * (int(input_size) + int(output_size)) * 2})


def per_sequence_bytes(seq_len: int, input_size: int, output_size: int, per_step_output: bool = True) -> int:
    """Bytes of one sequence of a fixed batch in float32: its inputs and its outputs."""
    return 4 * int(seq_len) * (int(input_size) + (int(output_size) if per_step_output else 0)) + 4 * int(output_size)


def batch_cap(limit: int, seq_len: int, input_size: int, output_size: int, per_step_output: bool = True,
              most: int | None = None) -> int:
    """The most sequences a fixed batch (validation, probes) may hold within ``limit`` bytes (>= 1)."""
    n = max(1, int(limit) // max(1, per_sequence_bytes(seq_len, input_size, output_size, per_step_output)))
    return n if most is None else min(n, int(most))


def check_train_step(est: Estimate, limit: int, *, kind: str, batch: int, seq_len: int, hidden: int,
                     layers: int = 1, input_size: int = 1) -> None:
    """Raise ``BudgetError`` (key ``train``) when a training step needs more than ``limit``."""
    need = est.total
    if need <= limit:
        return
    what = "the batch, the length or the hidden size"
    key = "train"
    if est.parts.get("inputs", 0) + est.parts.get("outputs", 0) > need / 2 and input_size > 64:
        key, what = "train_wide", "the batch or the length (the data has many channels or symbols)"
    raise BudgetError(f"batch {batch} × length {seq_len} × {hidden} hidden ({kind.upper()}, {layers} "
                      f"layer(s)) needs ~{fmt_bytes(need)}; this server allows {fmt_bytes(limit)} a run: "
                      f"reduce {what}", key, batch=int(batch), length=int(seq_len), hidden=int(hidden),
                      kind=kind.upper(), layers=int(layers), need=fmt_bytes(need), limit=fmt_bytes(limit))


DATA_ADVICE = {  # catalogue key -> what to reduce, for each kind of upload
    "data_series": "use a shorter window or fewer columns",
    "data_text": "use a shorter sequence length or a shorter text",
    "data_labelled": "use fewer or shorter sequences",
}


def check_data(need: int, limit: int, *, name: str, key: str) -> None:
    """Raise ``BudgetError`` (``key``: one of ``DATA_ADVICE``) when preparing dataset ``name``
    needs more than ``limit`` bytes."""
    if need <= limit:
        return
    raise BudgetError(f"preparing {name} needs ~{fmt_bytes(need)}; this server allows {fmt_bytes(limit)} "
                      f"a dataset: {DATA_ADVICE[key]}", key, name=name, need=fmt_bytes(need),
                      limit=fmt_bytes(limit))


def check_job(task, kind: str, hidden: int, batch: int, *, layers: int = 1, bidirectional: bool = False,
              head: str | None = None, optimizer: str = "adam", limit: int | None = None) -> Estimate:
    """Estimate one training step of a model on ``task`` (a ``core.tasks.Task``: its longest
    sequence, inputs, outputs and head) and raise ``BudgetError`` over ``limit`` (default: this
    server's ``job_bytes``), before the model is built. Returns the estimate."""
    head = head or task.head
    est = train_step(kind, batch, task.seq_len, task.input_size, hidden, task.output_size, layers=layers,
                     bidirectional=bidirectional, head=head, out_steps=task.out_steps,
                     loss_kind=task.loss_kind, optimizer=optimizer)
    probe = trace(kind, PROBE_SEQUENCES, task.seq_len, task.input_size, hidden, task.output_size, layers=layers,
                  bidirectional=bidirectional)
    if probe.total > est.total:  # the job's probes run between steps: the larger of the two counts
        est = Estimate({**est.parts, "activations": est.parts["activations"] + probe.total - est.total})
    check_train_step(est, machine_budget().job_bytes if limit is None else limit, kind=kind, batch=batch,
                     seq_len=task.seq_len, hidden=hidden, layers=layers, input_size=task.input_size)
    return est
