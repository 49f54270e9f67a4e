"""Built-in sequence tasks, each a small generator of (x, y) batches.

Every task declares its I/O structure, sizes, loss and metric, and the score of the trivial
baseline (the best CONSTANT prediction, measured on a fixed reference batch) so a page can say
"better than chance". Samples are drawn from an explicit ``torch.Generator``: same seed, same data.
"""
from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from . import budget
from .task_types import IGNORE, IO_KINDS, Batch, Task, constant_baseline

SONNETS = Path(__file__).with_name("data") / "sonnets.txt"


def _one_hot(idx: Tensor, n: int) -> Tensor:
    return F.one_hot(idx, n).float()


def _u(gen, *shape) -> Tensor:
    return torch.rand(*shape, generator=gen)


# ---- the tasks ---------------------------------------------------------------------------------

def sine(seq_len: int = 50, noise: float = 0.0) -> Task:
    """Forecast a sine wave one step ahead; frequency and phase vary per sequence."""
    def sampler(B, gen):
        w = 0.1 + 0.4 * _u(gen, B, 1)
        phi = 2 * math.pi * _u(gen, B, 1)
        t = torch.arange(seq_len + 1).float()[None]
        s = torch.sin(w * t + phi)
        x = s[:, :-1] + noise * torch.randn(B, seq_len, generator=gen)
        return Batch(x[..., None], s[:, 1:, None])
    return Task("sine", "many-to-many", 1, 1, "mse", sampler, seq_len, "per_step",
                "Sine forecasting", "Predict the next value of a sine wave of unknown frequency and phase.",
                params=dict(seq_len=seq_len, noise=noise), channel_names=["x"])


def adding(seq_len: int = 50) -> Task:
    """Le et al. (2015): add the two values marked in channel 2 (one in each half)."""
    def sampler(B, gen):
        vals = _u(gen, B, seq_len)
        half = seq_len // 2
        i1 = (torch.rand(B, generator=gen) * half).long()
        i2 = half + (torch.rand(B, generator=gen) * (seq_len - half)).long()
        marks = torch.zeros(B, seq_len)
        rows = torch.arange(B)
        marks[rows, i1] = 1.0
        marks[rows, i2] = 1.0
        y = vals[rows, i1] + vals[rows, i2]
        return Batch(torch.stack([vals, marks], dim=-1), y[:, None])
    return Task("adding", "many-to-one", 2, 1, "mse", sampler, seq_len, "last",
                "Adding problem", "Sum the two values whose marker is 1; always answering 1 scores MSE 0.167.",
                params=dict(seq_len=seq_len), channel_names=["value", "marker"])


def delayed_recall(seq_len: int = 30, delay: int = 5, n_symbols: int = 4) -> Task:
    """Output the symbol seen ``delay`` steps ago (copy with a lag)."""
    def sampler(B, gen):
        s = (torch.rand(B, seq_len, generator=gen) * n_symbols).long()
        y = torch.full((B, seq_len), IGNORE, dtype=torch.long)
        y[:, delay:] = s[:, :seq_len - delay]
        return Batch(_one_hot(s, n_symbols), y)
    syms = [chr(ord("A") + i) for i in range(n_symbols)]
    return Task("delayed_recall", "many-to-many", n_symbols, n_symbols, "cross_entropy", sampler,
                seq_len, "per_step", "Delayed recall",
                f"At each step output the symbol seen {delay} steps earlier.",
                params=dict(seq_len=seq_len, delay=delay, n_symbols=n_symbols), vocab=syms,
                channel_names=syms)


