"""Shared fixtures of the explorer tests."""
import pytest

from explorer.jobs.training_job import TrainingJob


@pytest.fixture
def stop_jobs():
    """Every job a test made is stopped after it (a paused job's thread would outlive the test),
    and no worker process outlives its job."""
    made, orig = [], TrainingJob.__init__

    def spy(self, *a, **k):
        orig(self, *a, **k)
        made.append(self)
    TrainingJob.__init__ = spy
    yield made
    TrainingJob.__init__ = orig
    for j in made:
        j.stop()
        assert j._child is None
