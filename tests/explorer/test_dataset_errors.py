"""Dataset errors in two languages: every DatasetError raised in core carries a catalogue key,
the English catalogue text equals the engine's message, and the Korean text is Korean (its
places, rules and default names translated too)."""
import ast
import importlib
import io
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.datasets import DatasetError, Phrase, SequenceDataset, dataset_task, load_dataset
from explorer.app import i18n
from explorer.views.data_errors import dataset_error_text
from tests.core.test_dataset_archive import ARCHIVE_ERRORS
from tests.core.test_datasets import CORPUS, GOOD_ROW, TASK_ERRORS, _labelled, _wide, _zip, npz, series
from tests.i18n_check import has_hangul, untranslated_ko

ROOT = Path(__file__).resolve().parents[2]
EN, KO = i18n.catalogue("en"), i18n.catalogue("ko")
PREFIX = "data_errors."
# the modules themselves (core/__init__ re-exports a function named dataset_task over the module name)
FORMATS_MOD, TASK_MOD = importlib.import_module("core.datasets.formats"), importlib.import_module("core.datasets.task")


def _npy(a) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


def _text_ds():
    return load_dataset(("ab " * 40).encode(), "t.txt")


# Raise sites that tests/core/test_datasets.py does not reach: (id, make the error, expected key).
EXTRA = [
    ("not-found", lambda: load_dataset("/nonexistent/file.csv"), "not_found"),
    ("max-steps", lambda: dataset_task(_labelled([0, 1, 0, 1]), max_steps=0), "max_steps"),
    ("not-found-content", lambda: load_dataset("a,b\n1,2\n"), "not_found_content"),
    ("bad-data-type", lambda: load_dataset(123), "bad_data_type"),
    ("too-large-unnamed", lambda: load_dataset(b"1,2\n" * 10, max_bytes=5), "too_large"),
    ("single-column", lambda: load_dataset(b"hello world\nfoo bar\n", "a.csv", delimiter=";"), "single_column"),
    ("csv-field-limit", lambda: load_dataset(b"a,b\n3," + b"x" * 140_000 + b"\n" + b"1,2\n" * 5, "a.csv"),
     "csv_unreadable"),
    ("open-quote", lambda: load_dataset(b'a,b\n1,"2\n3,4\n5,6\n', "a.csv"), "open_quote"),
    ("csv-error", lambda: load_dataset(b"a,b\n" + b"1,2\n" * 101 + b"3," + b"x" * 140_000 + b"\n", "a.csv"),
     "csv_error"),
    ("time-not-increasing", lambda: load_dataset(b"t,v\n3,1\n2,2\n1,3\n", "a.csv", time_column="t"),
     "time_not_increasing"),
    ("no-value-columns", lambda: load_dataset(b"date\n2020-01-01\n2020-01-02\n2020-01-03\n", "a.csv", header=True),
     "no_value_columns"),
    ("no-numbers", lambda: load_dataset(b"a\nNaN\nNaN\nNaN\n", "a.csv", header=True), "no_numbers"),
    ("unknown-time-column", lambda: load_dataset(b"a,b\n1,2\n3,4\n", "a.csv", time_column="zz"), "unknown_column"),
    ("unknown-value-column", lambda: load_dataset(b"label,t1,t2,t3\n1,0.1,0.2,0.3\n2,0.1,0.2,0.3\n", "w.csv",
                                                  "csv_wide", feature_columns=["zz"]), "unknown_column"),
    ("no-sequence-id-column", lambda: load_dataset(b"id,t,x,label\na,0,1,x\na,1,2,x\n", "l.csv", "csv_long"),
     "unknown_column"),
    ("short-wide-row", lambda: load_dataset(_wide([[1, *GOOD_ROW], [2, 0.5, "", "", ""], [1, *GOOD_ROW]]), "w.csv",
                                            "csv_wide"), "sequence_too_short"),
    ("sequence-id-missing", lambda: load_dataset(b"sequence_id,t,x,label\na,0,1,x\n,1,2,x\nb,0,1,y\nb,1,2,y\n",
                                                 "l.csv"), "sequence_id_missing"),
    ("long-no-features", lambda: load_dataset(b"sequence_id,t,label\na,0,x\na,1,x\n", "l.csv"), "long_no_features"),
    ("npz-read-failed", lambda: load_dataset(_zip({"X.npy": b"\x93NUMPY\x01\x00" + b"garbage" * 10}), "d.npz"),
     "npz_read_failed"),
    ("npz-not-npy", lambda: load_dataset(_zip({"X": b"raw", "a.npy": _npy(np.ones(3))}), "d.npz"), "npz_not_npy"),
    ("npz-too-large", lambda: load_dataset(npz(X=np.ones((6, 3)), y=np.arange(6)), "d.npz", max_sequences=5),
     "x_too_large"),
    ("npz-series-inf", lambda: load_dataset(npz(X=np.array([[1.0, np.inf, 3]])), "d.npz"), "infinite_at"),
    ("npz-series-short", lambda: load_dataset(npz(X=np.ones((1, 1))), "d.npz"), "npz_series_short"),
    ("npz-y-complex", lambda: load_dataset(npz(X=np.ones((2, 3)), y=np.array([1 + 1j, 2])), "d.npz"), "y_dtype"),
    ("text-many-chars", lambda: load_dataset(("abcdefghij" * 20).encode(), "a.txt", max_columns=5),
     "text_too_many_chars"),
    ("unknown-kind", lambda: dataset_task(SequenceDataset("weird", [])), "unknown_kind"),
    ("text-mode", lambda: dataset_task(_text_ds(), mode="classify"), "mode_mismatch"),
    ("no-targets", lambda: dataset_task(series(np.arange(50.0)), target_channels=[]), "no_targets"),
    ("window-zero", lambda: dataset_task(series(np.arange(50.0)), window=0), "window_horizon"),
    ("window-with-test", lambda: dataset_task(series(np.arange(20.0)), window=30, test=series(np.arange(50.0))),
     "window_too_long"),
    ("test-too-short", lambda: dataset_task(series(np.arange(100.0)), window=10, test=series(np.arange(5.0))),
     "test_too_short"),
    ("no-labels", lambda: dataset_task(SequenceDataset("labelled", [np.ones((3, 1), np.float32)] * 2)), "no_labels"),
    ("test-no-labels", lambda: dataset_task(_labelled([0, 1] * 3), test=SequenceDataset(
        "labelled", [np.ones((5, 1), np.float32)] * 2)), "test_no_labels"),
]


