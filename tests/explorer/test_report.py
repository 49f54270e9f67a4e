"""The HTML report: self-contained (plotly.js once, no other host), every chart, replays, both languages, size."""
import base64
import gzip
import html
import json
import re
from dataclasses import asdict, replace

import numpy as np
import pytest
from plotly.offline import get_plotlyjs

from core.analysis import fit_pca
from core.train import main as train_main
from explorer.figures import replay as R
from explorer.app.i18n import HANGUL, text
from explorer.jobs.training_job import TrainingJob
from explorer.report.build import build_report, replay_figures
from explorer.report.document import plotly_js_payload
from explorer.report.record import from_jobs, link
from explorer.jobs.runs import RunSettings, build_trainer

SPEC = re.compile(r'<script type="application/json" id="(chart-\d+)-spec">(.*?)</script>', re.S)
DIV = re.compile(r'<div class="chart[^"]*" id="(chart-\d+)" data-spec="chart-\d+-spec"></div>')


def lab_job(kind="lstm", steps=40, probe_every=10):
    s = RunSettings("sine", 20, kind, 8, 1, "tanh", False, 0.01, 16, "adam", 1.0, 0, steps, probe_every, "cpu")
    job = TrainingJob(build_trainer(s), steps, probe_every=probe_every, probe_seconds=float("inf"), probe_min_seconds=0)
    job.run_sync(steps)
    return s, job


@pytest.fixture(scope="module")
def lab():
    s, job = lab_job()
    return from_jobs("training_lab", {"lab": job}, asdict(s), query={"lab.kind": "lstm", "lab.hidden": "8"},
                     base_url="http://127.0.0.1:8501/training_lab", command="python -m core.train --task sine")


def specs(doc):
    return {cid: json.loads(body.replace("\\u003c", "<")) for cid, body in SPEC.findall(doc)}


def outside_payload(doc):
    """The document without the (compressed) plotly.js payload."""
    return doc.replace(plotly_js_payload(), "")


def test_plotly_js_is_inlined_exactly_once_and_is_plotlys_own(lab):
    doc = build_report(lab, "en")
    payload = plotly_js_payload()
    assert doc.count(payload) == 1
    assert doc.count('id="plotly-js"') == 1
    assert gzip.decompress(base64.b64decode(payload)).decode() == get_plotlyjs()
    # not a second, uncompressed copy either
    assert get_plotlyjs()[:200] not in doc


def test_nothing_is_requested_from_another_host(lab):
    rest = outside_payload(build_report(lab, "en"))
    srcs = re.findall(r"""\bsrc\s*=\s*["']?([^"'\s>]+)""", rest, re.I)
    assert srcs == []  # every script and style is inline
    hrefs = re.findall(r"""\bhref\s*=\s*["']?([^"'\s>]+)""", rest, re.I)
    # the only link to a web address is the one that reopens the settings in the app (a click, not a request)
    assert [h for h in hrefs if re.match(r"(https?:)?//", h)] == [link(lab).replace("&", "&amp;")]
    for pattern in (r"\bfetch\(", r"\bimport\(", r"XMLHttpRequest", r"@import", r"url\(\s*['\"]?(https?:)?//",
                    r"<link\b", r"<iframe\b", r"mathjax"):
        assert not re.search(pattern, rest, re.I), pattern


def test_every_chart_has_its_div_and_a_valid_spec_and_the_replays_have_frames_and_sliders(lab):
    doc = build_report(lab, "en")
    divs, sp = DIV.findall(doc), specs(doc)
    assert divs == list(sp) and len(divs) >= 7  # loss, traj, hidden, grad, gradmap, gates, gate means
    animated = {cid: s for cid, s in sp.items() if s.get("frames")}
    assert len(animated) == 4  # trajectories, hidden state, gradient curve, gradient heatmap
    n_probes = len(lab.runs["lab"].state_history)
    for s in animated.values():
        slider = s["layout"]["sliders"][0]
        assert len(slider["steps"]) == len(s["frames"]) == min(n_probes, R.MAX_FRAMES)
        assert [f["name"] for f in s["frames"]] == [st["args"][0][0] for st in slider["steps"]]
        labels = [b["label"] for b in s["layout"]["updatemenus"][0]["buttons"]]
        assert any("Play" in x for x in labels) and any("Pause" in x for x in labels)
    assert 'data-spec="chart-' in doc and "Plotly.addFrames" in doc


