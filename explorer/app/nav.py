"""The page table: app.py builds the navigation from it, the home page links to every entry.

Titles, section names and the home page's one-liners are in the language catalogues
(``nav.<file stem>.title``, ``nav.<file stem>.blurb``, ``nav.section.<section>``).
"""
from __future__ import annotations

from pathlib import Path

from .i18n import DEFAULT_LANG, text

ROOT = Path(__file__).resolve().parents[2]

# (section, file, icon); the lecture note's order. A page's URL path is its file name
# (pages/training_lab.py -> /training_lab). Section "" is the top of the menu.
PAGE_TABLE = [
    ("", "pages/home.py", ":material/home:"),
    ("theory", "pages/rnn_cell.py", ":material/function:"),
    ("theory", "pages/unrolled_graph.py", ":material/account_tree:"),
    ("theory", "pages/io_structures.py", ":material/swap_horiz:"),
    ("theory", "pages/bidirectional_attention.py", ":material/compare_arrows:"),
    ("labs", "pages/training_lab.py", ":material/model_training:"),
    ("labs", "pages/gradient_flow.py", ":material/trending_down:"),
    ("labs", "pages/dynamics.py", ":material/scatter_plot:"),
    ("labs", "pages/comparison.py", ":material/leaderboard:"),
    ("labs", "pages/follow.py", ":material/cast_for_education:"),  # class mode: a student follows the lecturer
    ("data", "pages/data.py", ":material/upload_file:"),
]


def stem(path: str) -> str:
    """"pages/training_lab.py" -> "training_lab" (also the page's URL path)."""
    return Path(path).stem


def page_title(path: str, lang: str = DEFAULT_LANG) -> str:
    return text(f"nav.{stem(path)}.title", lang)


def page_blurb(path: str, lang: str = DEFAULT_LANG) -> str:
    return text(f"nav.{stem(path)}.blurb", lang)


def section_title(section: str, lang: str = DEFAULT_LANG) -> str:
    return text(f"nav.section.{section}", lang) if section else ""


def available_pages() -> list[tuple]:
    """Entries whose page file exists (pages under construction are left out of the menu)."""
    return [row for row in PAGE_TABLE if (ROOT / row[1]).exists()]
