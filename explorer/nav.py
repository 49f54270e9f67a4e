"""The page table: app.py builds the navigation from it, the home page links to every entry."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (section, file, title, icon, one line for the home page); the lecture note's order.
# A page's URL path is its file name (pages/training_lab.py -> /training_lab).
PAGE_TABLE = [
    ("", "pages/home.py", "Home", ":material/home:", "What this is."),
    ("Theory", "pages/rnn_cell.py", "RNN cell", ":material/function:",
     "One step at a time: the equations with live numbers, the cobweb and the phase plane (sections 1, 2)."),
    ("Theory", "pages/unrolled_graph.py", "Unrolled graph", ":material/account_tree:",
     "Shared weights over time, forward values and the gradient flowing back (sections 3, 5)."),
    ("Theory", "pages/io_structures.py", "I/O structures", ":material/swap_horiz:",
     "One-to-one, one-to-many, many-to-one, many-to-many and encoder-decoder, each trained (section 4)."),
    ("Theory", "pages/bidirectional_attention.py", "Bidirectional & attention", ":material/compare_arrows:",
     "Reading the future, and attending to the step that matters (section 7)."),
    ("Labs", "pages/training_lab.py", "Training lab", ":material/model_training:",
     "Pick a task and a cell, press Train: loss, predictions, hidden trajectories and gradients, live (section 5)."),
    ("Labs", "pages/gradient_flow.py", "Gradient flow", ":material/trending_down:",
     "Vanishing and exploding gradients against the spectral radius, the Pascanu bound, clipping (section 6)."),
    ("Labs", "pages/dynamics.py", "Dynamics", ":material/scatter_plot:",
     "State space: trajectories, fixed points and their stability, the W_hh spectrum, chaos (sections 1, 6)."),
    ("Labs", "pages/comparison.py", "LSTM vs GRU vs RNN", ":material/leaderboard:",
     "The three cells trained side by side on the same data: gates and memory length (section 7)."),
    ("Data", "pages/data.py", "Data", ":material/upload_file:",
     "Upload your own sequences, check them, and export runs and models."),
]


def available_pages() -> list[tuple]:
    """Entries whose page file exists (pages under construction are left out of the menu)."""
    return [row for row in PAGE_TABLE if (ROOT / row[1]).exists()]
