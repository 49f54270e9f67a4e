"""The UCR/UEA archive formats: .ts (sktime/aeon) and .arff (Weka, UEA relational) read into labelled
sequences, detected by extension or content, with a DatasetError that names the file and the line for
every malformed file. The files are written here, as bytes."""
import numpy as np
import pytest
import torch

from core.datasets import DatasetError, SequenceDataset, dataset_task, load_dataset

TS_UNI = b"""# GunPoint-like, two classes declared in a non-alphabetical order
@problemName Toy
@timeStamps false
@missing false
@univariate true
@equalLength true
@seriesLength 4
@classLabel true pos neg
@data
1.0,2.0,3.0,4.0:neg
0.5,0.25,-1,2e1:pos
# a comment among the cases

4,3,2,1:neg
"""

TS_MULTI = b"""@problemName Motions
@timeStamps false
@missing true
@univariate false
@dimensions 2
@equalLength false
@classLabel true Walk Run
@data
1,2,3,4,5:10,20,30,40,50:Run
1,?,3,?,?:5,6,7,8,9:Walk
1,2,3:4,5:Walk
"""


def ts(header: str, data: str) -> bytes:
    return (header + "\n@data\n" + data).encode()


H = "@problemName P\n@univariate true\n@classLabel true a b"
H2 = "@problemName P\n@univariate false\n@dimensions 2\n@classLabel true a b"

ARFF_UNI = b"""% a univariate ARFF, class last
@relation 'Toy'
@attribute t1 numeric
@attribute t2 numeric
@attribute t3 NUMERIC
@attribute target {pos,neg}

@data
1,2,3,neg
0.5,?,1.5,pos
4,3,?,neg
"""

ARFF_REL = b"""@relation Motions
@attribute relationalAtt relational
  @attribute t0 numeric
  @attribute t1 numeric
  @attribute t2 numeric
@end relationalAtt
@attribute activity {Walk,Run}
@data
'1,2,3\\n10,20,30',Run
"4,5,6\\n7,8,9",Walk
"""


def arff(attrs: str, data: str, relation="@relation r") -> bytes:
    return f"{relation}\n{attrs}\n@data\n{data}".encode()


A3 = "@attribute a numeric\n@attribute b numeric\n@attribute c numeric\n@attribute cls {x,y}"
REL = "@attribute rel relational\n@attribute s0 numeric\n@attribute s1 numeric\n@end rel\n@attribute cls {x,y}"


# ---- reading ------------------------------------------------------------------------------------------

def test_univariate_ts_keeps_the_declared_class_order():
    ds = load_dataset(TS_UNI, "Toy_TRAIN.ts")
    assert (ds.kind, ds.format, ds.name) == ("labelled", "ts", "Toy_TRAIN")
    assert ds.classes == ["pos", "neg"] and ds.labels.tolist() == [1, 0, 1]
    assert ds.labels.dtype == np.int64 and ds.channels == ["value"]
    assert all(s.dtype == np.float32 and s.shape == (4, 1) for s in ds.sequences)
    np.testing.assert_array_equal(ds.sequences[1][:, 0], [0.5, 0.25, -1, 20])
    assert any("problem Toy" in n and "3 cases" in n for n in ds.notes)
    assert ds.summary()["classes"] == {"pos": 1, "neg": 2}


def test_multivariate_ts_with_missing_values_and_unequal_lengths():
    ds = load_dataset(TS_MULTI, "m.ts")
    assert ds.channels == ["dim1", "dim2"] and ds.classes == ["Walk", "Run"] and ds.labels.tolist() == [1, 0, 0]
    np.testing.assert_array_equal(ds.sequences[0], np.array([[1, 10], [2, 20], [3, 30], [4, 40], [5, 50]]))
    # case 2: the inner '?' filled linearly, the trailing '?' make dimension 1 shorter (3 steps), which is
    # then padded with its last value to the 5 steps of dimension 2
    np.testing.assert_array_equal(ds.sequences[1][:, 0], [1, 2, 3, 3, 3])
    np.testing.assert_array_equal(ds.sequences[1][:, 1], [5, 6, 7, 8, 9])
    # case 3: dimension 2 (2 steps) padded to 3
    np.testing.assert_array_equal(ds.sequences[2], np.array([[1, 4], [2, 5], [3, 5]]))
    assert ds.lengths.tolist() == [5, 5, 3]
    text = " | ".join(ds.notes)
    assert "filled 1 missing values" in text and "read as shorter" in text
    assert "2 case(s) with dimensions of different lengths" in text and "unequal lengths: 3 to 5" in text
    assert not any(np.isnan(s).any() for s in ds.sequences)


