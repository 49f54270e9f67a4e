"""The comparison presets hold for any seed (issue 18): one seed per preset here, on the preset's
whole budget (the page's badges); the full grid, seeds 0-4, is ``bench/presets.py``.
Also the command line: ``python -m core.compare --list`` and ``--preset NAME --seed S --json``."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.compare import PRESETS, preset_report
from core.presets import PRESET_SEEDS

ROOT = Path(__file__).resolve().parents[2]
# one seed per preset, spread over the grid so that together they cover seeds other than 0
SEED_OF = {"adding_50": 1, "adding_100": 2, "temporal_order": 4, "delayed_recall_24": 3}
CLI_PRESET = "temporal_order"  # its check goes through the command line
# Measured with bench/presets.py (issue 18): delayed recall at delay 24 does not yet hold for every
# seed on its budget (seeds 1, 2: the vanilla RNN reaches 0.50 and 0.42 > 0.32; seeds 3, 4: the GRU
# stays at chance, 0.25 and 0.39 < 0.4). Strict: the day it passes, this marker must go.
UNSETTLED = {"delayed_recall_24": "the preset fails for seeds 1-4 (bench/presets.py); not yet settled"}


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "core.compare", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=1800)


def test_list_names_every_preset_at_the_start_of_a_line():
    out = _cli("--list")
    assert out.returncode == 0, out.stderr
    names = [line.split()[0] for line in out.stdout.splitlines() if line.strip()]
    assert names == list(PRESETS)
    assert set(SEED_OF) == set(PRESETS) and set(SEED_OF.values()) <= set(PRESET_SEEDS)


def test_an_unknown_preset_is_refused_with_the_choices():
    out = _cli("--preset", "no_such_preset")
    assert out.returncode == 2 and "adding_50" in out.stderr


@pytest.mark.slow
@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(reason=UNSETTLED[n], strict=True))
                                  if n in UNSETTLED else n for n in PRESETS if n != CLI_PRESET])
def test_preset_passes_on_its_budget(name):
    rep = preset_report(PRESETS[name], SEED_OF[name])
    assert rep["passed"], rep["checks"]
    assert rep["steps"] == PRESETS[name].steps and len(rep["checks"]) == len(PRESETS[name].criteria)


@pytest.mark.slow
def test_command_line_runs_a_preset_and_ends_with_one_json_line():
    out = _cli("--preset", CLI_PRESET, "--seed", str(SEED_OF[CLI_PRESET]), "--json")
    lines = out.stdout.strip().splitlines()
    rep = json.loads(lines[-1])
    assert rep["preset"] == CLI_PRESET and rep["seed"] == SEED_OF[CLI_PRESET]
    assert rep["passed"] is True and out.returncode == 0, out.stdout
    p = PRESETS[CLI_PRESET]
    assert len(rep["checks"]) == len(p.criteria)
    for c, crit in zip(rep["checks"], p.criteria):
        assert c["passed"] == crit.check(c["value"])
        assert rep["values"][f"{crit.kind}_{crit.quantity}"] == c["value"]
    assert any(line.startswith("  PASS") for line in lines)