def _fail(exc, msg):
    raise exc(msg)


# Failures of libraries that no crafted file reaches reliably: the library call is replaced.
PATCHED = [
    ("parse-failed", (pd, "read_csv"), lambda: load_dataset(b"a,b\n1,2\n3,4\n", "a.csv"), "parse_failed"),
    ("npz-open-failed", (FORMATS_MOD.np, "load"), lambda: load_dataset(npz(X=np.ones((2, 3))), "d.npz"),
     "npz_open_failed"),
    ("text-task", (TASK_MOD, "char_lm"), lambda: dataset_task(_text_ds()), "text_task"),
]


def _corpus_error(case) -> DatasetError:
    _, data, name, kw, _ = case
    kw = dict(kw)
    fmt = kw.pop("format", None)
    with pytest.raises(DatasetError) as e:
        load_dataset(data, name, fmt, **kw)
    return e.value


def _raised(make) -> DatasetError:
    with pytest.raises(DatasetError) as e:
        make()
    return e.value


def _phrases(params: dict):
    for v in params.values():
        if isinstance(v, Phrase):
            yield v
            yield from _phrases(v.params)


def _keys(err: DatasetError) -> set:
    return {err.key} | {p.key for p in _phrases(err.params)}


def _check(err: DatasetError):
    """English = the engine's message; Korean differs, is Korean, and has no English part left."""
    assert err.key and PREFIX + err.key in EN, err.key
    en, ko = dataset_error_text(err, "en"), dataset_error_text(err, "ko")
    assert en == str(err)
    assert ko != en and has_hangul(ko) and not untranslated_ko(ko)
    for p in _phrases(err.params):  # places, rules and default names are translated too
        assert str(p) not in ko, (err.key, str(p))