def test_ts_detected_by_content_and_extension_overrides():
    assert load_dataset(TS_UNI).format == "ts"  # no file name: '@problemName' first
    assert load_dataset(b"@data\n1,2,3\n4,5,6\n".replace(b"@data", b"@classLabel false\n@data")).format == "ts"
    assert load_dataset(TS_UNI, "toy.txt").format == "ts"  # content beats a .txt extension
    assert load_dataset(TS_UNI, "x.csv", "ts").format == "ts"  # format named


def test_ts_header_variants():
    ds = load_dataset(ts("@problemName P\n@dimension 2\n@foo bar\n@classLabel true a b", "1,2:3,4:a\n5,6:7,8:b\n"),
                      "p.ts")
    assert ds.channels == ["dim1", "dim2"] and ds.lengths.tolist() == [2, 2]
    assert any("ignored the unknown header line @foo (line 3)" in n for n in ds.notes)
    crlf = load_dataset(TS_UNI.replace(b"\n", b"\r\n"), "crlf.ts")
    assert crlf.labels.tolist() == [1, 0, 1]


def test_unlabelled_ts_gives_sequences_without_labels():
    ds = load_dataset(ts("@problemName P\n@classLabel false", "1,2,3\n4,5,6,7\n"), "u.ts")
    assert ds.kind == "labelled" and ds.labels is None and ds.classes == [] and ds.lengths.tolist() == [3, 4]
    assert any("@classLabel false" in n for n in ds.notes)
    assert ds.summary()["classes"] == {}
    with pytest.raises(DatasetError, match="has no labels"):  # as for any labelled data without labels
        dataset_task(ds)


def test_ts_and_arff_of_the_same_data_agree():
    a = load_dataset(ts(H, "1,2,3:b\n0.5,0.5,1.5:a\n4,3,2:b\n"), "x.ts")
    b = load_dataset(arff(A3.replace("{x,y}", "{a,b}"), "1,2,3,b\n0.5,0.5,1.5,a\n4,3,2,b\n"), "x.arff")
    assert a.classes == b.classes == ["a", "b"] and a.labels.tolist() == b.labels.tolist() == [1, 0, 1]
    for s, t in zip(a.sequences, b.sequences):
        np.testing.assert_array_equal(s, t)


def test_univariate_arff():
    ds = load_dataset(ARFF_UNI, "Toy_TEST.arff")
    assert (ds.kind, ds.format, ds.channels) == ("labelled", "arff", ["value"])
    assert ds.classes == ["pos", "neg"] and ds.labels.tolist() == [1, 0, 1]
    np.testing.assert_array_equal(ds.sequences[1][:, 0], [0.5, 1.0, 1.5])  # inner '?' filled
    assert ds.lengths.tolist() == [3, 3, 2]  # a trailing '?' shortens the sequence
    assert any("relation Toy" in n and "univariate" in n for n in ds.notes)
    assert load_dataset(ARFF_UNI).format == "arff"  # '@relation' after '%' comments


def test_relational_arff_is_multivariate():
    ds = load_dataset(ARFF_REL, "m.arff")
    assert ds.channels == ["dim1", "dim2"] and ds.classes == ["Walk", "Run"] and ds.labels.tolist() == [1, 0]
    np.testing.assert_array_equal(ds.sequences[0], np.array([[1, 10], [2, 20], [3, 30]]))
    np.testing.assert_array_equal(ds.sequences[1], np.array([[4, 7], [5, 8], [6, 9]]))
    assert any("relational (UEA multivariate), 2 dimensions" in n for n in ds.notes)


def test_arff_without_a_class_and_with_quoted_names():
    ds = load_dataset(arff("@attribute 'step one' numeric\n@attribute \"two\" real\n@attribute c integer",
                           "1,2,3\n4,5,6\n"), "u.arff")
    assert ds.labels is None and ds.lengths.tolist() == [3, 3]
    assert any("no nominal class" in n for n in ds.notes)
    ds = load_dataset(arff(A3.replace("{x,y}", "{'x 1', \"y\"}"), "1,2,3,'x 1'\n4,5,6,y\n"), "q.arff")
    assert ds.classes == ["x 1", "y"] and ds.labels.tolist() == [0, 1]


