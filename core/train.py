"""Train from the command line, without the browser.

    python -m core.train --task adding --model lstm --steps 500
    python -m core.train --data TRAIN_FILE [--test TEST_FILE] [--settings suggested] [--budget-s 60] [--json]

``--data`` trains on an uploaded-format file exactly as the app would (``core.train_data``): the
best checkpoint on a validation split of the training file, scored on the test file; with
``--json`` the last line is one JSON object (metric, test_metric, best_step, baselines, settings,
seconds, ...). A file that cannot be used exits with status 2 and the reason on stderr.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import torch

from .models import MODEL_KINDS, NONLINEARITIES, build_model, count_parameters
from .tasks import TASKS, get_task
from .trainer import OPTIMIZERS, Trainer, describe_device

TASK_DEFAULTS = dict(model="lstm", hidden=64, lr=1e-2, batch_size=32, steps=500)  # --task mode

def _param(text: str):
    key, _, value = text.partition("=")
    for cast in (int, float):
        try:
            return key, cast(value)
        except ValueError:
            pass
    return key, value


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m core.train", description=__doc__.splitlines()[0])
    p.add_argument("--task", default="adding", choices=sorted(TASKS))
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="task parameter, e.g. --param seq_len=100 (repeatable)")
    p.add_argument("--data", default=None, metavar="TRAIN_FILE",
                   help="train on this file (CSV/TSV, NPZ, text, .ts, .arff) instead of --task")
    p.add_argument("--test", default=None, metavar="TEST_FILE", help="with --data: the held-out test file")
    p.add_argument("--settings", default="suggested", choices=("suggested", "lab"),
                   help="with --data: suggested from the data's shape, or the Training lab's defaults")
    p.add_argument("--budget-s", type=float, default=None,
                   help="with --data: train for this many seconds of CPU time (default: the settings' steps)")
    p.add_argument("--json", action="store_true", help="end with one JSON line of results")
    p.add_argument("--model", default=None, choices=MODEL_KINDS, help="cell (default: lstm; --data: the settings')")
    p.add_argument("--hidden", type=int, default=None)
    p.add_argument("--layers", type=int, default=None)
    p.add_argument("--nonlinearity", default="tanh", choices=NONLINEARITIES)
    p.add_argument("--bidirectional", action="store_true", default=None)
    p.add_argument("--spectral-radius", type=float, default=None)
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--optimizer", default="adam", choices=OPTIMIZERS)
    p.add_argument("--clip", type=float, default=None)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--device", default="auto")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads (1 is fastest for small models)")
    p.add_argument("--every", type=int, default=50, help="print every N steps")
    p.add_argument("--save", default=None, help="write the run's state (torch.save) to this path")
    p.add_argument("--report", default=None, metavar="OUT.html",
                   help="write a self-contained HTML report with replays (needs plotly: explorer/)")
    p.add_argument("--probe-every", type=int, default=100, help="steps between the report's probes")
    p.add_argument("--lang", default="en", choices=("en", "ko"), help="language of the report")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    if a.data is not None:
        from .train_data import main_data
        return main_data(a)
    for k, v in TASK_DEFAULTS.items():
        if getattr(a, k) is None:
            setattr(a, k, v)
    task = get_task(a.task, **dict(_param(s) for s in a.param))
    model = build_model(a.model, task.input_size, a.hidden, task.output_size, num_layers=a.layers or 1,
                        nonlinearity=a.nonlinearity, bidirectional=bool(a.bidirectional), head=task.head,
                        out_steps=task.out_steps, spectral_radius=a.spectral_radius, seed=a.seed)
    tr = Trainer(model, task, lr=a.lr, batch_size=a.batch_size, optimizer=a.optimizer, clip=a.clip,
                 weight_decay=a.weight_decay, device=a.device, seed=a.seed)
    print(f"task {task.name} ({task.io}, {task.loss_kind}); model {a.model} H={a.hidden} "
          f"params={count_parameters(model)}; device {describe_device(tr.device)}")
    print(f"trivial baseline: loss {task.baseline_loss:.4f}, {task.metric} {task.baseline_metric:.4f}")
    recorder = None
    if a.report:  # the report builder lives in explorer/ (plotly); core imports it only when asked
        from explorer.report.record import CliRecorder
        recorder = CliRecorder(tr, a.steps, probe_every=a.probe_every)
    t0, steps_run = time.perf_counter(), 0
    while tr.step_count < a.steps:
        recs = tr.advance()  # losses stay on the device between readbacks: no host sync a step
        steps_run += 1
        n = tr.step_count
        due = n % a.every == 0 or n >= a.steps or (recorder is not None and n % a.probe_every == 0)
        for rec in recs + (tr.flush() if due else []):  # a probe or a line reads the step it names
            if rec["diverged"]:
                print(f"step {rec['step']}: loss is not finite; rolled back to the last finite parameters "
                      f"(at most {tr.readback_every} steps back)")
        if due and tr.history and tr.step_count == n:  # (a rollback moved it: printed when reached)
            rec, ev = tr.history[-1], tr.evaluate()
            rate = steps_run / (time.perf_counter() - t0)
            print(f"step {rec['step']:6d}  loss {rec['loss']:.4f}  held-out {ev['loss']:.4f}  "
                  f"{task.metric} {ev['metric']:.4f}  |g| {rec['grad_norm']:.3g}  {rate:.0f} steps/s")
    if recorder is not None:
        from explorer.report.build import write_report
        write_report(recorder.record(vars(a), sys.argv[1:] if argv is None else argv), a.report, lang=a.lang)
        print(f"report written to {a.report}")
    if a.save:
        torch.save(tr.state_dict(), a.save)
        print(f"saved to {a.save}")
    if a.json:
        ev = tr.evaluate()
        print(json.dumps({"task": task.name, "metric": task.metric, "val_metric": ev["metric"], "val_loss": ev["loss"],
                          "steps": tr.step_count, "seconds": round(time.perf_counter() - t0, 3),
                          "diverged": tr.diverged}))
    return 1 if tr.diverged else 0


if __name__ == "__main__":
    sys.exit(main())
