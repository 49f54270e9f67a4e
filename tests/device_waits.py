"""What would make the host wait for a GPU, seen on the CPU with torch's ``meta`` device.

A meta tensor has a device and a shape but no data: a read back (``.item()``, ``.cpu()``) raises
there, as it would wait for the GPU's queue on CUDA. The other way round, host to device, raises
nothing on meta, so ``DeviceWaits`` watches every operator call (a ``TorchDispatchMode``) and
lists those that would block on CUDA:

- a copy to the device without ``non_blocking=True`` (torch synchronises the stream after a
  blocking host-to-device copy, pinned or not);
- an operator given device tensors and a CPU tensor of one or more dimensions (say, a meta
  tensor indexed by CPU indices): the kernel copies the CPU tensor over, blocking. A CPU tensor
  of no dimensions is a scalar, read on the host, and is fine; so are the lengths that packing
  takes on the CPU by contract.
"""
from __future__ import annotations

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

# operators whose CPU arguments (lengths, batch sizes) are read on the host by design
CPU_BY_CONTRACT = ("aten._pack_padded_sequence", "aten._pad_packed_sequence",
                   "aten.lstm.data", "aten.gru.data", "aten.rnn_tanh.data", "aten.rnn_relu.data")


class DeviceWaits(TorchDispatchMode):
    """Records, in ``waits``, each operator call that would make the host wait on CUDA, as
    (operator name, why)."""

    def __init__(self, device: str = "meta"):
        super().__init__()
        self.device = device
        self.waits: list[tuple[str, str]] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = str(func)
        tensors = [t for t in tree_flatten((args, kwargs))[0] if isinstance(t, torch.Tensor)]
        to = kwargs.get("device")
        if name in ("aten._to_copy.default", "aten.copy_.default") and not kwargs.get("non_blocking", False):
            src = tensors[-1] if name == "aten.copy_.default" else tensors[0]
            dst = tensors[0].device if name == "aten.copy_.default" else (to and torch.device(to))
            if src.device.type == "cpu" and dst is not None and dst.type == self.device:
                self.waits.append((name, f"blocking copy of {tuple(src.shape)} to the device"))
        elif not name.startswith(CPU_BY_CONTRACT):
            on_device = any(t.device.type == self.device for t in tensors)
            cpu = [tuple(t.shape) for t in tensors if t.device.type == "cpu" and t.dim() > 0]
            if on_device and cpu:
                self.waits.append((name, f"CPU tensor(s) {cpu} with device tensors"))
        return func(*args, **kwargs)
