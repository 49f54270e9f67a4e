"""core.budget: limits from the machine, estimates checked against real allocations (small sizes)."""
from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from core import budget as B
from core import build_model

ROOT = Path(__file__).resolve().parents[2]

# One training step in a fresh process: the peak resident memory (VmHWM, reset first) minus the
# memory before building the model. Every allocation of 4 KB or more is its own mapping
# (MALLOC_MMAP_THRESHOLD_), so freed memory leaves the resident set and the peak is what the step held.
MEASURE = r"""
import gc, json, re, sys, torch
from core import Trainer, build_model, get_task
torch.set_num_threads(1)
def mem():
    s = open("/proc/self/status").read()
    return [int(re.search(k + r":\s+(\d+)", s)[1]) * 1024 for k in ("VmRSS", "VmHWM")]
kind, B, T, H, L, D, V = json.loads(sys.argv[1])
warm = get_task("delayed_recall", seq_len=5)
Trainer(build_model("rnn", warm.input_size, 4, warm.output_size), warm, batch_size=2, device="cpu").step()
task = get_task("delayed_recall", seq_len=T, n_symbols=V)
gc.collect()
base = mem()[0]
open("/proc/self/clear_refs", "w").write("5")
model = build_model(kind, task.input_size, H, task.output_size, num_layers=L, bidirectional=D, head=task.head)
Trainer(model, task, batch_size=B, device="cpu").step()
print(mem()[1] - base)
"""


