"""Train from the command line, without the browser.

    python -m core.train --task adding --model lstm --steps 500
"""
from __future__ import annotations

import argparse
import sys
import time

import torch

from .models import MODEL_KINDS, NONLINEARITIES, build_model, count_parameters
from .tasks import TASKS, get_task
from .trainer import OPTIMIZERS, Trainer, describe_device


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
    p.add_argument("--model", default="lstm", choices=MODEL_KINDS)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--nonlinearity", default="tanh", choices=NONLINEARITIES)
    p.add_argument("--bidirectional", action="store_true")
    p.add_argument("--spectral-radius", type=float, default=None)
    p.add_argument("--steps", type=int, default=500)
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--batch-size", type=int, default=32)
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
    task = get_task(a.task, **dict(_param(s) for s in a.param))
    model = build_model(a.model, task.input_size, a.hidden, task.output_size, num_layers=a.layers,
                        nonlinearity=a.nonlinearity, bidirectional=a.bidirectional, head=task.head,
                        out_steps=task.out_steps, spectral_radius=a.spectral_radius, seed=a.seed)
    tr = Trainer(model, task, lr=a.lr, batch_size=a.batch_size, optimizer=a.optimizer, clip=a.clip,
                 weight_decay=a.weight_decay, device=a.device, seed=a.seed)
    print(f"task {task.name} ({task.io}, {task.loss_kind}); model {a.model} H={a.hidden} "
          f"params={count_parameters(model)}; device {describe_device(tr.device)}")
    print(f"trivial baseline: loss {task.baseline_loss:.4f}, {task.metric} {task.baseline_metric:.4f}")
    recorder = None
    if a.report:  # the report builder lives in explorer/ (plotly); core imports it only when asked
        from explorer.report_record import CliRecorder
        recorder = CliRecorder(tr, a.steps, probe_every=a.probe_every)
    t0 = time.perf_counter()
    for i in range(a.steps):
        rec = tr.step()
        if rec["diverged"]:
            print(f"step {rec['step']}: loss is not finite; rolled back to the last finite parameters")
        if (i + 1) % a.every == 0 or i + 1 == a.steps:
            ev = tr.evaluate()
            rate = (i + 1) / (time.perf_counter() - t0)
            print(f"step {rec['step']:6d}  loss {rec['loss']:.4f}  held-out {ev['loss']:.4f}  "
                  f"{task.metric} {ev['metric']:.4f}  |g| {rec['grad_norm']:.3g}  {rate:.0f} steps/s")
    if recorder is not None:
        recorder.write(a.report, vars(a), sys.argv[1:] if argv is None else argv, lang=a.lang)
        print(f"report written to {a.report}")
    if a.save:
        torch.save(tr.state_dict(), a.save)
        print(f"saved to {a.save}")
    return 1 if tr.diverged else 0


if __name__ == "__main__":
    sys.exit(main())