@pytest.mark.parametrize("case", CORPUS, ids=[c[0] for c in CORPUS])
def test_corpus_errors_in_both_languages(case):
    _check(_corpus_error(case))


@pytest.mark.parametrize("case", TASK_ERRORS, ids=[c[0] for c in TASK_ERRORS])
def test_task_errors_in_both_languages(case):
    _check(_raised(case[1]))


@pytest.mark.parametrize("case", EXTRA, ids=[c[0] for c in EXTRA])
def test_other_errors_in_both_languages(case):
    _, make, key = case
    err = _raised(make)
    assert err.key == key
    _check(err)


def _archive_error(case) -> DatasetError:
    _, data, name, kw, _, _ = case
    return _raised(lambda: load_dataset(data, name, **kw))


@pytest.mark.parametrize("case", ARCHIVE_ERRORS, ids=[c[0] for c in ARCHIVE_ERRORS])
def test_archive_errors_in_both_languages(case):
    """.ts / .arff errors (tests/core/test_dataset_archive.py): places such as "line 7, dimension 2"
    and the expected header values are told in Korean too."""
    err = _archive_error(case)
    assert err.key == case[5]
    _check(err)


def test_archive_places_in_korean():
    err = _archive_error(next(c for c in ARCHIVE_ERRORS if c[0] == "ts-not-a-number"))
    assert "6번째 줄, 1번째 차원, 2번째 단계" in dataset_error_text(err, "ko")
    err = _archive_error(next(c for c in ARCHIVE_ERRORS if c[0] == "ts-bad-bool"))
    assert dataset_error_text(err, "ko").endswith("기대하는 값: true 또는 false")


@pytest.mark.parametrize("case", PATCHED, ids=[c[0] for c in PATCHED])
def test_library_failures_in_both_languages(case, monkeypatch):
    _, (owner, attr), make, key = case
    monkeypatch.setattr(owner, attr, lambda *a, **k: _fail(ValueError, "boom"))
    err = _raised(make)
    assert err.key == key and "boom" in str(err)
    _check(err)


def test_every_catalogue_key_is_reached_by_an_error(monkeypatch):
    """Each data_errors text (messages and their parts) is produced by some error above, so the
    English = message check covers all of them."""
    reached = set()
    for case in CORPUS:
        reached |= _keys(_corpus_error(case))
    for _, make, *_ in TASK_ERRORS + EXTRA:
        reached |= _keys(_raised(make))
    for case in ARCHIVE_ERRORS:
        reached |= _keys(_archive_error(case))
    for _, (owner, attr), make, _ in PATCHED:
        with monkeypatch.context() as m:
            m.setattr(owner, attr, lambda *a, **k: _fail(ValueError, "boom"))
            reached |= _keys(_raised(make))
    assert sorted(k[len(PREFIX):] for k in EN if k.startswith(PREFIX) and k[len(PREFIX):] not in reached) == []
    assert len({k for k in reached if "." not in k and k not in
                {"bytes", "src_upload", "src_data", "col", "col_named", "row", "cell", "where", "indices",
                 "sequence_x"}}) >= 70  # distinct messages


# ---- every raise in core names its key -------------------------------------------------------------

def _calls(path: Path):
    """(call, file:line) of every DatasetError(...), _err(...) and Phrase(...) call, except the
    one inside ``_err`` (core.datasets.task's factory, which passes its own ``key`` argument on)."""
    tree = ast.parse(path.read_text(), str(path))
    inner = {id(c) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and f.name == "_err"
             for c in ast.walk(f)}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and id(node) not in inner
                and node.func.id in ("DatasetError", "_err", "Phrase")):
            yield node, f"{path.name}:{node.lineno}"