def test_replay_frames_differ_over_training_and_end_at_the_final_state(lab):
    snap = lab.runs["lab"]
    figs = replay_figures(snap)
    traj = figs["traj"]
    first, last = traj.frames[0].data[0], traj.frames[-1].data[0]
    assert not np.allclose(np.asarray(first.x, float), np.asarray(last.x, float), equal_nan=True)
    np.testing.assert_allclose(np.asarray(last.x, float), np.asarray(traj.data[0].x, float), equal_nan=True)
    assert len(traj.frames[0].data[0].x) == len(traj.data[0].x)  # same sampling as the builder's own
    heat = figs["gradmap"]
    veils = [f.layout.shapes[0].y0 for f in heat.frames]
    assert veils == sorted(veils) and veils[0] < veils[-1]  # the veil rises as training goes on


def test_both_languages(lab):
    en, ko = build_report(lab, "en"), build_report(lab, "ko")
    assert '<html lang="en">' in en and '<html lang="ko">' in ko
    for key in ("report.h.settings", "report.h.replay", "report.h.reproduce", "report.replay.play"):
        assert text(key, "en").split("{")[0].strip() in en
        assert text(key, "ko").split("{")[0].strip() in ko
    assert not HANGUL.search(outside_payload(en))
    assert len(HANGUL.findall(outside_payload(ko))) > 200


def test_a_report_without_a_server_address_gives_a_relative_link_and_says_so(lab):
    rel = replace(lab, base_url=None)
    doc = build_report(rel, "en")
    assert link(rel) == "training_lab?lab.kind=lstm&lab.hidden=8"
    assert html.escape(text("report.link_rel", "en")) in doc and "<pre>training_lab?lab.kind=lstm&amp;lab.hidden=8</pre>" in doc


def test_user_text_cannot_break_out_of_the_document(lab):
    evil = replace(lab, settings={**lab.settings, "task": "</script><script>alert(1)</script>"})
    doc = build_report(evil, "en")
    assert "<script>alert(1)" not in doc


def synthetic_snapshot(steps=1000, probe_every=10, n=6, T=50, H=32, seed=0):
    """A snapshot shaped like a 1,000-step run probed every ``probe_every`` steps (denser than the
    app's default of 100), with the app's own bounds on histories."""
    _, job = lab_job(steps=2, probe_every=1)
    snap = job.snapshot()
    rng = np.random.default_rng(seed)
    probes = np.arange(probe_every, steps + 1, probe_every)
    hist = tuple((int(s), rng.standard_normal((n, T, H)).astype(np.float32)) for s in probes)
    grad = np.abs(rng.standard_normal((len(probes), T))).astype(np.float32)
    x = np.arange(1, steps + 1, dtype=float)
    return replace(snap, steps=x, loss=rng.random(steps), metric=rng.random(steps), grad_norm=rng.random(steps),
                   val_steps=probes.astype(float), val_loss=rng.random(len(probes)), val_metric=rng.random(len(probes)),
                   grad_rows_steps=probes.astype(float), grad_rows=grad, state_history=hist,
                   basis=fit_pca(hist[-1][1].reshape(-1, H), k=3),
                   probe=replace(snap.probe, hidden=hist[-1][1], gates={g: rng.random((n, T, H)).astype(np.float32)
                                                                        for g in ("input", "forget", "cell", "output")},
                                 cell=rng.standard_normal((n, T, H)).astype(np.float32)))


def test_a_1000_step_run_makes_a_file_under_5_mb(lab):
    rec = replace(lab, runs={"lab": synthetic_snapshot()}, models={"lab": {**lab.models["lab"], "hidden": 32}})
    doc = build_report(rec, "ko")
    size = len(doc.encode("utf-8"))
    assert size < 5 * 10**6, size
    assert text("report.replay_note", "ko", frames=R.MAX_FRAMES, probes=100) in doc  # thinned, and it says so


def test_comparison_report_has_every_cell_and_the_presets_verdict():
    jobs = {}
    for k in ("rnn", "lstm", "gru"):
        jobs[k] = lab_job(kind=k, steps=20)[1]
    rec = from_jobs("comparison", jobs, {"task": "sine", "steps": 20},
                    preset={"title": "Adding", "checks": [("LSTM MSE < 0.05", 0.01, True), ("RNN MSE > 0.1", 0.02, False)]})
    doc = build_report(rec, "en")
    for k in ("Vanilla RNN", "LSTM", "GRU"):
        assert text("report.h.replay", "en", run=k) in doc
    assert '<td class="pass">PASS</td>' in doc and '<td class="fail">FAIL</td>' in doc
    assert sum(1 for s in specs(doc).values() if s.get("frames")) == 12  # four replays per cell