def test_archive_datasets_become_classification_tasks():
    """Unequal lengths reach the task as zero padding plus lengths; the test file is the validation."""
    ds, test = load_dataset(TS_MULTI, "m.ts"), load_dataset(ARFF_REL, "m_TEST.arff")
    task = dataset_task(ds, test=test)
    assert (task.loss_kind, task.output_size, task.input_size, task.seq_len) == ("cross_entropy", 2, 2, 5)
    assert task.params["format"] == "ts" and task.vocab == ["Walk", "Run"]
    v = task.validation
    assert v.x.shape == (2, 3, 2) and v.y.tolist() == [1, 0]  # the .arff test file, classes by name
    b = task.sampler(8, torch.Generator().manual_seed(0))
    assert b.x.shape[1:] == (5, 2) and b.lengths is not None and set(b.lengths.tolist()) <= {3, 5}


def test_size_limits_hold():
    with pytest.raises(DatasetError, match="max_sequences=2"):
        load_dataset(TS_UNI, "t.ts", max_sequences=2)
    with pytest.raises(DatasetError, match="max_sequences=2"):
        load_dataset(ARFF_UNI, "t.arff", max_sequences=2)
    with pytest.raises(DatasetError, match=r"has 2 dimensions, over the limit of 1 \(max_columns\)"):
        load_dataset(TS_MULTI, "m.ts", max_columns=1)
    with pytest.raises(DatasetError, match=r"has 2 dimensions, over the limit of 1 \(max_columns\)"):
        load_dataset(ARFF_REL, "m.arff", max_columns=1)
    with pytest.raises(DatasetError, match="max_bytes"):
        load_dataset(TS_UNI, "t.ts", max_bytes=100)