def temporal_order(seq_len: int = 30) -> Task:
    """Hochreiter & Schmidhuber (1997): classify the order of two marked symbols X/Y among noise."""
    syms = ["X", "Y", "a", "b", "c", "d"]
    classes = ["XX", "XY", "YX", "YY"]

    def sampler(B, gen):
        s = 2 + (torch.rand(B, seq_len, generator=gen) * 4).long()
        lo1, lo2 = max(1, seq_len // 10), max(2, seq_len // 2)
        span = max(1, seq_len // 10)
        t1 = lo1 + (torch.rand(B, generator=gen) * span).long()
        t2 = lo2 + (torch.rand(B, generator=gen) * span).long()
        a = (torch.rand(B, generator=gen) < 0.5).long()
        b = (torch.rand(B, generator=gen) < 0.5).long()
        rows = torch.arange(B)
        s[rows, t1] = a
        s[rows, t2] = b
        return Batch(_one_hot(s, 6), 2 * a + b)
    return Task("temporal_order", "many-to-one", 6, 4, "cross_entropy", sampler, seq_len, "last",
                "Temporal order", "Two symbols X or Y hide among distractors; say which came in which order.",
                params=dict(seq_len=seq_len), vocab=classes, channel_names=syms)


def parity(seq_len: int = 10) -> Task:
    """Is the number of ones in a bit string odd?"""
    def sampler(B, gen):
        bits = (torch.rand(B, seq_len, generator=gen) < 0.5).float()
        return Batch(bits[..., None], (bits.sum(1) % 2).long())
    return Task("parity", "many-to-one", 1, 2, "cross_entropy", sampler, seq_len, "last",
                "Parity", "Output 1 when the sequence holds an odd number of ones.",
                params=dict(seq_len=seq_len), vocab=["even", "odd"], channel_names=["bit"])


def flipflop(seq_len: int = 100, n_bits: int = 3, p_pulse: float = 0.05) -> Task:
    """Sussillo & Barak (2013): each output holds the sign of the last pulse on its input channel."""
    def sampler(B, gen):
        u = torch.rand(B, seq_len, n_bits, generator=gen)
        sign = torch.where(torch.rand(B, seq_len, n_bits, generator=gen) < 0.5, -1.0, 1.0)
        x = torch.where(u < p_pulse, sign, torch.zeros(()))
        x[:, 0] = torch.where(torch.rand(B, n_bits, generator=gen) < 0.5, -1.0, 1.0)  # defined start
        y = torch.empty_like(x)
        state = x[:, 0]
        for t in range(seq_len):
            state = torch.where(x[:, t] != 0, x[:, t], state)
            y[:, t] = state
        return Batch(x, y)
    return Task("flipflop", "many-to-many", n_bits, n_bits, "mse", sampler, seq_len, "per_step",
                f"{n_bits}-bit flip-flop", "Each output remembers the sign of the last pulse on its channel.",
                params=dict(seq_len=seq_len, n_bits=n_bits, p_pulse=p_pulse),
                channel_names=[f"bit {i + 1}" for i in range(n_bits)])


def _text_codes(text: str) -> tuple[list[str], Tensor]:
    """(sorted distinct characters, int64 code of every character), without a Python int per character."""
    try:
        cp = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    except UnicodeEncodeError:  # lone surrogates: the slow path
        vocab = sorted(set(text))
        index = {c: i for i, c in enumerate(vocab)}
        return vocab, torch.tensor([index[c] for c in text], dtype=torch.long)
    uniq, codes = np.unique(cp, return_inverse=True)
    return [chr(c) for c in uniq], torch.from_numpy(codes.astype(np.int64))


def char_lm(seq_len: int = 64, text: str | None = None, name: str = "char_lm") -> Task:
    """Character-level language modelling: predict the next character (default: the Sonnets).

    Windows are one-hot encoded per batch, never for the whole text; the reference batch of the
    constant baseline uses the targets alone, and held-out batches are capped by bytes
    (``Task.max_batch``), so a text with thousands of distinct characters stays affordable.
    """
    text = text if text is not None else SONNETS.read_text(encoding="utf-8")
    vocab, codes = _text_codes(text)
    if len(codes) < seq_len + 2:
        raise ValueError(f"the text has {len(codes)} characters; at least {seq_len + 2} are needed")
    V = len(vocab)

    def windows(B, gen):
        start = (torch.rand(B, generator=gen) * (len(codes) - seq_len - 1)).long()
        return codes[start[:, None] + torch.arange(seq_len + 1)[None]]

    def sampler(B, gen):
        chunk = windows(B, gen)
        return Batch(_one_hot(chunk[:, :-1], V), chunk[:, 1:])
    ref_y = windows(2048, torch.Generator().manual_seed(12345))[:, 1:]  # the same draw as Task's reference batch
    base = constant_baseline(SimpleNamespace(loss_kind="cross_entropy", output_size=V), ref_y)
    return Task(name, "many-to-many", V, V, "cross_entropy", sampler, seq_len, "per_step",
                "Character language model", "Predict the next character of Shakespeare's Sonnets.",
                params=dict(seq_len=seq_len), vocab=vocab, channel_names=vocab, baseline_loss=base[0],
                baseline_metric=base[1], max_batch=budget.batch_cap(budget.machine_budget().val_bytes,
                                                                    seq_len, V, V))


SENTIMENT_WORDS = {"love": 1, "like": 1, "great": 1, "good": 1,
                   "hate": -1, "dislike": -1, "awful": -1, "bad": -1}
NEUTRAL_WORDS = ["i", "the", "this", "movie", "film", "plot", "it", "was", "and", "very"]


def sentiment(seq_len: int = 8) -> Task:
    """Toy word-level sentiment: positive and negative words, "not" flips the next one."""
    vocab = NEUTRAL_WORDS + list(SENTIMENT_WORDS) + ["not"]
    ids = {w: i for i, w in enumerate(vocab)}
    pos = torch.tensor([ids[w] for w, v in SENTIMENT_WORDS.items() if v > 0])
    neg = torch.tensor([ids[w] for w, v in SENTIMENT_WORDS.items() if v < 0])
    n_neutral = len(NEUTRAL_WORDS)

    def sampler(B, gen):
        w = (torch.rand(B, seq_len, generator=gen) * n_neutral).long()
        label = (torch.rand(B, generator=gen) < 0.5).long()
        # one sentiment word per sentence, maybe negated; the label decides its effective sign
        t = 1 + (torch.rand(B, generator=gen) * (seq_len - 1)).long()
        negate = torch.rand(B, generator=gen) < 0.3
        want_pos = (label == 1) ^ negate
        pick = (torch.rand(B, generator=gen) * 4).long()
        rows = torch.arange(B)
        w[rows, t] = torch.where(want_pos, pos[pick], neg[pick])
        w[rows[negate], t[negate] - 1] = ids["not"]
        return Batch(_one_hot(w, len(vocab)), label)
    return Task("sentiment", "many-to-one", len(vocab), 2, "cross_entropy", sampler, seq_len, "last",
                "Word sentiment", 'Is the sentence positive? "love" pushes up, "hate" down, "not" flips.',
                params=dict(seq_len=seq_len), vocab=["negative", "positive"], channel_names=vocab)


def waveform(seq_len: int = 40) -> Task:
    """One-to-many: from one input (amplitude, frequency) at t = 0, generate A sin(w t)."""
    def sampler(B, gen):
        amp = 0.3 + 0.7 * _u(gen, B)
        freq = _u(gen, B)
        w = 0.15 + 0.35 * freq
        x = torch.zeros(B, seq_len, 2)
        x[:, 0, 0], x[:, 0, 1] = amp, freq
        t = torch.arange(1, seq_len + 1).float()[None]
        return Batch(x, (amp[:, None] * torch.sin(w[:, None] * t))[..., None])
    return Task("waveform", "one-to-many", 2, 1, "mse", sampler, seq_len, "per_step",
                "Waveform generator", "From one input (amplitude, frequency) given at t = 0, draw the sine.",
                params=dict(seq_len=seq_len), channel_names=["amplitude", "frequency"])


def reversal(seq_len: int = 6, n_symbols: int = 4) -> Task:
    """Encoder-decoder: read a symbol sequence, then emit it reversed."""
    def sampler(B, gen):
        s = (torch.rand(B, seq_len, generator=gen) * n_symbols).long()
        return Batch(_one_hot(s, n_symbols), s.flip(1))
    syms = [chr(ord("A") + i) for i in range(n_symbols)]
    return Task("reversal", "encoder-decoder", n_symbols, n_symbols, "cross_entropy", sampler, seq_len,
                "encoder_decoder", "Sequence reversal", "Read the whole sequence, then write it backwards.",
                params=dict(seq_len=seq_len, n_symbols=n_symbols), vocab=syms, channel_names=syms,
                out_steps=seq_len)


def marked_recall(seq_len: int = 30) -> Task:
    """Recall the value at the one marked step (where attention helps)."""
    def sampler(B, gen):
        vals = _u(gen, B, seq_len)
        i = (torch.rand(B, generator=gen) * seq_len).long()
        marks = torch.zeros(B, seq_len)
        rows = torch.arange(B)
        marks[rows, i] = 1.0
        return Batch(torch.stack([vals, marks], -1), vals[rows, i][:, None])
    return Task("marked_recall", "many-to-one", 2, 1, "mse", sampler, seq_len, "attention",
                "Marked recall", "Output the value at the step whose marker is 1 (attention finds it).",
                params=dict(seq_len=seq_len), channel_names=["value", "marker"])


def lookahead(seq_len: int = 20, shift: int = 2) -> Task:
    """Label each step by the sign of the input ``shift`` steps LATER (needs the future)."""
    def sampler(B, gen):
        x = torch.randn(B, seq_len + shift, generator=gen)
        y = (x[:, shift:] > 0).long()
        return Batch(x[:, :seq_len, None], y)
    return Task("lookahead", "many-to-many", 1, 2, "cross_entropy", sampler, seq_len, "per_step",
                "Look-ahead", f"Classify each step by the sign of the input {shift} steps later; "
                "only a bidirectional RNN sees it.", params=dict(seq_len=seq_len, shift=shift),
                vocab=["negative", "positive"], channel_names=["x"])


def squash(seq_len: int = 1) -> Task:
    """One-to-one: y = sin(3u) for a single input u (a feed-forward net, T = 1)."""
    def sampler(B, gen):
        u = 2 * _u(gen, B, seq_len, 1) - 1
        return Batch(u, torch.sin(3 * u[:, -1]))
    return Task("one_to_one", "one-to-one", 1, 1, "mse", sampler, seq_len, "last",
                "One-to-one function", "One input, one output: y = sin(3u), no sequence at all.",
                params=dict(seq_len=seq_len), channel_names=["u"])


__all__ = ["TASKS", "get_task", "Batch", "Task", "IGNORE", "IO_KINDS", "constant_baseline"]  # and each task's builder

TASKS: dict[str, Callable[..., Task]] = {
    "sine": sine,
    "adding": adding,
    "delayed_recall": delayed_recall,
    "temporal_order": temporal_order,
    "parity": parity,
    "flipflop": flipflop,
    "char_lm": char_lm,
    "sentiment": sentiment,
    "waveform": waveform,
    "reversal": reversal,
    "marked_recall": marked_recall,
    "lookahead": lookahead,
    "one_to_one": squash,
}


def get_task(name: str, **params) -> Task:
    """Build a registered task; unknown names and parameters raise ValueError with the choices."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; choose one of {sorted(TASKS)}")
    try:
        return TASKS[name](**params)
    except TypeError as e:
        raise ValueError(f"bad parameters for task {name!r}: {e}") from None
