"""Logic of the I/O structures page: the five wirings, each with a small example trained on demand.

Pure (no Streamlit): ``train_example`` trains a ``core.demos`` recipe and keeps numpy results,
``example_figure`` draws input, output and target in the way that suits the structure. Texts come
from the catalogue (``io.*``); every function that returns text takes ``lang``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from core.demos import DEMOS, predict, train_demo

from ..app import i18n
from ..figures.structures import function_figure, sequence_strip, waveform_figure, wiring_diagram
from ..figures.training import loss_figure
from ..app.settings import IO_STRUCTURES

N_EXAMPLES = 8  # held-out sequences kept per trained example
N_POINTS = 64  # one-to-one: inputs drawn on the function plot


@dataclass(frozen=True)
class Structure:
    """One input/output structure of the lecture note's section 4. Its menu name, summary and
    example task are the catalogue texts ``io.structure.<key>.title``, ``.summary``, ``.example``."""

    demo: str  # key of core.demos.DEMOS: the example trained on demand
    wiring: str  # key of explorer.figures.structures.STRUCTURES


STRUCTURES: dict[str, Structure] = {k: Structure(k, k) for k in IO_STRUCTURES}  # each has a demo and a wiring of its name


def structure_text(structure: str, part: str, lang: str = "en") -> str:
    """``part`` ("title", "summary" or "example") of ``structure`` in ``lang``."""
    if structure not in STRUCTURES or part not in ("title", "summary", "example"):
        raise ValueError(f"unknown structure or part: {structure!r}, {part!r}")
    return i18n.text(f"io.structure.{structure}.{part}", lang)


def symbol(name: str, lang: str = "en") -> str:
    """A task's class or channel name as shown (e.g. "positive"); names that are data, such as the
    words of a sentence, stay as they are."""
    key = f"io.symbol.{name}"
    return i18n.text(key, lang) if i18n.has(key, lang) else name


@dataclass(frozen=True)
class ExampleResult:
    """A trained example, as numpy arrays and numbers (picklable, no torch objects)."""

    structure: str  # key of STRUCTURES
    steps: int  # training steps
    seed: int  # model and data seed
    seconds: float  # wall time of training
    loss_before: float  # held-out loss of the untrained model
    metric_before: float  # held-out metric of the untrained model
    loss: float  # held-out loss after training
    metric: float  # held-out metric after training
    baseline_loss: float  # loss of the best constant prediction
    baseline_metric: float  # metric of the best constant prediction
    metric_name: str  # "accuracy" or "mse"
    x: np.ndarray  # (n, T, F) held-out inputs
    y: np.ndarray  # their targets
    output: np.ndarray  # the trained model's outputs on them
    loss_curve: np.ndarray  # (steps,) training loss per step
    vocab: tuple | None = None  # class names (classification)
    channels: tuple | None = None  # input channel names

    @property
    def higher_is_better(self) -> bool:
        return self.metric_name == "accuracy"


def default_steps(structure: str) -> int:
    return DEMOS[STRUCTURES[structure].demo].steps


def train_example(structure: str, steps: int | None = None, seed: int = 0) -> ExampleResult:
    """Train the example of ``structure`` (a few seconds on the CPU) and keep held-out results.

    Args:
        structure: key of STRUCTURES.
        steps: training steps (None: the recipe's default); 0 keeps the untrained model.
        seed: model and data seed.
    """
    recipe = DEMOS[STRUCTURES[structure].demo]
    t0 = time.perf_counter()
    res = train_demo(recipe, steps=steps, seed=seed)
    seconds = time.perf_counter() - t0
    tr = res.trainer
    task = tr.task
    batch, out = predict(tr, n=N_POINTS if structure == "one_to_one" else N_EXAMPLES, seed=seed)
    curve = np.array([r["loss"] for r in tr.history], dtype=float)
    return ExampleResult(structure, res.steps, int(seed), seconds, res.loss_before, res.metric_before,
                         res.loss, res.metric, task.baseline_loss, task.baseline_metric, task.metric,
                         batch.x.numpy(), batch.y.numpy(), out, curve,
                         tuple(task.vocab) if task.vocab else None,
                         tuple(task.channel_names) if task.channel_names else None)


def diagram_figure(structure: str, lang: str = "en") -> go.Figure:
    s = STRUCTURES[structure]
    title = i18n.text("io.fig.diagram_title", lang, name=structure_text(structure, "title", lang))
    return wiring_diagram(s.wiring, 4, title=title, lang=lang)


def n_examples(result: ExampleResult) -> int:
    return int(result.x.shape[0])


def example_figure(result: ExampleResult, index: int = 0, lang: str = "en") -> go.Figure:
    """Input, output and target of held-out example ``index``, drawn for the structure, in ``lang``."""
    i = int(np.clip(index, 0, n_examples(result) - 1))
    s = result.structure
    x, y, out = result.x, result.y, result.output
    row = {r: i18n.text(f"io.row.{r}", lang) for r in ("input", "target", "output")}  # strip row names
    if s == "one_to_one":
        return function_figure(x[:, 0, 0], y[:, 0], out[:, 0], highlight=i, lang=lang,
                               title=i18n.text("io.fig.one_to_one", lang, i=i + 1))
    if s == "one_to_many":
        names = result.channels or ("amplitude", "frequency")
        return waveform_figure(y[i, :, 0], out[i, :, 0],
                               {symbol(n, lang): float(x[i, 0, k]) for k, n in enumerate(names)}, lang=lang,
                               title=i18n.text("io.fig.one_to_many", lang, i=i + 1))
    if s == "many_to_one":
        words = [result.channels[k] for k in x[i].argmax(-1)]
        T = len(words)
        p = _softmax(out[i])
        pred, label = int(p.argmax()), int(y[i])
        blank = [""] * (T - 1)
        rows = {row["input"]: words, row["target"]: blank + [symbol(result.vocab[label], lang)],
                row["output"]: blank + [f"{symbol(result.vocab[pred], lang)}<br>{p[pred]:.0%}"]}
        return sequence_strip(rows, {row["output"]: [0] * (T - 1) + [1 if pred == label else 2]}, lang=lang,
                              title=i18n.text("io.fig.many_to_one", lang, i=i + 1))
    if s == "many_to_many":
        chars = [result.channels[k] for k in x[i].argmax(-1)]
        tgt = [result.vocab[k] for k in y[i]]
        pred = [result.vocab[k] for k in out[i].argmax(-1)]
        ok = [1 if a == b else 2 for a, b in zip(pred, tgt)]
        return sequence_strip({row["input"]: chars, row["target"]: tgt, row["output"]: pred}, {row["output"]: ok},
                              lang=lang, title=i18n.text("io.fig.many_to_many", lang, i=i + 1))
    if s == "encoder_decoder":
        syms_in = [result.channels[k] for k in x[i].argmax(-1)]
        tgt = [result.vocab[k] for k in y[i]]
        pred = [result.vocab[k] for k in out[i].argmax(-1)]
        Ti, To = len(syms_in), len(tgt)
        rows = {row["input"]: syms_in + [""] * To, row["target"]: [""] * Ti + tgt, row["output"]: [""] * Ti + pred}
        ok = [0] * Ti + [1 if a == b else 2 for a, b in zip(pred, tgt)]
        return sequence_strip(rows, {row["output"]: ok}, x_title=i18n.text("io.fig.encdec_x", lang), lang=lang,
                              title=i18n.text("io.fig.encoder_decoder", lang, i=i + 1, n=Ti))
    raise ValueError(f"unknown structure {s!r}")


def loss_curve_figure(result: ExampleResult, lang: str = "en") -> go.Figure:
    steps = np.arange(1, result.loss_curve.size + 1)
    return loss_figure(steps, result.loss_curve, baseline=result.baseline_loss, lang=lang,
                       title=i18n.text("io.fig.loss_title", lang, steps=result.steps))


def metric_rows(result: ExampleResult, lang: str = "en") -> list[tuple[str, str, str | None]]:
    """(label, value, delta) for st.metric: held-out metric before/after and the baseline, in ``lang``."""
    if result.higher_is_better:
        fmt = lambda v: f"{v:.1%}"  # noqa: E731
        name = i18n.text("io.metric.accuracy", lang)
    else:
        fmt = lambda v: f"{v:.4f}"  # noqa: E731
        name = i18n.text("io.metric.mse", lang)
    delta = result.metric - result.metric_before
    return [(i18n.text("io.metric.untrained", lang, name=name), fmt(result.metric_before), None),
            (i18n.text("io.metric.trained", lang, name=name), fmt(result.metric),
             (f"{delta:+.1%}" if result.higher_is_better else f"{delta:+.4f}")),
            (i18n.text("io.metric.baseline", lang), fmt(result.baseline_metric), None),
            (i18n.text("io.metric.time", lang), f"{result.seconds:.1f} s", None)]


def _softmax(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, float)
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)