# ---- bad files --------------------------------------------------------------------------------------
# (id, data, file name, options, fragment of the message, catalogue key)
ARCHIVE_ERRORS = [
    ("ts-before-data", b"1,2,3:a\n@data\n", "a.ts", {}, "a.ts: line 1 holds data before the @data line",
     "ts_before_data"),
    ("ts-no-data", b"@problemName P\n@classLabel true a b\n", "a.ts", {}, "a.ts has no @data line", "ts_no_data"),
    ("ts-no-class-label", ts("@problemName P", "1,2:a\n"), "a.ts", {}, "the header has no @classLabel line",
     "ts_no_class_label"),
    ("ts-bad-bool", ts("@univariate maybe\n@classLabel true a", "1,2:a\n"), "a.ts", {},
     "line 1: @univariate 'maybe' is not valid; expected true or false", "ts_header_value"),
    ("ts-bad-count", ts("@dimensions two\n@classLabel true a", "1,2:a\n"), "a.ts", {},
     "line 1: @dimensions 'two' is not valid; expected a whole number of at least 1", "ts_header_value"),
    ("ts-no-classes", ts("@classLabel true", "1,2:a\n"), "a.ts", {}, "line 1: '@classLabel true' declares no classes",
     "ts_no_classes"),
    ("ts-timestamps-header", ts("@timeStamps true\n@classLabel true a", "(0,1),(1,2):a\n"), "a.ts", {},
     "line 1: time-stamped values", "ts_timestamps"),
    ("ts-timestamps-data", ts("@classLabel true a", "(0,1),(1,2):a\n"), "a.ts", {}, "line 3: time-stamped values",
     "ts_timestamps"),
    ("ts-regression", ts("@targetLabel true", "1,2:0.5\n"), "a.ts", {}, "'@targetLabel true' marks a regression",
     "ts_regression"),
    ("ts-dimensions-declared", ts(H2, "1,2:3,4:a\n1,2:b\n"), "a.ts", {},
     "line 7 has 1 dimension(s), expected 2 (declared by @dimensions)", "ts_dimensions"),
    ("ts-dimensions-first", ts("@classLabel true a b", "1,2:3,4:a\n1,2:3,4:5,6:b\n"), "a.ts", {},
     "line 4 has 3 dimension(s), expected 2 (as in line 3, the first case)", "ts_dimensions"),
    ("ts-univariate", ts(H, "1,2:a\n1,2:3,4:b\n"), "a.ts", {},
     "line 6 has 2 dimensions but the header says '@univariate true'", "ts_univariate"),
    ("ts-univariate-header", ts("@univariate true\n@dimensions 3\n@classLabel true a", "1,2:a\n"), "a.ts", {},
     "line 2 has 3 dimensions but the header says '@univariate true'", "ts_univariate"),
    ("ts-unknown-label", ts(H, "1,2:a\n3,4:c\n"), "a.ts", {}, "line 6: class 'c' is not declared in @classLabel "
     "(['a', 'b'])", "ts_unknown_label"),
    ("ts-label-missing", ts(H, "1,2:a\n3,4\n"), "a.ts", {}, "line 6: the class label is missing",
     "archive_label_missing"),
    ("ts-label-question", ts(H, "1,2:?\n"), "a.ts", {}, "line 5: the class label is missing", "archive_label_missing"),
    ("ts-not-a-number", ts(H, "1,2:a\n3,x4,5:b\n"), "a.ts", {},
     "line 6, dimension 1, step 2: 'x4' is not a number", "archive_not_a_number"),
    ("ts-empty-value", ts(H, "1,,2:a\n"), "a.ts", {}, "line 5, dimension 1, step 2: '' is not a number",
     "archive_not_a_number"),
    ("ts-no-values", ts(H, "1,2:a\n:b\n"), "a.ts", {}, "line 6, dimension 1 has no values", "archive_empty_dim"),
    ("ts-all-missing", ts(H2, "1,2:3,4:a\n?,?:1,2:b\n"), "a.ts", {}, "line 7, dimension 1 has no values",
     "archive_empty_dim"),
    ("ts-one-step", ts(H, "1,2:a\n5:b\n"), "a.ts", {}, "line 6 has 1 value(s); sequences need at least 2 steps",
     "sequence_too_short"),
    ("ts-infinite", ts(H, "1,inf,2:a\n"), "a.ts", {}, "line 5, dimension 1, step 2 is infinite", "infinite_at"),
    ("ts-series-length", ts(H + "\n@seriesLength 3", "1,2,3:a\n1,2:b\n"), "a.ts", {},
     "line 7, dimension 1 has 2 values but '@seriesLength 3' is declared", "ts_series_length"),
    ("ts-equal-length", ts(H + "\n@equalLength true", "1,2,3:a\n1,2:b\n"), "a.ts", {},
     "line 7, dimension 1 has 2 values, line 6 has 3; '@equalLength true'", "ts_equal_length"),
    ("ts-equal-length-in-case", ts(H2 + "\n@equalLength true", "1,2,3:4,5:a\n"), "a.ts", {},
     "line 7, dimension 2 has 2 values, line 7 has 3", "ts_equal_length"),
    ("ts-no-cases", ts(H, "# nothing\n\n"), "a.ts", {}, "a.ts: @data is followed by no cases", "archive_no_cases"),
    ("ts-too-many", ts(H, "1,2:a\n" * 3), "a.ts", {"max_sequences": 2}, "has 3 sequences, over max_sequences=2",
     "too_many_sequences"),
    ("ts-too-many-dims", ts("@classLabel true a", "1,2:3,4:5,6:a\n"), "a.ts", {"max_columns": 2},
     "has 3 dimensions, over the limit of 2 (max_columns)", "too_many_channels"),
    ("arff-bad-line", b"@relation r\nhello\n@data\n", "a.arff", {}, "line 2: 'hello' is not an ARFF header line",
     "arff_bad_line"),
    ("arff-no-relation", b"1,2,3\n", "a.arff", {}, "line 1: '1,2,3' is not an ARFF header line", "arff_bad_line"),
    ("arff-no-data", arff(A3, "").replace(b"@data\n", b""), "a.arff", {}, "a.arff has no @data line", "arff_no_data"),
    ("arff-bad-attribute", arff("@attribute", "1\n"), "a.arff", {}, "line 2: cannot read the attribute '@attribute'",
     "arff_attribute"),
    ("arff-string-attribute", arff("@attribute a numeric\n@attribute s string", "1,x\n"), "a.arff", {},
     "line 3: attribute 's' has type 'string'", "arff_attribute_type"),
    ("arff-layout", arff("@attribute c {x,y}\n@attribute a numeric", "x,1\n"), "a.arff", {},
     "the attributes (nominal, numeric) are not a sequence layout", "arff_layout"),
    ("arff-unterminated", arff("@attribute rel relational\n@attribute s0 numeric\n@attribute cls {x,y}", "'1,2',x\n"),
     "a.arff", {}, "line 2: relational attribute 'rel' is not closed by '@end rel'", "arff_unterminated"),
    ("arff-unterminated-eof", b"@relation r\n@attribute rel relational\n@attribute s0 numeric\n", "a.arff", {},
     "relational attribute 'rel' is not closed", "arff_unterminated"),
    ("arff-row-count", arff(A3, "1,2,3,x\n1,2,x\n"), "a.arff", {}, "line 8 has 3 values but 4 attributes are declared",
     "arff_row_count"),
    ("arff-rel-row-count", arff(REL, "'1,2\\n3,4',x\n'1,2,3\\n4,5,6',y\n"), "a.arff", {},
     "line 9, dimension 1 has 3 values but 2 attributes are declared", "arff_row_count"),
    ("arff-rel-dimensions", arff(REL, "'1,2\\n3,4',x\n'1,2',y\n"), "a.arff", {},
     "line 9 has 1 dimension(s), expected 2 (as in the first case)", "arff_dimensions"),
    ("arff-unknown-class", arff(A3, "1,2,3,x\n1,2,3,z\n"), "a.arff", {},
     "line 8: class 'z' is not among the values of 'cls' (['x', 'y'])", "arff_unknown_class"),
    ("arff-class-missing", arff(A3, "1,2,3,?\n"), "a.arff", {}, "line 7: the class label is missing",
     "archive_label_missing"),
    ("arff-not-a-number", arff(A3, "1,two,3,x\n"), "a.arff", {}, "line 7, dimension 1, step 2: 'two' is not a number",
     "archive_not_a_number"),
    ("arff-quote", arff(REL, "'1,2\\n3,4,x\n"), "a.arff", {}, "line 8: a quote is not closed", "arff_quote"),
    ("arff-sparse", arff(A3, "{0 1, 3 x}\n"), "a.arff", {}, "line 7: sparse rows ({...}) are not supported",
     "arff_sparse"),
    ("arff-empty-dim", arff(REL, "'1,2\\n',x\n"), "a.arff", {}, "line 8, dimension 2 has no values",
     "archive_empty_dim"),
    ("arff-no-cases", arff(A3, "% none\n"), "a.arff", {}, "a.arff: @data is followed by no cases", "archive_no_cases"),
]


