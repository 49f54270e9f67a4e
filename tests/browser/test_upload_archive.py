"""Upload UCR/UEA archive files (.ts, then .arff) through the real file widget: the page reads them,
says what it detected, and tells a malformed .ts file's problem."""
from tests.core.test_dataset_archive import ARFF_REL, TS_MULTI

from .conftest import assert_no_exception, wait_for_uploaders, wait_idle


def test_ts_and_arff_uploads(page, app_server, tmp_path):
    page.goto(f"{app_server}/data")
    wait_for_uploaders(page, 2)
    assert_no_exception(page)
    assert page.get_by_text(".ts or .arff, up to 50 MB").count() >= 1  # the uploader says it takes them
    path = tmp_path / "Motions_TRAIN.ts"
    path.write_bytes(TS_MULTI)
    page.locator("input[type=file]").first.set_input_files(str(path))
    page.get_by_text(".ts file, problem Motions: 3 cases, 2 dimensions").wait_for(timeout=120000)
    wait_idle(page)
    assert_no_exception(page)
    assert page.get_by_text("unequal lengths: 3 to 5 steps").count() == 1
    rel = tmp_path / "Motions_TEST.arff"
    rel.write_bytes(ARFF_REL)
    page.locator("input[type=file]").nth(1).set_input_files(str(rel))
    page.get_by_text("test file 'Motions_TEST'").first.wait_for(timeout=120000)
    wait_idle(page)
    assert_no_exception(page)
    bad = tmp_path / "bad.ts"
    bad.write_bytes(b"@classLabel true a b\n@data\n1,2:a\n3,4:c\n")
    page.locator("input[type=file]").first.set_input_files(str(bad))
    page.get_by_text("class 'c' is not declared in @classLabel").wait_for(timeout=120000)
    wait_idle(page)
    assert_no_exception(page)
