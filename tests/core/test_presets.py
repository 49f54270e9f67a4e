"""The comparison presets hold for any seed (issue 18). The suite stays short (about a minute):
every preset's claim is checked to be a real contrast (its goals fail untrained, its "stays bad"
checks hold untrained), and every preset runs its whole budget through the command line on one
seed (seeds 1-4 across the presets), as the page's badges do. The full grid, every preset for seeds 0-4 on its whole budget, is
``nice -n 10 python bench/presets.py --json`` (too long for the suite: about 5 CPU-minutes a seed).
Also the command line: ``python -m core.compare --list`` and ``--preset NAME --seed S --json``."""
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from core.compare import CELLS, PRESETS, RENAMED, current_name, main, run_preset

ROOT = Path(__file__).resolve().parents[2]
# the preset that runs its whole budget here (the cheapest, about 40 s on one thread) and its seed
# (not 0, so the suite sees a seed the presets were not first tuned on)
CLI_PRESET, CLI_SEED = "delayed_recall_30", 3


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "core.compare", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=1800)


# --list and a refused name run in this process (a second interpreter costs seconds of imports);
# the command line itself, `python -m core.compare`, runs in the whole-budget test below
def test_list_names_every_preset_at_the_start_of_a_line(capsys):
    assert main(["--list"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert names == list(PRESETS)


def test_an_unknown_preset_is_refused_with_the_choices(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--preset", "no_such_preset"])
    assert e.value.code == 2 and "adding_50" in capsys.readouterr().err


def test_a_former_preset_name_means_its_successor(capsys):
    assert RENAMED and all(old not in PRESETS and new in PRESETS for old, new in RENAMED.items())
    assert current_name("delayed_recall_24") == "delayed_recall_30"
    assert current_name("adding_50") == "adding_50" and current_name("nonsense") == "nonsense"
    # the command line accepts the old name (argparse checks --preset before --list returns)
    assert main(["--list", "--preset", "delayed_recall_24"]) == 0
    with pytest.raises(SystemExit) as e:
        main(["--list", "--preset", "delayed_recall_23"])
    assert e.value.code == 2 and "delayed_recall_30" in capsys.readouterr().err


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_claims_a_contrast_that_training_must_create(name):
    """Each preset has a goal (a cell gets good) and a "stays bad" check, about cells the page trains;
    untrained (step 0, same seed) every goal fails and every "stays bad" check holds: a claim that
    held without training would be no claim."""
    p = PRESETS[name]
    assert {c.kind for c in p.criteria} <= set(CELLS)
    assert any(c.is_goal for c in p.criteria) and not all(c.is_goal for c in p.criteria)
    assert all(math.isfinite(c.threshold) for c in p.criteria) and p.steps > 0
    res = run_preset(p, steps=0, seed=CLI_SEED)
    for c in p.criteria:
        r = res[c.kind]
        assert r.steps == 0
        value = r.loss if c.quantity == "loss" else r.metric
        assert c.check(value) != c.is_goal, (c.describe(), value)


def test_the_report_trains_only_the_cells_the_criteria_name_and_their_values_do_not_change():
    """preset_report skips a cell no criterion names (delayed_recall_30's GRU): every cell has its own
    seeded initialisation and data stream, so the others train exactly as they would beside it."""
    p = PRESETS[CLI_PRESET]
    named = tuple(k for k in CELLS if any(c.kind == k for c in p.criteria))
    assert named == ("rnn", "lstm")  # the page still trains all three; the report needs two
    alone = run_preset(p, kinds=named, steps=20, check_every=10, seed=CLI_SEED)
    beside = run_preset(p, steps=20, check_every=10, seed=CLI_SEED)
    assert set(alone) == set(named) and set(beside) == set(CELLS)
    for k in named:
        assert (alone[k].loss, alone[k].metric, alone[k].curve) == (beside[k].loss, beside[k].metric, beside[k].curve)


# one seed per preset, each on its whole budget through the command line, as the page's badges run;
# seeds 1-4 (0 is the seed the presets were first tuned on; bench/presets.py runs the whole grid)
SEED_OF = {"adding_50": 1, "adding_100": 2, CLI_PRESET: CLI_SEED, "temporal_order": 4}


@pytest.fixture(scope="module")
def whole_budget_runs():
    """Every preset's command-line run, started together (one thread each: a 2-core machine runs
    them in about the time of the longest two) -> {name: CompletedProcess-like (returncode, stdout)}."""
    assert set(SEED_OF) == set(PRESETS), "every preset runs on one seed here"
    procs = {name: subprocess.Popen([sys.executable, "-m", "core.compare", "--preset", name, "--seed", str(seed),
                                     "--threads", "1", "--json"], cwd=ROOT, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True)
             for name, seed in SEED_OF.items()}
    out = {}
    try:
        for name, proc in procs.items():
            stdout, _ = proc.communicate(timeout=1800)
            out[name] = (proc.returncode, stdout)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SEED_OF))
def test_every_preset_passes_on_its_whole_budget_from_the_command_line(name, whole_budget_runs):
    code, stdout = whole_budget_runs[name]
    lines = stdout.strip().splitlines()
    rep = json.loads(lines[-1])
    p = PRESETS[name]
    assert rep["preset"] == name and rep["seed"] == SEED_OF[name]
    assert rep["steps"] == p.steps
    assert rep["passed"] is True and code == 0, stdout
    assert len(rep["checks"]) == len(p.criteria)
    for c, crit in zip(rep["checks"], p.criteria):
        assert c["passed"] == crit.check(c["value"])
        assert rep["values"][f"{crit.kind}_{crit.quantity}"] == c["value"]
    assert any(line.startswith("  PASS") for line in lines)
