"""Uploaded data -> ``SequenceDataset`` -> a training ``Task``.

One module a concern, every import pointing one way (nothing here imports ``load`` but this file):

- ``types``: ``SequenceDataset``, ``DatasetError``, ``Phrase`` and the helpers all formats share;
- ``tables``: CSV/TSV tables (one series, wide, long); ``formats``: NPZ and UTF-8 text;
  ``archive`` and ``arff``: the UCR/UEA archive's .ts and .arff files;
- ``load``: ``load_dataset`` (detects the format and calls one of the above);
- ``task``: ``dataset_task`` (a dataset -> a Task: splits, standardisation, pooling).
"""
from .load import DEFAULTS, load_dataset
from .task import MODES, classify_split, dataset_task
from .types import FORMATS, MIN_TEXT, DatasetError, Phrase, SequenceDataset

__all__ = ["FORMATS", "DEFAULTS", "MIN_TEXT", "MODES", "DatasetError", "Phrase", "SequenceDataset", "load_dataset",
           "dataset_task", "classify_split"]
