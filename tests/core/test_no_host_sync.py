"""No host sync between readbacks, checked on the CPU with torch's ``meta`` device as a stand-in
for a GPU: a meta tensor has a device and a shape but no data, so anything that reads a value
back to the host (``.item()``, ``float()``, ``.cpu()``, ``bool()`` of a tensor) raises there, as
it would wait for the GPU's queue on CUDA. Mixing devices raises too, as it would on CUDA.

``Trainer.advance`` must take ``readback_every - 1`` steps on meta, then fail at the readback
(which proves the stand-in sees a read back). Those steps must not wait the other way either:
no blocking copy to the device, no CPU index into a device tensor (``tests/device_waits.py``)."""
import numpy as np
import pytest
import torch

from core import Trainer, build_model, get_task
from core.datasets import SequenceDataset, dataset_task
from tests.device_waits import DeviceWaits

N = 4  # readback_every in these tests


def _labelled_varlen(n=24, seed=1) -> SequenceDataset:
    rng = np.random.default_rng(seed)
    seqs = [rng.normal(size=(int(rng.integers(3, 11)), 2)).astype(np.float32) for _ in range(n)]
    return SequenceDataset("labelled", seqs, labels=np.arange(n) % 3, classes=["a", "b", "c"],
                           channels=["f0", "f1"], name="varlen")


def _series_with_gaps() -> SequenceDataset:
    v = np.sin(np.arange(400, dtype=np.float32) / 7)[:, None]
    v[::37] = np.nan  # gaps: NaN targets, masked in the loss
    return SequenceDataset("series", [v], channels=["x"], gaps=int(np.isnan(v).sum()), name="gappy")


TASKS = {
    "sine": lambda: get_task("sine"),
    "temporal_order": lambda: get_task("temporal_order"),
    "char_lm": lambda: get_task("char_lm", seq_len=16),
    "upload_varlen": lambda: dataset_task(_labelled_varlen()),
    "upload_varlen_attention": lambda: dataset_task(_labelled_varlen()),
    "upload_gaps": lambda: dataset_task(_series_with_gaps(), window=20),
}
HEADS = {"upload_varlen_attention": "attention"}


@pytest.mark.parametrize("task_name", list(TASKS))
@pytest.mark.parametrize("kind,layers,bidir", [("rnn", 1, False), ("lstm", 2, False), ("gru", 1, True)])
@pytest.mark.parametrize("clip", [None, 1.0])
def test_advance_reads_nothing_back_until_the_readback(task_name, kind, layers, bidir, clip):
    task = TASKS[task_name]()
    head = HEADS.get(task_name, task.head)
    if bidir and head == "per_step":
        head = task.head  # a bidirectional per-step model is allowed: keep the task's head
    model = build_model(kind, task.input_size, 8, task.output_size, head=head, out_steps=task.out_steps,
                        num_layers=layers, bidirectional=bidir, seed=0)
    tr = Trainer(model, task, device="meta", seed=0, readback_every=N, clip=clip)
    with DeviceWaits() as seen:
        for i in range(N - 1):
            assert tr.advance() == [] and tr.pending == i + 1
    assert seen.waits == [], f"these would make the host wait for the GPU: {sorted(set(seen.waits))}"
    with pytest.raises((RuntimeError, NotImplementedError)):
        tr.advance()  # the N-th step reads the losses back: on meta there is nothing to read


def test_variable_length_batches_keep_sorted_lengths_on_the_cpu():
    task = dataset_task(_labelled_varlen())
    tr = Trainer(build_model("gru", 2, 8, 3, head="last", seed=0), task, device="cpu", seed=0, batch_size=16)
    gen = torch.Generator().manual_seed(0)
    for _ in range(3):
        b = tr.next_batch()
        L = b.lengths
        assert L.device.type == "cpu" and L.shape == (16,)
        assert (L[:-1] >= L[1:]).all(), "lengths must come sorted, longest first"
        pad = torch.arange(b.x.shape[1])[None] >= L[:, None]
        assert (b.x[pad] == 0).all() and (b.x[~pad].abs().sum(-1) > 0).all()  # rows moved with their lengths
    # the same sequences as the unsorted sample, in another order
    raw = task.sample(16, gen)
    tr2 = Trainer(build_model("gru", 2, 8, 3, head="last", seed=0), task, device="cpu", seed=0, batch_size=16)
    b = tr2.next_batch()
    key = lambda x, y: sorted((tuple(np.round(xi.numpy().ravel(), 5)), int(yi)) for xi, yi in zip(x, y))  # noqa: E731
    assert key(b.x, b.y) == key(raw.x, raw.y)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("head", ["last", "attention", "per_step"])
