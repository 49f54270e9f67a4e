"""The server's byte-bounded store (explorer.app.cache) and the pages' cost estimates (core.page_costs)."""
import threading
from dataclasses import dataclass

import numpy as np
import pytest
import torch

from core.budget import BudgetError
from core.page_costs import Cost, check_page, flow_cost, page_seconds
from explorer.app.cache import ByteLRU, cache_bytes, nbytes

MB = 2**20


@dataclass
class Holder:
    a: np.ndarray
    extra: dict


def test_nbytes_measures_arrays_tensors_and_what_holds_them():
    a = np.zeros((100, 1000))  # 800,000 bytes
    t = torch.zeros(50, 100)  # 20,000 bytes
    assert 800_000 <= nbytes(a) < 800_200
    assert nbytes({"x": a, "y": [t, t]}) == pytest.approx(820_000, rel=0.01)  # the same tensor counts once
    assert nbytes(Holder(a, {"t": t})) == pytest.approx(820_000, rel=0.01)
    assert nbytes(torch.nn.Linear(100, 100)) == pytest.approx(4 * (100 * 100 + 100), rel=0.01)


def test_eviction_is_by_bytes_oldest_first():
    lru = ByteLRU(3 * MB)
    for k in "abc":
        assert lru.put(k, np.zeros(MB // 8 - 16))  # just under 1 MB each
    assert len(lru) == 3 and lru.total <= 3 * MB
    lru.get("a")  # a is now the most recent: b goes first
    lru.put("d", np.zeros(MB // 8 - 16))
    assert "b" not in lru and {"a", "c", "d"} <= {k for k in "abcd" if k in lru}
    lru.put("big", np.zeros(2 * MB // 8))  # 2 MB: two entries make room
    assert lru.total <= 3 * MB and "big" in lru and len(lru) == 2


def test_a_value_over_the_whole_budget_is_returned_but_not_kept():
    lru = ByteLRU(MB)
    lru.put("small", np.zeros(10))
    v = lru.get_or_compute("huge", lambda: np.zeros(MB))  # 8 MB
    assert v.shape == (MB,) and "huge" not in lru and "small" in lru


def test_threads_compute_a_key_once_and_keep_the_total_bounded():
    lru = ByteLRU(4 * MB)
    calls = []
    gate = threading.Event()

    def slow():
        calls.append(1)
        gate.wait(10)
        return np.ones(MB // 8)

    out = []
    threads = [threading.Thread(target=lambda: out.append(lru.get_or_compute("k", slow))) for _ in range(4)]
    for th in threads:
        th.start()
    while not calls:
        threading.Event().wait(0.01)
    gate.set()
    for th in threads:
        th.join(10)
    assert len(calls) == 1 and len(out) == 4 and all(o is out[0] for o in out)

    def writer(i):
        for j in range(50):
            lru.put((i, j), np.zeros(MB // 16))  # 0.5 MB each
            assert lru.total <= 4 * MB

    ws = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for w in ws:
        w.start()
    for w in ws:
        w.join(30)
    assert lru.total <= 4 * MB and len(lru) == 8


def test_cache_budget_from_env_or_machine():
    assert cache_bytes({"RNNX_CACHE_MB": "32"}) == 32 * MB
    assert cache_bytes({}, total=1024 * MB) == 64 * MB
    assert cache_bytes({}, total=64 * 1024 * MB) == 256 * MB


def test_flow_cost_refuses_the_gigabyte_link_and_allows_the_defaults():
    big = flow_cost(("rnn", "lstm", "gru"), 1000, 512)
    with pytest.raises(BudgetError) as e:
        check_page(big, key="page.flow", limit_bytes=1536 * MB, limit_s=10)
    assert "reduce the sequence length, the hidden size or the number of cells" in str(e.value)
    assert e.value.key == "page.flow" and e.value.params["limit_s"] == "10"
    check_page(flow_cost(("rnn", "lstm", "gru"), 200, 64), key="page.flow", limit_bytes=1536 * MB, limit_s=10)
    one = flow_cost(("rnn",), 1000, 512)
    assert one.seconds < big.seconds / 4 and one.bytes < big.bytes
    # bytes: the largest trace plus the gates kept (LSTM: 4 x B x T x H float64)
    assert big.bytes >= 8 * 8 * 1000 * 512 * 7
    with pytest.raises(BudgetError):
        check_page(Cost(2 * MB, 1.0), key="page.flow", limit_bytes=MB, limit_s=10)
    assert page_seconds({"RNNX_PAGE_S": "3"}) == 3 and page_seconds({}) == 10
