"""The server tunes its interpreter once (explorer/jobs/runtime.py tune_server): a short GIL switch
interval, the modules frozen out of the cycle collector's scans, rarer full collections."""
import gc
import sys

from explorer.jobs import runtime

from .conftest import open_page


def test_the_app_tunes_the_servers_interpreter():
    open_page("pages/training_lab.py")
    assert sys.getswitchinterval() == runtime.SWITCH_S
    assert gc.get_threshold() == runtime.GC_THRESHOLDS
    assert gc.get_freeze_count() > 0  # the imported modules: out of the full collections' scans
