"""Sampling text from a character-level model, one character at a time."""
from __future__ import annotations

import torch

from .tasks import Task


def generate_text(model, task: Task, prompt: str = "", length: int = 200, *, temperature: float = 0.8,
                  generator: torch.Generator | None = None) -> str:
    """Continue ``prompt`` with ``length`` characters sampled from ``model``.

    The recurrent state is carried from step to step (the model reads one character at a time),
    so this is the RNN as a generator: each output is fed back as the next input.

    Args:
        model: a per-step ``SeqModel`` trained on a character task.
        task: the task (its ``vocab`` maps indices to characters).
        prompt: characters outside the vocabulary are skipped; empty: start from a newline or the
            first symbol.
        length: characters to generate.
        temperature: > 0; lower is greedier.
        generator: for reproducible samples.
    Returns:
        the generated text (without the prompt).
    """
    vocab = task.vocab
    index = {c: i for i, c in enumerate(vocab)}
    ids = [index[c] for c in prompt if c in index] or [index.get("\n", 0)]
    dev = next(model.parameters()).device
    V = len(vocab)
    out = []
    model.eval()
    with torch.no_grad():
        x = torch.nn.functional.one_hot(torch.tensor(ids, device=dev), V).float()[None]
        o, state = model.rnn(x)
        logits = model.readout(o[:, -1])
        for _ in range(length):
            p = torch.softmax(logits[0] / max(temperature, 1e-3), -1).cpu()
            i = int(torch.multinomial(p, 1, generator=generator))
            out.append(vocab[i])
            x = torch.nn.functional.one_hot(torch.tensor([[i]], device=dev), V).float()
            o, state = model.rnn(x, state)
            logits = model.readout(o[:, -1])
    return "".join(out)
