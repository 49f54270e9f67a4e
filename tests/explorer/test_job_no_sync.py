"""A training job's loop between probes reads nothing back from the device (see
tests/core/test_no_host_sync.py: torch's ``meta`` device stands in for a GPU and raises on any
read back; ``tests/device_waits.py`` lists what would wait the other way). Only the trainer's
readback, every ``readback_every`` steps, touches values."""
import time

import pytest

from core import Trainer, build_model, get_task
from explorer.jobs.training_job import TrainingJob
from tests.device_waits import DeviceWaits


@pytest.mark.parametrize("task_name", ["sine", "temporal_order"])
def test_job_steps_between_probes_read_nothing_back(task_name):
    n = 5
    task = get_task(task_name)
    model = build_model("lstm", task.input_size, 8, task.output_size, head=task.head, seed=0)
    trainer = Trainer(model, task, device="meta", seed=0, readback_every=n)
    job = TrainingJob(trainer, 100, probe_every=10_000, probe_seconds=1e9, probe_min_seconds=1e9,
                      mode="thread")
    job._last_probe_time = time.perf_counter()  # no probe is due during the test
    with job.locked():
        with DeviceWaits() as seen:
            for i in range(n - 1):
                assert job._one_step() is None and trainer.pending == i + 1
        assert seen.waits == [], f"these would make the host wait for the GPU: {sorted(set(seen.waits))}"
        with pytest.raises((RuntimeError, NotImplementedError)):
            job._one_step()  # the readback: on meta there is nothing to read
