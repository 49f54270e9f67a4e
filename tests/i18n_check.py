"""What counts as untranslated text, shared by the catalogue test and the page tests.

A Korean string must contain Hangul unless it is purely technical: symbols, numbers, LaTeX,
code, placeholders, and the names in ``TECH`` (cell kinds, file formats, library names), which
stay in Latin letters in Korean lecture notes too. An English page must contain no Hangul except
the language switch itself.
"""
from __future__ import annotations

import re

from explorer.app.i18n import HANGUL

# Latin-letter words that Korean text keeps as they are. Add only names and abbreviations,
# never ordinary English words.
TECH = {
    "rnn", "rnns", "lstm", "lstms", "gru", "grus", "bptt", "pca", "mse", "csv", "tsv", "npz", "npy", "json",
    "html", "utf", "cuda", "mps", "cpu", "gpu", "tanh", "relu", "sigmoid", "adam", "sgd", "pascanu",
    "softmax", "auto", "png", "txt", "safetensors", "excel", "seed", "elman", "jordan", "apple", "torch",
    "pytorch", "plotly", "streamlit", "id", "max", "min", "log", "exp", "abs", "diag", "argmax", "eig",
    "vs", "rms", "mae", "acc", "std", "mean", "norm", "lyapunov", "jacobian", "hochreiter", "schmidhuber",
    "bengio", "cho", "sutskever", "hinton", "lecun", "glorot", "xavier", "he", "english", "sin", "cos",
}
_STRIP = [
    re.compile(r"\$\$.*?\$\$", re.S),  # display LaTeX
    re.compile(r"\$[^$]*\$"),  # inline LaTeX
    re.compile(r"`[^`]*`"),  # code
    re.compile(r"\{[^{}]*\}"),  # placeholders
    re.compile(r"https?://\S+"),  # links
    re.compile(r":material/[a-z_]+:"),  # icons
    re.compile(r"\b[A-Za-z]+_[A-Za-z0-9_{}]+"),  # symbols such as W_hh, h_t, max_columns
    re.compile(r"\b[A-Za-z]\b"),  # single letters (H, T, t, x)
]
_WORD = re.compile(r"[A-Za-z]{2,}")


def english_words(s: str) -> list[str]:
    """Latin-letter words of ``s`` that are not technical names (after stripping LaTeX, code...)."""
    for pat in _STRIP:
        s = pat.sub(" ", s)
    return [w for w in _WORD.findall(s) if w.lower() not in TECH]


def untranslated_ko(s: str) -> bool:
    """True when ``s`` is shown to a Korean reader but is English prose or an English label."""
    return not HANGUL.search(s) and bool(english_words(s))


def has_hangul(s: str) -> bool:
    return bool(HANGUL.search(s))
