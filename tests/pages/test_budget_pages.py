"""Pages refuse a job over the server's memory budget with a message in the reader's language,
before anything is built (RNNX_JOB_MB makes the budget tiny; nothing large is allocated)."""
import gc

import pytest

from core.budget import BudgetError
from explorer.app import state
from explorer.views.data_text import error_text
from explorer.jobs.training_job import TrainingJob
from tests.pages.conftest import open_page, press
from tests.pages.test_i18n_pages import open_in


def _live_jobs():
    return [o for o in gc.get_objects() if type(o) is TrainingJob and not o._stop.is_set()]


@pytest.fixture
def tiny_budget(monkeypatch):
    monkeypatch.setenv("RNNX_JOB_MB", "1")


@pytest.mark.parametrize("lang,words", [("en", ["this server allows 1 MB a run", "reduce the batch"]),
                                         ("ko", ["이 서버는 실행 하나에 1 MB까지", "줄이세요"])])
def test_training_lab_says_what_to_reduce(tiny_budget, lang, words):
    before = len(_live_jobs())
    at = open_in("pages/training_lab.py", lang)
    press(at, state.LAB_BTN_TRAIN)
    assert not at.exception
    (err,) = at.error
    assert all(w in err.value for w in words), err.value
    assert len(_live_jobs()) == before  # no job, no model was built


def test_comparison_says_so_before_building_three_models(tiny_budget):
    before = len(_live_jobs())
    at = open_page("pages/comparison.py")
    press(at, "compare.train")
    assert not at.exception
    assert any("this server allows 1 MB a run" in e.value for e in at.error)
    assert len(_live_jobs()) == before


def test_the_data_pages_messages_include_budget_errors():
    e = BudgetError("preparing x needs ~2.0 GB; this server allows 1.0 GB a dataset: use fewer or shorter "
                    "sequences", "data_labelled", name="x", need="2.0 GB", limit="1.0 GB")
    assert error_text(e, "en") == str(e)
    assert "이 서버는 데이터셋 하나에 1.0 GB까지" in error_text(e, "ko")