def measured_step(kind, batch, seq_len, hidden, layers=1, bidir=False, symbols=4) -> int:
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "4096", "PYTHONPATH": str(ROOT)}
    args = json.dumps([kind, batch, seq_len, hidden, layers, bidir, symbols])
    out = subprocess.run([sys.executable, "-c", MEASURE, args],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    return int(out.stdout.split()[-1])


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux's peak-RSS reset")
@pytest.mark.parametrize("kind,batch,seq_len,hidden,layers,bidir,symbols", [
    ("rnn", 16, 50, 1024, 1, False, 4),  # parameters and Adam state dominate
    ("lstm", 64, 200, 128, 1, False, 4),  # activations dominate
    ("gru", 32, 100, 128, 2, True, 4),  # stacked, both directions
    ("lstm", 16, 200, 32, 1, False, 1000),  # a wide one-hot vocabulary: inputs and logits dominate
])
def test_train_step_estimate_within_factor_two_of_measured(kind, batch, seq_len, hidden, layers, bidir, symbols):
    from core import get_task
    task = get_task("delayed_recall", seq_len=seq_len, n_symbols=symbols)
    est = B.train_step(kind, batch, seq_len, task.input_size, hidden, task.output_size, layers=layers,
                       bidirectional=bidir, head=task.head, loss_kind=task.loss_kind).total
    got = measured_step(kind, batch, seq_len, hidden, layers, bidir, symbols)
    assert got > 2 * B.MB  # the measurement saw the step at all
    assert got / 2 <= est <= got * 2, (est, got)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("head,layers,bidir", [("per_step", 1, False), ("last", 2, True), ("attention", 1, True),
                                               ("encoder_decoder", 2, False)])
def test_param_count_is_exact(kind, head, layers, bidir):
    m = build_model(kind, 5, 12, 3, num_layers=layers, bidirectional=bidir and head != "encoder_decoder",
                    head=head, out_steps=4 if head == "encoder_decoder" else None)
    assert B.param_count(kind, 5, 12, 3, layers=layers, bidirectional=bidir, head=head) == \
        sum(p.numel() for p in m.parameters())


def test_estimate_scales_with_every_size():
    base = B.train_step("lstm", 32, 100, 4, 64, 4).total
    for kw in ({"batch": 64}, {"seq_len": 200}, {"hidden": 128}):
        args = {"batch": 32, "seq_len": 100, "hidden": 64, **kw}
        bigger = B.train_step("lstm", args["batch"], args["seq_len"], 4, args["hidden"], 4).total
        assert 1.8 * base < bigger < 4.5 * base
    assert B.train_step("rnn", 32, 100, 4, 64, 4).total < B.train_step("gru", 32, 100, 4, 64, 4).total < base
    # a large vocabulary: one-hot inputs and logits grow with it
    assert B.train_step("lstm", 32, 100, 2000, 64, 2000, loss_kind="cross_entropy").parts["inputs"] >= 32 * 100 * 2000 * 4


def test_over_budget_says_what_is_too_big_and_what_to_reduce():
    est = B.train_step("lstm", 256, 1000, 1, 512, 1)
    assert est.total > 4 * B.GB
    with pytest.raises(B.BudgetError) as e:
        B.check_train_step(est, int(1.5 * B.GB), kind="lstm", batch=256, seq_len=1000, hidden=512)
    msg = str(e.value)
    assert "batch 256 × length 1000 × 512 hidden" in msg and "1.5 GB" in msg and "reduce" in msg
    assert e.value.key == "train" and e.value.params["need"] == B.fmt_bytes(est.total)
    again = pickle.loads(pickle.dumps(e.value))  # crosses threads and caches intact
    assert (str(again), again.key, again.params) == (msg, e.value.key, e.value.params)
    B.check_train_step(B.train_step("lstm", 32, 50, 1, 64, 1), int(1.5 * B.GB), kind="lstm", batch=32,
                       seq_len=50, hidden=64)  # fits: no error


def test_data_check_names_the_dataset():
    with pytest.raises(B.BudgetError) as e:
        B.check_data(3 * B.GB, B.GB, name="novel", key="data_text")
    assert e.value.key == "data_text" and "novel" in str(e.value) and "shorter" in str(e.value)
    B.check_data(B.MB, B.GB, name="novel", key="data_text")


def test_machine_budget_from_sizes_and_environment():
    b = B.machine_budget(env={}, total=16 * B.GB, cores=4)
    assert (b.total_bytes, b.cores, b.job_bytes) == (16 * B.GB, 4, B.JOB_CAP)
    assert B.JOB_CAP <= B.GB  # with the server's own ~0.5 GB, one run stays within 1.5 GB
    assert B.machine_budget(env={}, total=2 * B.GB, cores=2).job_bytes == 512 * B.MB
    assert B.machine_budget(env={}, total=512 * B.MB, cores=8).job_bytes == 256 * B.MB  # the floor
    b = B.machine_budget(env={"RNNX_JOB_MB": "300", "RNNX_VAL_MB": "20", "RNNX_MAX_STEPS": "123"},
                         total=16 * B.GB, cores=4)
    assert (b.job_bytes, b.val_bytes, b.max_steps) == (300 * B.MB, 20 * B.MB, 123)
    assert B.machine_budget(env={"RNNX_JOB_MB": "lots"}, total=16 * B.GB, cores=4).job_bytes == B.JOB_CAP
    assert B.total_memory() > 64 * B.MB


def test_batch_cap_fits_the_limit():
    n = B.batch_cap(64 * B.MB, 300, 2000, 2000)
    assert n * B.per_sequence_bytes(300, 2000, 2000) <= 64 * B.MB < (n + 1) * B.per_sequence_bytes(300, 2000, 2000)
    assert B.batch_cap(10, 300, 2000, 2000) == 1 and B.batch_cap(B.GB, 5, 1, 1, most=256) == 256


def test_fmt_bytes():
    assert (B.fmt_bytes(8.1 * B.GB), B.fmt_bytes(640 * B.MB), B.fmt_bytes(12 * 1024)) == ("8.1 GB", "640 MB", "12 KB")


TRACE = r"""
import gc, json, re, sys, torch
from core import build_model, get_task, trace
torch.set_num_threads(1)
def mem():
    s = open("/proc/self/status").read()
    return [int(re.search(k + r":\s+(\d+)", s)[1]) * 1024 for k in ("VmRSS", "VmHWM")]
kind, T, H, L, D = json.loads(sys.argv[1])
warm = get_task("delayed_recall", seq_len=5)
trace(build_model(kind, 4, 4, 4), *warm.sample(2, torch.Generator()), warm)
task = get_task("delayed_recall", seq_len=T)
model = build_model(kind, task.input_size, H, task.output_size, num_layers=L, bidirectional=D)
b = task.sample(6, torch.Generator().manual_seed(0))
gc.collect()
base = mem()[0]
open("/proc/self/clear_refs", "w").write("5")
trace(model, b.x, b.y, task)
print(mem()[1] - base)
"""


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux's peak-RSS reset")
@pytest.mark.parametrize("kind,seq_len,hidden,layers,bidir", [("lstm", 1000, 256, 1, False),
                                                              ("gru", 1000, 128, 2, True)])
def test_trace_estimate_within_factor_two_of_measured(kind, seq_len, hidden, layers, bidir):
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "4096", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", TRACE, json.dumps([kind, seq_len, hidden, layers, bidir])],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    got = int(out.stdout.split()[-1])
    est = B.trace(kind, 6, seq_len, 4, hidden, 4, layers=layers, bidirectional=bidir).total
    assert got > 2 * B.MB and got / 2 <= est <= got * 2, (est, got)


def test_a_job_counts_its_probes_when_they_outweigh_a_step():
    from core import get_task
    task = get_task("delayed_recall", seq_len=1000)
    step = B.train_step("lstm", 1, 1000, 4, 512, 4, loss_kind=task.loss_kind).total
    probe = B.trace("lstm", 6, 1000, 4, 512, 4).total
    assert probe > step
    assert B.check_job(task, "lstm", 512, 1).total == probe  # batch 1: the probe is the larger
    assert B.check_job(task, "lstm", 64, 256, limit=2 * B.GB).total == B.train_step("lstm", 256, 1000, 4, 64, 4,
                                                                     loss_kind="cross_entropy").total
