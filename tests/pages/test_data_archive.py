"""The Data page with the UCR/UEA archive formats: a .ts training file and an .arff test file are
read, summarised and trained on; a malformed .ts gives its message (in Korean too); the readers'
notes are told in both languages."""
import numpy as np

from core.datasets import load_dataset
from explorer.views import data_text as DT
from explorer.app import state
from explorer.app.i18n import text
from tests.core.test_dataset_archive import ARFF_REL, ARFF_UNI, TS_MULTI, TS_UNI, ts
from tests.i18n_check import has_hangul, untranslated_ko
from tests.pages.conftest import open_page, press
from tests.pages.test_data import errors, jobs, upload
from tests.pages.test_i18n_pages import open_in

PAGE = "pages/data.py"


def sines(n, seed, T=30):
    """(values, class) of n noisy sines of two classes, 'up' and 'down', alternating."""
    rng = np.random.default_rng(seed)
    return [(np.sin(np.linspace(0, 3 + 3 * (i % 2), T)) + rng.normal(0, 0.1, T), ("up", "down")[i % 2])
            for i in range(n)]


def ts_file(n, seed, T=30) -> bytes:
    """A univariate .ts file of ``sines`` (classes declared as 'up down')."""
    rows = [",".join(f"{x:.4f}" for x in v) + ":" + c for v, c in sines(n, seed, T)]
    return ("@problemName Sines\n@timeStamps false\n@univariate true\n@equalLength true\n"
            f"@seriesLength {T}\n@classLabel true up down\n@data\n" + "\n".join(rows) + "\n").encode()


def arff_file(n, seed, T=30) -> bytes:
    """The same data as a univariate .arff file."""
    head = "@relation Sines\n" + "".join(f"@attribute t{j} numeric\n" for j in range(T))
    rows = [",".join(f"{x:.4f}" for x in v) + "," + c for v, c in sines(n, seed, T)]
    return (head + "@attribute class {up,down}\n@data\n" + "\n".join(rows) + "\n").encode()


def test_ts_training_file_and_arff_test_file_then_train():
    at = open_page(PAGE)
    upload(at, state.DATA_FILE, "Sines_TRAIN.ts", ts_file(40, 0))
    upload(at, state.DATA_TEST_FILE, "Sines_TEST.arff", arff_file(20, 1))
    assert not at.exception and not errors(at)
    entry = at.session_state[state.DATASETS]["Sines_TRAIN"]
    ds, test = entry["dataset"], entry["test"]
    assert (ds.format, test.format) == ("ts", "arff") and ds.classes == test.classes == ["up", "down"]
    md = " ".join(m.value for m in at.markdown)
    assert "**Sequences:** 40" in md and ".ts file, problem Sines: 40 cases, univariate" in md
    assert "**Test:** 20 (test file 'Sines_TEST'; scored only" in md and "**Validation sequences:** 8 (stratified" in md
    press(at, state.DATA_BTN_USE)
    assert not at.exception and at.session_state[state.LAB_TASK] == "upload:Sines_TRAIN"
    at.switch_page("pages/training_lab.py").run()
    at.number_input(key=state.LAB_STEPS).set_value(5)
    at.run()
    press(at, state.LAB_BTN_STEP)
    assert not at.exception
    (job,) = [j for j in jobs("upload:Sines_TRAIN") if not j._stop.is_set()]  # this test's live run
    assert job.trainer.step_count == 1 and job.trainer.task.test.x.shape == (20, 30, 1)
    assert job.trainer.task.validation.x.shape == (8, 30, 1)  # 20% of the 40 training sequences


def test_multivariate_ts_upload_and_a_bad_one_in_both_languages():
    at = open_page(PAGE)
    upload(at, state.DATA_FILE, "Motions.ts", TS_MULTI)
    assert not at.exception and not errors(at)
    assert at.session_state[state.DATASETS]["Motions"]["dataset"].channels == ["dim1", "dim2"]
    upload(at, state.DATA_FILE, "bad.ts", ts("@classLabel true a b", "1,2:a\n3,4:c\n"))
    assert not at.exception
    assert any("bad.ts: line 4: class 'c' is not declared in @classLabel (['a', 'b'])" in e for e in errors(at))
    assert list(at.session_state[state.DATASETS]) == ["Motions"]  # the previous dataset stays
    ko = open_in(PAGE, "ko")
    upload(ko, state.DATA_FILE, "bad.ts", ts("@classLabel true a b", "1,2:a\n3,4:c\n"))
    assert not ko.exception
    assert any("bad.ts: 4번째 줄: 클래스 'c'은(는) @classLabel에 선언되지 않았습니다" in e for e in errors(ko))


def test_archive_notes_in_both_languages():
    unlabelled = ts("@problemName P\n@foo 1\n@classLabel false", "1,2\n3,4,5\n")
    no_class = b"@relation r\n@attribute a numeric\n@attribute b numeric\n@data\n1,2\n"
    notes = set()
    for data, name in ((TS_MULTI, "m.ts"), (ARFF_REL, "r.arff"), (ARFF_UNI, "u.arff"), (TS_UNI, "u.ts"),
                       (unlabelled, "x.ts"), (no_class, "n.arff")):
        notes |= set(load_dataset(data, name).notes)
    assert len(notes) >= 12
    for n in notes:
        key, m = next(((k, p.fullmatch(n)) for k, p in DT.NOTE_PATTERNS if p.fullmatch(n)), (None, None))
        assert key is not None, n  # every note is known to the retelling ...
        assert text(f"data.note.{key}", "en", **m.groupdict()) == n  # ... and the English text is core's
        ko = DT.note_text(n, "ko")
        assert has_hangul(ko) and not untranslated_ko(ko), n
