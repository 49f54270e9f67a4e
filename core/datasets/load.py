"""``load_dataset``: bytes, a path or a file object -> ``SequenceDataset``, the format detected
(or given). Everything is parsed in memory; nothing is written to disk. Bad input raises
``DatasetError`` naming the file, the place, what was wrong and what is accepted.
"""
from __future__ import annotations

from pathlib import Path

from .archive import TS_TAGS, first_tag, load_ts
from .arff import load_arff
from .formats import load_npz, load_text
from .sniff import shares
from .tables import load_table
from .types import FORMATS, DatasetError, Phrase, SequenceDataset, check_size

TEXT_EXT, CSV_EXT = {".txt", ".text", ".md"}, {".csv", ".tsv", ".tab", ".dat", ".data"}
DEFAULTS = dict(delimiter=None, header=None, feature_columns=None, label_column=None, time_column=None,
                interpolate=False, max_bytes=50 * 2**20, max_columns=2000, max_sequences=100_000)


def _read(data, filename, max_bytes):
    if hasattr(data, "read") and not isinstance(data, (str, Path)):  # a file object or an upload
        filename, data = filename or getattr(data, "name", None), data.read()
    if isinstance(data, (str, Path)):
        p = Path(data)
        if not p.is_file():
            hint = " (to load content, pass it as bytes: text.encode())" if "\n" in str(data) else ""
            raise DatasetError(f"{str(data)[:80]!r}: file not found{hint}",
                               "not_found_content" if hint else "not_found", path=str(data)[:80])
        check_size(filename or p.name, p.stat().st_size, max_bytes)
        return p.read_bytes(), filename or p.name
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise DatasetError(f"expected bytes or a file path, got {type(data).__name__}", "bad_data_type",
                           type=type(data).__name__)
    check_size(filename or Phrase("the upload", "src_upload"), len(data), max_bytes)
    return bytes(data), filename


def _decode(raw: bytes, src: str) -> str:
    nul = raw.find(b"\x00")
    if nul >= 0:
        if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise DatasetError(f"{src} is UTF-16 text; save it as UTF-8 (e.g. 'CSV UTF-8' in Excel)", "utf16",
                               src=src)
        raise DatasetError(f"{src} is a binary file (NUL byte at byte offset {nul}), not CSV/TSV, UTF-8 "
                           "text or NPZ; export spreadsheets as 'CSV UTF-8'", "binary", src=src, offset=nul)
    bom = 3 if raw[:3] == b"\xef\xbb\xbf" else 0
    try:
        return raw[bom:].decode("utf-8")
    except UnicodeDecodeError as e:
        at = e.start + bom
        raise DatasetError(f"{src} is not UTF-8 text: byte 0x{raw[at]:02x} at byte offset {at} is not "
                           "valid UTF-8; save the file as UTF-8 (e.g. 'CSV UTF-8')", "not_utf8",
                           src=src, byte=raw[at], offset=at) from None


def load_dataset(data, filename: str | None = None, format: str | None = None, **options) -> SequenceDataset:
    """Load bytes, a path or a file object; ``format`` (one of FORMATS) skips detection.

    Options: delimiter (None: sniff , ; tab whitespace), header (None: auto), feature_columns
    (names or 0-based indices), label_column, time_column (None: auto, False: none), interpolate,
    max_bytes, max_columns, max_sequences (see DEFAULTS).
    """
    unknown = sorted(set(options) - set(DEFAULTS))
    if unknown:
        raise DatasetError(f"unknown option(s) {unknown}; accepted: {sorted(DEFAULTS)}", "unknown_option",
                           unknown=unknown, accepted=sorted(DEFAULTS))
    o = {**DEFAULTS, **options}
    if isinstance(o["feature_columns"], (str, int)):
        o["feature_columns"] = [o["feature_columns"]]
    if format is not None and format not in FORMATS:
        raise DatasetError(f"unknown format {format!r}; choose one of {FORMATS}, or None to detect it",
                           "unknown_format", format=format, formats=FORMATS)
    raw, filename = _read(data, filename, o["max_bytes"])
    src = str(filename) if filename else Phrase("the uploaded data", "src_data")
    ext = Path(filename).suffix.lower() if filename else ""
    if not raw:
        raise DatasetError(f"{src} is empty (0 bytes); upload a CSV/TSV table, an NPZ archive or UTF-8 text",
                           "empty", src=src)
    notes, fmt = [], format
    if fmt == "npz" or (fmt is None and (raw[:2] == b"PK" or ext == ".npz")):
        ds, fmt = load_npz(raw, src, o), "npz"
    else:
        text = _decode(raw, src)
        if not text.strip():
            raise DatasetError(f"{src} contains only whitespace; it holds no data", "whitespace", src=src)
        if fmt is None and (ext == ".ts" or (ext != ".arff" and first_tag(text, "#") in TS_TAGS)):
            fmt = "ts"  # the UCR/UEA archive formats: by extension, else by their first header line
        elif fmt is None and (ext == ".arff" or first_tag(text, "%") == "@relation"):
            fmt = "arff"
        elif fmt is None:
            rows, cells = shares(text, o["delimiter"], src)
            if ext in TEXT_EXT:
                fmt = "csv" if rows >= 0.9 and cells >= 0.9 else "text"
                notes += [f"read the {ext} file as a numeric table"] if fmt == "csv" else []
            else:
                fmt = "csv" if ext in CSV_EXT or rows >= 0.5 else "text"
        if fmt in ("ts", "arff"):
            ds = (load_ts if fmt == "ts" else load_arff)(text, src, o)
        elif fmt == "text":
            ds = load_text(text, src, o)
        else:
            ds, fmt, table_notes = load_table(text, src, o, fmt)
            notes += table_notes
    ds.name, ds.format, ds.notes = Path(filename).stem if filename else "data", fmt, notes + ds.notes
    return ds