def test_sorted_and_unsorted_lengths_give_the_same_outputs(kind, head):
    """Sorted lengths take packing's enforce_sorted path: the outputs must equal the general path's,
    row for row (the oracle is the same model on the unsorted batch)."""
    g = torch.Generator().manual_seed(0)
    L = torch.tensor([5, 9, 3, 9, 7, 4])
    x = torch.randn(6, 9, 2, generator=g) * (torch.arange(9)[None, :, None] < L[:, None, None])
    model = build_model(kind, 2, 8, 3, head=head, seed=0, bidirectional=kind == "gru")
    order = torch.argsort(L, descending=True, stable=True)
    ref = model(x, L)
    got = model(x[order], L[order])
    if head == "per_step":  # padded steps are not defined; compare the valid ones
        valid = torch.arange(9)[None] < L[order][:, None]
        torch.testing.assert_close(got[valid], ref[order][valid], atol=1e-6, rtol=1e-5)
    else:
        torch.testing.assert_close(got, ref[order], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("kind,layers", [("rnn", 1), ("lstm", 2), ("gru", 1)])
@pytest.mark.parametrize("head", ["last", "attention", "per_step"])
def test_the_padded_pass_equals_the_packed_pass_and_its_gradients(kind, layers, head):
    """Forward-only models run variable lengths padded (no packing); the oracle is the packed
    pass through torch's own ``pack_padded_sequence`` (``encode`` + ``head_forward``), in float64."""
    g = torch.Generator().manual_seed(1)
    L = torch.tensor([5, 9, 3, 9, 7, 1])
    x = torch.randn(6, 9, 2, generator=g, dtype=torch.float64) * (torch.arange(9)[None, :, None] < L[:, None, None])
    model = build_model(kind, 2, 8, 3, head=head, num_layers=layers, seed=0).double()
    assert model._runs_padded()
    fast = model(x, L)
    grads_fast = torch.autograd.grad(fast.square().sum(), list(model.parameters()), allow_unused=True)
    ref, _ = model.head_forward(*model.encode(x, L), L, n_steps=9)
    grads_ref = torch.autograd.grad(ref.square().sum(), list(model.parameters()), allow_unused=True)
    torch.testing.assert_close(fast, ref, atol=1e-12, rtol=1e-10)
    for a, b in zip(grads_fast, grads_ref):
        if b is None:
            assert a is None or not a.abs().any()
        else:
            torch.testing.assert_close(a, b, atol=1e-12, rtol=1e-10)


@pytest.mark.parametrize("kw", [dict(kind="rnn", nonlinearity="relu"), dict(kind="rnn", nonlinearity="linear"),
                                dict(kind="gru", bidirectional=True), dict(kind="lstm", head="encoder_decoder")])
def test_models_that_need_packing_keep_it(kw):
    kw = {"head": "last", **kw}
    model = build_model(kw.pop("kind"), 2, 8, 3, seed=0, **kw)
    assert not model._runs_padded()


def test_the_wait_detector_sees_blocking_copies_and_cpu_indices():
    """The detector above must see what it claims to: each of these would block on CUDA."""
    m = torch.zeros(4, 3, device="meta")
    idx = torch.tensor([0, 2])
    cases = {"blocking copy": lambda: torch.ones(3).to("meta"),
             "blocking copy_": lambda: m[0].copy_(torch.ones(3)),
             "CPU index": lambda: m[idx],
             "CPU index_select": lambda: m.index_select(0, idx)}
    for what, fn in cases.items():
        with DeviceWaits() as seen:
            fn()
        assert seen.waits, f"{what} went unseen"
    with DeviceWaits() as seen:  # and what does not block passes
        torch.ones(3).to("meta", non_blocking=True)
        m * torch.tensor(2.0)  # a CPU scalar is read on the host
        m[idx.to("meta", non_blocking=True)]
    assert seen.waits == []


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (the meta checks above stand in)")
@pytest.mark.parametrize("task_name", list(TASKS))
@pytest.mark.parametrize("kind,layers,bidir", [("rnn", 1, False), ("lstm", 2, False), ("gru", 1, True)])
def test_on_cuda_no_step_between_readbacks_waits_for_the_device(task_name, kind, layers, bidir):
    """The real thing on a GPU: ``torch.cuda.set_sync_debug_mode("error")`` raises on any call that
    makes the host wait for the device (a read back, a blocking copy, a boolean mask's ``nonzero``).
    The steps between readbacks must pass under it; the readback itself must not (so the mode is
    seen to work)."""
    task = TASKS[task_name]()
    head = HEADS.get(task_name, task.head)
    model = build_model(kind, task.input_size, 8, task.output_size, head=head, out_steps=task.out_steps,
                        num_layers=layers, bidirectional=bidir, seed=0)
    tr = Trainer(model, task, device="cuda", seed=0, readback_every=N, clip=1.0)
    for _ in range(N):  # warm-up: lazy initialisation, cuDNN plans, the first readback
        tr.advance()
    assert tr.pending == 0
    torch.cuda.set_sync_debug_mode("error")
    try:
        for i in range(N - 1):
            assert tr.advance() == [] and tr.pending == i + 1
        with pytest.raises(RuntimeError):
            tr.advance()  # the readback: one wait, on purpose
    finally:
        torch.cuda.set_sync_debug_mode(0)
