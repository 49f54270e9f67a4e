"""The Data page's messages in the reader's language: errors (a file that cannot be read, a test
file that does not fit, a bad model or settings file), the reader's notes on what it detected, and
the import messages. Pure (no Streamlit).

core/datasets/ writes its notes as English sentences; ``note_text`` retells each one from the
catalogue (``data.note.*``) by matching it against ``NOTE_PATTERNS``, and leaves a note it does not
know in English.
"""
from __future__ import annotations

import re

from core.budget import BudgetError
from core.datasets import DatasetError
from core.export import ExportError
from core.export_checks import clip

from .data import TestLayoutError
from .data_errors import budget_error_text, dataset_error_text
from ..app.i18n import text


def export_error_text(err: ExportError, lang: str = "en") -> str:
    """An ExportError (core/export.py or this module) in ``lang``: data.export_error.<key>."""
    if not getattr(err, "key", None):
        return str(err)
    params = dict(err.params)
    if "what" in params:
        params["what"] = text(f"data.export_what.{params['what']}", lang)
    return text(f"data.export_error.{err.key}", lang, **params)


MAX_SHOWN = 700  # characters of an error shown on the page (a file never decides how long a message gets)


def error_text(err: Exception, lang: str = "en") -> str:
    """The message of an error the page shows (a file that cannot be read, a preparation that
    does not fit, a bad model or settings file), in ``lang``, at most ``MAX_SHOWN`` characters."""
    return clip(_error_text(err, lang), MAX_SHOWN)


def _error_text(err: Exception, lang: str) -> str:
    if isinstance(err, TestLayoutError):
        (test, train), (tk, rk) = err.names, err.kinds
        return text("data.msg.test_layout", lang, test=test, train=train, test_kind=text(f"data.kind.{tk}", lang),
                    train_kind=text(f"data.kind.{rk}", lang))
    if isinstance(err, ExportError):
        return export_error_text(err, lang)
    if isinstance(err, BudgetError):
        return budget_error_text(err, lang)
    if isinstance(err, DatasetError):
        return dataset_error_text(err, lang)  # core's parse errors: the data_errors catalogue
    if isinstance(err, BudgetError):
        return budget_error_text(err, lang)  # over the server's memory budget
    return str(err)


_COL = r"column (?P<n>\d+)(?: \((?P<name>.*)\))?"
# core.datasets' notes (English sentences) -> (catalogue key under data.note, pattern with its values)
NOTE_PATTERNS = [(key, re.compile(pat)) for key, pat in [
    ("numeric_table", r"read the (?P<ext>\S+) file as a numeric table"),
    ("detected", r"detected format (?P<fmt>\w+) \((?P<why>.*)\)"),
    ("header", r"used row 1 as the header"),
    ("decimal_comma", r"read ',' as the decimal mark"),
    ("row_index", r"dropped column 1: a row index \(0, 1, 2, \.\.\.\), not data"),
    ("empty_column", r"dropped empty column (?P<n>\d+)"),
    ("time_axis_dates", rf"used {_COL} as the time axis \(dates\)"),
    ("time_axis", rf"used {_COL} as the time axis"),
    ("interpolated", r"interpolated (?P<n>\d+) gaps linearly"),
    ("gaps_kept", r"(?P<n>\d+) gaps kept as NaN \(not interpolated\): masked as targets"),
    ("sorted_time", r"sorted the rows by time"),
    ("shorter", r"rows ending in empty cells are shorter sequences"),
    ("sorted_t", r"sorted the rows of each sequence by t"),
    ("x_without_y", r"X without y: one series"),
    ("text_chars", r"(?P<n>\d+) characters, (?P<k>\d+) distinct"),
    # the UCR/UEA archive formats (core.datasets.archive, core.datasets.arff)
    ("ts_file", r"\.ts file, problem (?P<name>.*): (?P<n>\d+) cases, univariate"),
    ("ts_file_multi", r"\.ts file, problem (?P<name>.*): (?P<n>\d+) cases, (?P<f>\d+) dimensions"),
    ("arff_file", r"\.arff file, relation (?P<name>.*): (?P<n>\d+) cases, univariate"),
    ("arff_file_multi", r"\.arff file, relation (?P<name>.*): (?P<n>\d+) cases, relational \(UEA multivariate\), "
                        r"(?P<f>\d+) dimensions"),
    ("unknown_header", r"ignored the unknown header line (?P<tag>\S+) \(line (?P<line>\d+)\)"),
    ("archive_shorter", r"(?P<n>\d+) dimension\(s\) ending in missing values \('\?'\) read as shorter"),
    ("archive_filled", r"filled (?P<n>\d+) missing values \('\?'\) linearly from their neighbours"),
    ("archive_padded", r"(?P<n>\d+) case\(s\) with dimensions of different lengths: the shorter dimensions "
                       r"padded with their last value"),
    ("unequal_lengths", r"unequal lengths: (?P<lo>\d+) to (?P<hi>\d+) steps"),
    ("ts_unlabelled", r"@classLabel false: sequences without labels \(classification needs labels\)"),
    ("arff_unlabelled", r"no nominal class attribute last: sequences without labels \(classification needs labels\)"),
]]
WHY_PATTERNS = [(key, re.compile(pat)) for key, pat in [
    ("why_sequence_id", r"a 'sequence_id' column"), ("why_named", r"first column named (?P<name>.*)"),
    ("why_labels", r"first column holds a few labels, one sequence per row"), ("why_rows", r"rows are time steps"),
]]


def _retell(sentence: str, patterns, lang: str) -> str | None:
    for key, pat in patterns:
        m = pat.fullmatch(sentence)
        if m:
            vals = {k: v for k, v in m.groupdict().items()}
            if key == "detected":
                vals["why"] = _retell(vals["why"], WHY_PATTERNS, lang) or vals["why"]
            if key.startswith("time_axis"):
                n, name = vals.pop("n"), vals.pop("name")
                vals["col"] = text("data.note.col_named" if name else "data.note.col", lang, n=n, name=name)
            return text(f"data.note.{key}", lang, **vals)
    return None


def note_text(note: str, lang: str = "en") -> str:
    """One of the dataset's notes (what the reader detected or did) in ``lang``; English notes
    stay as core wrote them, and a note without a translation stays English."""
    if lang == "en":
        return str(note)
    return _retell(str(note), NOTE_PATTERNS, lang) or str(note)


def message_text(msg: tuple, lang: str = "en") -> str:
    """The text of an import message ``(level, key, values)``; ``values`` may hold an error."""
    _, key, values = msg
    vals = {k: error_text(v, lang) if isinstance(v, Exception) else v for k, v in values.items()}
    return text(key, lang, **vals)
