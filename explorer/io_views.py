"""Logic of the I/O structures page: the five wirings, each with a small example trained on demand.

Pure (no Streamlit): ``train_example`` trains a ``core.demos`` recipe and keeps numpy results,
``example_figure`` draws input, output and target in the way that suits the structure.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from core.demos import DEMOS, predict, train_demo

from .figures.structures import function_figure, sequence_strip, waveform_figure, wiring_diagram
from .figures.training import loss_figure

N_EXAMPLES = 8  # held-out sequences kept per trained example
N_POINTS = 64  # one-to-one: inputs drawn on the function plot


@dataclass(frozen=True)
class Structure:
    """One input/output structure of the lecture note's section 4."""

    title: str  # menu name
    demo: str  # key of core.demos.DEMOS: the example trained on demand
    wiring: str  # key of explorer.figures.structures.STRUCTURES
    summary: str  # what the wiring means
    example: str  # what the example task asks


STRUCTURES: dict[str, Structure] = {
    "one_to_one": Structure(
        "One-to-one", "one_to_one", "one_to_one",
        "One input, one output, no sequence: a plain feed-forward network (T = 1).",
        "Learn y = sin(3u) from a single number u."),
    "one_to_many": Structure(
        "One-to-many", "one_to_many", "one_to_many",
        "One input at the first step, an output at every step: the recurrence W_hh carries the input "
        "forward and unfolds it into a sequence (e.g. image captioning, music generation).",
        "From (amplitude, frequency) given once at t = 0, draw the sine wave A·sin(ωt)."),
    "many_to_one": Structure(
        "Many-to-one", "many_to_one", "many_to_one",
        "A whole sequence in, one output from the last hidden state (e.g. sentiment of a sentence).",
        'Is a word sequence positive? "love" pushes the sentiment up, "hate" down, "not" flips the next word.'),
    "many_to_many": Structure(
        "Many-to-many (synced)", "many_to_many", "many_to_many",
        "An output at every step, aligned with the inputs (e.g. tagging each word, next-character "
        "prediction).",
        "Read Shakespeare's Sonnets one character at a time and predict the next character."),
    "encoder_decoder": Structure(
        "Encoder-decoder", "encoder_decoder", "encoder_decoder",
        "Many-to-many, not synced: an encoder reads the whole input, its final state starts a decoder "
        "that writes an output sequence of its own length (e.g. translation).",
        "Read four symbols, then write them in reverse order."),
}


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


def diagram_figure(structure: str) -> go.Figure:
    s = STRUCTURES[structure]
    return wiring_diagram(s.wiring, 4, title=f"{s.title}: wiring (arrow colour = the shared weight matrix)")


def n_examples(result: ExampleResult) -> int:
    return int(result.x.shape[0])


def example_figure(result: ExampleResult, index: int = 0) -> go.Figure:
    """Input, output and target of held-out example ``index``, drawn for the structure."""
    i = int(np.clip(index, 0, n_examples(result) - 1))
    s = result.structure
    x, y, out = result.x, result.y, result.output
    if s == "one_to_one":
        return function_figure(x[:, 0, 0], y[:, 0], out[:, 0], highlight=i,
                               title=f"Held-out inputs: output vs target (example {i + 1} ringed)")
    if s == "one_to_many":
        names = result.channels or ("amplitude", "frequency")
        return waveform_figure(y[i, :, 0], out[i, :, 0], {n: float(x[i, 0, k]) for k, n in enumerate(names)},
                               title=f"Example {i + 1}: one input at t = 0, an output at every step")
    if s == "many_to_one":
        words = [result.channels[k] for k in x[i].argmax(-1)]
        T = len(words)
        p = _softmax(out[i])
        pred, label = int(p.argmax()), int(y[i])
        blank = [""] * (T - 1)
        rows = {"input": words, "target": blank + [result.vocab[label]],
                "output": blank + [f"{result.vocab[pred]}<br>{p[pred]:.0%}"]}
        return sequence_strip(rows, {"output": [0] * (T - 1) + [1 if pred == label else 2]},
                              title=f"Example {i + 1}: a sentence in, one output at the last step")
    if s == "many_to_many":
        chars = [result.channels[k] for k in x[i].argmax(-1)]
        tgt = [result.vocab[k] for k in y[i]]
        pred = [result.vocab[k] for k in out[i].argmax(-1)]
        ok = [1 if a == b else 2 for a, b in zip(pred, tgt)]
        return sequence_strip({"input": chars, "target": tgt, "output": pred}, {"output": ok},
                              title=f"Example {i + 1}: an output at every step (green: correct next character)")
    if s == "encoder_decoder":
        syms_in = [result.channels[k] for k in x[i].argmax(-1)]
        tgt = [result.vocab[k] for k in y[i]]
        pred = [result.vocab[k] for k in out[i].argmax(-1)]
        Ti, To = len(syms_in), len(tgt)
        rows = {"input": syms_in + [""] * To, "target": [""] * Ti + tgt, "output": [""] * Ti + pred}
        ok = [0] * Ti + [1 if a == b else 2 for a, b in zip(pred, tgt)]
        return sequence_strip(rows, {"output": ok}, x_title="step (encoder, then decoder)",
                              title=f"Example {i + 1}: read {Ti} symbols, then write them reversed")
    raise ValueError(f"unknown structure {s!r}")


def loss_curve_figure(result: ExampleResult) -> go.Figure:
    steps = np.arange(1, result.loss_curve.size + 1)
    return loss_figure(steps, result.loss_curve, baseline=result.baseline_loss,
                       title=f"Training loss over {result.steps} steps")


def metric_rows(result: ExampleResult) -> list[tuple[str, str, str | None]]:
    """(label, value, delta) for st.metric: held-out metric before/after and the baseline."""
    if result.higher_is_better:
        fmt = lambda v: f"{v:.1%}"  # noqa: E731
        name = "held-out accuracy"
    else:
        fmt = lambda v: f"{v:.4f}"  # noqa: E731
        name = "held-out MSE"
    delta = result.metric - result.metric_before
    return [(f"{name}, untrained", fmt(result.metric_before), None),
            (f"{name}, trained", fmt(result.metric),
             (f"{delta:+.1%}" if result.higher_is_better else f"{delta:+.4f}")),
            ("trivial baseline (best constant)", fmt(result.baseline_metric), None),
            ("training time", f"{result.seconds:.1f} s", None)]


def _softmax(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, float)
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)
