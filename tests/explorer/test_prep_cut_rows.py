"""The Data page's preparation rows name the sequences cut as length outliers."""
import numpy as np

from core.datasets import SequenceDataset, dataset_task
from explorer.views.data import preparation_rows


def _labelled(lengths, seed=0):
    rng = np.random.default_rng(seed)
    seqs = [rng.normal(size=(n, 1)).astype(np.float32) for n in lengths]
    return SequenceDataset("labelled", seqs, np.arange(len(lengths)) % 2, ["a", "b"], ["x"], name="long")


def test_the_data_page_lists_the_cut_sequences():
    ds = _labelled([2] * 300 + [5000])
    task = dataset_task(ds, val_fraction=0.2)
    rows = dict(preparation_rows(task, ds, "en"))
    assert rows["Cut sequences"].startswith("1 longer than 64 steps")
    assert any("64 스텝" in v for _, v in preparation_rows(task, ds, "ko"))
