"""One cache for the pages' computed arrays, bounded by BYTES across the whole server.

``st.cache_data(max_entries=64)`` bounds entries, not memory: 64 gradient-flow results at T=1000,
H=512 held gigabytes. Here every page shares one least-recently-used store whose total size (numpy
arrays, torch tensors and the objects holding them, measured from the values themselves) stays
under ``cache_bytes()``; the oldest entries go first, and a value larger than the whole budget is
returned but never kept. Thread-safe: every session's script thread uses the same store.
"""
from __future__ import annotations

import os
import sys
import threading
from collections import OrderedDict
from dataclasses import fields, is_dataclass
from typing import Callable, Hashable

import numpy as np
import streamlit as st

MB = 2**20
DEFAULT_CACHE_MB = 256  # the server-wide default (RNNX_CACHE_MB overrides; capped at 1/16 of the memory)


def cache_bytes(env=None, total: int | None = None) -> int:
    """The store's budget: ``RNNX_CACHE_MB`` if set, else 256 MB or 1/16 of the memory if less."""
    from core.budget import total_memory

    env = os.environ if env is None else env
    try:
        mb = float(env.get("RNNX_CACHE_MB", "") or "nan")
    except ValueError:
        mb = float("nan")
    if mb == mb and mb >= 0:
        return int(mb * MB)
    total = total_memory() if total is None else int(total)
    return int(min(DEFAULT_CACHE_MB * MB, total // 16))


def nbytes(value, _seen: set | None = None) -> int:
    """Bytes held by ``value``: numpy arrays and torch tensors (their storage), and everything
    reachable through dicts, lists, tuples, sets, dataclasses and plain objects' attributes
    (torch modules by their parameters and buffers); anything else by ``sys.getsizeof``."""
    seen = set() if _seen is None else _seen
    if id(value) in seen:
        return 0
    seen.add(id(value))
    if isinstance(value, np.ndarray):
        return int(value.nbytes) if value.base is None else int(value.nbytes) + nbytes(value.base, seen)
    mod = type(value).__module__
    if mod.startswith("torch"):
        import torch
        if isinstance(value, torch.Tensor):
            return int(value.element_size() * value.nelement())
        if isinstance(value, torch.nn.Module):
            return sum(nbytes(t, seen) for t in (*value.parameters(), *value.buffers()))
        return sys.getsizeof(value)
    if isinstance(value, dict):
        return sys.getsizeof(value) + sum(nbytes(k, seen) + nbytes(v, seen) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return sys.getsizeof(value) + sum(nbytes(v, seen) for v in value)
    if is_dataclass(value) and not isinstance(value, type):
        return sys.getsizeof(value) + sum(nbytes(getattr(value, f.name, None), seen) for f in fields(value))
    if hasattr(value, "__dict__") and not isinstance(value, type) and not callable(value):
        return sys.getsizeof(value) + nbytes(vars(value), seen)
    return sys.getsizeof(value)


class ByteLRU:
    """A thread-safe least-recently-used store bounded by the bytes of its values."""

    def __init__(self, budget: int):
        self.budget = int(budget)  # most bytes kept
        self._items: OrderedDict = OrderedDict()  # key -> (value, bytes), oldest first
        self._bytes = 0
        self._lock = threading.Lock()
        self._busy: dict = {}  # key -> Lock held while one thread computes it (others wait, then read)

    @property
    def total(self) -> int:
        """Bytes held now."""
        with self._lock:
            return self._bytes

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __contains__(self, key) -> bool:
        with self._lock:
            return key in self._items

    def get(self, key, default=None):
        with self._lock:
            if key not in self._items:
                return default
            self._items.move_to_end(key)
            return self._items[key][0]

    def put(self, key: Hashable, value, size: int | None = None) -> bool:
        """Keep ``value`` (evicting the oldest entries to make room); False if it alone is over budget."""
        size = nbytes(value) if size is None else int(size)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            if size > self.budget:
                return False
            while self._items and self._bytes + size > self.budget:
                _, (_, s) = self._items.popitem(last=False)
                self._bytes -= s
            self._items[key] = (value, size)
            self._bytes += size
            return True

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def get_or_compute(self, key: Hashable, compute: Callable[[], object]):
        """The value under ``key``, computed once by ``compute()`` when missing (another thread asking
        for the same key meanwhile waits for that result instead of computing it again)."""
        hit = self.get(key, _MISSING)
        if hit is not _MISSING:
            return hit
        with self._lock:
            busy = self._busy.setdefault(key, threading.Lock())
        with busy:
            hit = self.get(key, _MISSING)
            if hit is not _MISSING:
                return hit
            try:
                value = compute()
                self.put(key, value)
                return value
            finally:
                with self._lock:
                    self._busy.pop(key, None)


_MISSING = object()


@st.cache_resource(show_spinner=False)
def shared() -> ByteLRU:
    """The server's one store (created once per process, by Streamlit's resource cache)."""
    return ByteLRU(cache_bytes())


def cached(fn: Callable, *args, key: tuple = ()):
    """``fn(*args)`` through the shared store, keyed by ``fn``'s name, ``args`` (hashable) and ``key``
    (extra identity for arguments that are not part of the key, e.g. a job id and step)."""
    return shared().get_or_compute((fn.__module__, fn.__qualname__, *(key or args)), lambda: fn(*args))