def _key_values(call: ast.Call):
    """The key argument as a list of possible constant values (both branches of `a if c else b`),
    None when absent; a dynamic part ("what." + what) gives its constant prefix + "*"."""
    kw = {k.arg: k.value for k in call.keywords}
    key = call.args[1] if len(call.args) > 1 else kw.get("key")
    if key is None:
        return None
    branches = [key.body, key.orelse] if isinstance(key, ast.IfExp) else [key]
    out = []
    for b in branches:
        if isinstance(b, ast.Constant) and isinstance(b.value, str):
            out.append(b.value)
        elif isinstance(b, ast.BinOp) and isinstance(b.left, ast.Constant):
            out.append(b.left.value + "*")
        else:
            out.append(None)
    return out


def test_every_dataset_error_in_core_has_a_key():
    sites, missing, unknown = 0, [], []
    for path in sorted((ROOT / "core").rglob("*.py")):
        for call, where in _calls(path):
            sites += call.func.id != "Phrase"
            keys = _key_values(call)
            if keys is None:
                missing.append(where)
                continue
            for k in keys:
                ok = k is not None and (
                    any(e.startswith(PREFIX + k[:-1]) for e in EN) if k.endswith("*")
                    else PREFIX + k in EN and PREFIX + k in KO)
                if not ok:
                    unknown.append(f"{where} {k}")
    assert missing == [] and unknown == []
    assert sites >= 70  # raise sites in core/ (core/datasets/ holds most)


# ---- fallbacks and plumbing ---------------------------------------------------------------------------

def test_errors_without_a_usable_key_fall_back_to_the_message():
    assert dataset_error_text(DatasetError("plain words"), "ko") == "plain words"
    assert dataset_error_text(ValueError("not ours"), "ko") == "not ours"
    assert dataset_error_text(DatasetError("odd", "no_such_key"), "ko") == "odd"
    # a key whose values are missing: the message rather than a crash
    assert dataset_error_text(DatasetError("short", "empty"), "ko") == "short"
    err = DatasetError("a.csv is empty (0 bytes); upload a CSV/TSV table, an NPZ archive or UTF-8 text", "empty",
                       src="a.csv")
    assert dataset_error_text(err, "xx") == str(err)  # unknown language: English


def test_error_keeps_message_key_and_params_through_pickling():
    err = _corpus_error(next(c for c in CORPUS if c[0] == "non-numeric-series"))
    assert isinstance(err, ValueError) and err.args == (str(err),)
    back = pickle.loads(pickle.dumps(err))
    assert str(back) == str(err) and back.key == err.key == "not_a_number"
    assert dataset_error_text(back, "ko") == dataset_error_text(err, "ko")
    assert "3행, 2열 ('b')" in dataset_error_text(back, "ko")


def test_phrase_is_the_english_string():
    p = Phrase("row 3", "row", row=3)
    assert p == "row 3" and f"{p}!" == "row 3!" and p.key == "row" and p.params == {"row": 3}
    assert pickle.loads(pickle.dumps(p)).params == {"row": 3}


def test_placeholders_match_between_languages():
    keys = [k for k in EN if k.startswith(PREFIX)]
    assert len(keys) >= 90
    assert [k for k in keys if i18n.placeholders(EN[k]) != i18n.placeholders(KO.get(k, ""))] == []


def test_budget_errors_in_both_languages():
    from core import budget as B
    from explorer.views.data_errors import budget_error_text
    errors = []
    for est, kw in ((B.train_step("lstm", 256, 1000, 1, 512, 1), dict(input_size=1)),
                    (B.train_step("lstm", 256, 1000, 3000, 8, 3000, loss_kind="cross_entropy"), dict(input_size=3000))):
        with pytest.raises(B.BudgetError) as e:
            B.check_train_step(est, B.GB, kind="lstm", batch=256, seq_len=1000, hidden=512, **kw)
        errors.append(e.value)
    for key in B.DATA_ADVICE:
        with pytest.raises(B.BudgetError) as e:
            B.check_data(2 * B.GB, B.GB, name="novel", key=key)
        errors.append(e.value)
    assert {e.key for e in errors} == {"train", "train_wide", *B.DATA_ADVICE}
    for e in errors:
        assert budget_error_text(e, "en") == str(e)  # the catalogue's English is core's message
        ko = budget_error_text(e, "ko")
        assert ko != str(e) and e.params["need"] in ko and e.params["limit"] in ko