def test_the_command_line_writes_a_report(tmp_path, capsys):
    out = tmp_path / "out.html"
    assert train_main(["--task", "adding", "--steps", "50", "--every", "50", "--probe-every", "10",
                       "--report", str(out)]) == 0
    doc = out.read_text()
    assert doc.startswith("<!DOCTYPE html>") and doc.rstrip().endswith("</html>")
    sp = specs(doc)
    traj = [s for s in sp.values() if s.get("frames") and "trajector" in json.dumps(s["layout"]["title"]).lower()]
    assert len(traj) == 1 and [f["name"] for f in traj[0]["frames"]] == ["10", "20", "30", "40", "50"]
    assert "python -m core.train --task adding --steps 50" in doc  # the command that reproduces it
    assert "training_lab?lab.task=adding" in doc  # and the app's link to the same settings
    assert f"report written to {out}" in capsys.readouterr().out


def test_core_imports_neither_streamlit_nor_plotly_without_report():
    """The command line reaches the report builder (plotly) only through a function-level import."""
    import subprocess
    import sys
    code = ("import sys, core, core.train; bad = [m for m in ('streamlit', 'plotly', 'explorer') if m in sys.modules];"
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def _results_rows(doc, lang):
    """(label, value) rows of the report's results table."""
    head = html.escape(text("report.h.results", lang))
    assert doc.count(f"<h2>{head}</h2>") == 1
    table = doc.split(f"<h2>{head}</h2>", 1)[1].split("</table>", 1)[0]
    return [(html.unescape(a), html.unescape(b)) for a, b in re.findall(r"<tr><th>(.*?)</th><td[^>]*>(.*?)</td></tr>", table)]


def test_an_upload_with_a_test_file_lists_the_best_step_with_val_and_test_metrics_and_the_baselines():
    from core.baselines import dataset_baselines
    from core.datasets import SequenceDataset
    from core.train_data import holdout_tasks
    from core import Trainer, build_model
    from explorer.views.data_baselines import value_text

    def updown(n, seed, T=16):
        rng = np.random.default_rng(seed)
        y = np.arange(n) % 2
        seqs = [(np.linspace(-1, 1, T) * (1 - 2 * k) + 1.5 * rng.normal(size=T)).astype(np.float32)[:, None] for k in y]
        return SequenceDataset("labelled", seqs, y, ["up", "down"], ["v"], name=f"ud{seed}")
    ds, test = updown(40, 0), updown(20, 1)
    task, _ = holdout_tasks(ds, test, val_fraction=0.25, seed=0)
    m = build_model("gru", 1, 8, 2, head=task.head, seed=0)
    job = TrainingJob(Trainer(m, task, lr=1e-2, batch_size=8, device="cpu"), 30, probe_every=5,
                      probe_seconds=float("inf"), probe_min_seconds=0)
    job.run_sync(30)
    snap = job.snapshot()
    base = dataset_baselines(ds, test, val_fraction=0.25, seed=0)
    assert base.held_out == "test" and set(base.values) == {"constant", "1nn_euclidean"}
    rec = from_jobs("training_lab", {"lab": job}, {"task": task.name}, baselines=base)
    rows = dict(_results_rows(build_report(rec, "en"), "en"))
    assert rows["Best step (chosen on the validation split)"] == f"{snap.best_step:,}"
    assert rows["Validation accuracy at the best step"] == value_text("accuracy", snap.best_metric)
    at_best = snap.test_metric[snap.val_steps == snap.best_step][-1]
    assert rows["Test accuracy at the best step"] == value_text("accuracy", at_best)
    assert rows["Test accuracy at the last step (30)"] == value_text("accuracy", snap.test_metric[-1])
    assert rows["Baseline on the test file: constant"] == value_text("accuracy", base.values["constant"]) == "50.0%"
    assert rows["Baseline on the test file: 1-NN-ED (nearest neighbour)"] == value_text(
        "accuracy", base.values["1nn_euclidean"])
    ko = build_report(rec, "ko")
    ko_rows = dict(_results_rows(ko, "ko"))
    assert ko_rows["최적 단계 (검증 분할로 고름)"] == f"{snap.best_step:,}"
    assert ko_rows["최적 단계의 테스트 정확도"] == value_text("accuracy", at_best)
    assert ko_rows["테스트 파일에서의 기준선: 상수"] == "50.0%"
    assert html.escape(text("report.result.note_test", "ko")) in ko


def test_a_built_in_run_lists_its_best_step_on_the_validation_data_and_no_test(lab):
    snap = lab.runs["lab"]
    rows = dict(_results_rows(build_report(lab, "en"), "en"))
    assert rows["Best step (chosen on the validation split)"] == f"{snap.best_step:,}"
    assert rows["Validation mse at the best step"] == f"{snap.best_metric:.4g}"
    assert rows[f"Validation mse at the last step ({int(snap.val_steps[-1])})"] == f"{snap.val_metric[-1]:.4g}"
    assert not any(k.startswith("Test") or k.startswith("Baseline") for k in rows)