@pytest.mark.parametrize("case", ARCHIVE_ERRORS, ids=[c[0] for c in ARCHIVE_ERRORS])
def test_bad_archive_files_raise_a_dataset_error(case):
    _, data, name, kw, fragment, key = case
    with pytest.raises(DatasetError) as e:
        load_dataset(data, name, **kw)
    assert fragment in str(e.value) and name in str(e.value)
    assert e.value.key == key


@pytest.mark.parametrize("seed", range(3))
def test_mangled_archive_files_only_ever_raise_dataset_error(seed):
    """Random byte edits and truncations of valid .ts / .arff files: a dataset or a DatasetError."""
    rng = np.random.default_rng(seed)
    for src, name in ((TS_UNI, "f.ts"), (TS_MULTI, "f.ts"), (ARFF_UNI, "f.arff"), (ARFF_REL, "f.arff")):
        for _ in range(60):
            b = bytearray(src)
            if rng.random() < 0.3:
                b = b[:int(rng.integers(0, len(b)))]
            for _ in range(int(rng.integers(1, 4))):
                if b:
                    b[int(rng.integers(0, len(b)))] = int(rng.choice([10, 34, 39, 44, 58, 63, 64, 92, 123, 48,
                                                                      int(rng.integers(32, 127))]))
            try:
                ds = load_dataset(bytes(b), name)
            except DatasetError:
                continue
            assert isinstance(ds, SequenceDataset) and ds.kind == "labelled"
            assert all(s.dtype == np.float32 and s.ndim == 2 and not np.isnan(s).any() for s in ds.sequences)
            ds.summary()
