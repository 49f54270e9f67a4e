"""The guided lecture tour's stops: the lecture note's sections 1 to 7, one step per point.

``TOUR`` is the registry: each ``TourStep`` names a page, its texts in the catalogue (``tour.steps.<key>``:
a title that starts with the lecture-note section, "3 · ...", and a short explanation) and a preset
(session keys of explorer/app/state.py -> values) that makes the point visible as soon as the page opens.
Pure data (no Streamlit): explorer/app/tour.py draws it, explorer/app/urlstate.py bounds ``tour.step`` by it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import i18n, state


@dataclass(frozen=True)
class TourStep:
    """One stop of the tour."""

    page: str  # page file, e.g. "pages/gradient_flow.py" (as registered with st.navigation)
    key: str  # catalogue table tour.steps.<key>: "title" (shown as "Tour 3 of 12 · <title>") and "text"
    preset: dict = field(default_factory=dict)  # session key -> value, applied over the page's defaults

    def title_in(self, lang: str = "en") -> str:
        """The title in ``lang``: the lecture-note section(s), " · ", the point ("3 · The same weights...")."""
        return i18n.text(f"tour.steps.{self.key}.title", lang)

    def text_in(self, lang: str = "en") -> str:
        """What to look at, in ``lang`` (markdown, two or three sentences)."""
        return i18n.text(f"tour.steps.{self.key}.text", lang)

    @property
    def title(self) -> str:
        """The English title (tests and logs)."""
        return self.title_in()

    @property
    def text(self) -> str:
        """The English text."""
        return self.text_in()


_SENTIMENT = {  # the lecture's sentiment unit (as the RNN cell page's button sets it), H = 1
    state.CELL_ENTRIES[("W_xh", 0, 0)]: 2.0, state.CELL_ENTRIES[("W_xh", 0, 1)]: -2.0,
    state.CELL_ENTRIES[("W_hh", 0, 0)]: 1.0, state.CELL_ENTRIES[("b_h", 0, 0)]: 0.0,
    state.CELL_ENTRIES[("W_hy", 0, 0)]: 1.0, state.CELL_ENTRIES[("b_y", 0, 0)]: 0.0,
}

TOUR: tuple[TourStep, ...] = (  # texts: explorer/locales/<lang>.toml, [tour.steps.<key>]
    TourStep("pages/rnn_cell.py", "dynamical_system",
             {state.CELL_KIND: "rnn", state.CELL_HIDDEN: 1, state.CELL_PRESET: "pulse", state.CELL_LENGTH: 20,
              state.CELL_STEP: 6}),
    TourStep("pages/rnn_cell.py", "reads_words",
             {state.CELL_KIND: "rnn", state.CELL_HIDDEN: 1, state.CELL_PRESET: "love/hate", state.CELL_STEP: 3,
              **_SENTIMENT}),
    TourStep("pages/unrolled_graph.py", "shared_weights",
             {state.GRAPH_STRUCTURE: "many-to-many", state.GRAPH_LENGTH: 8, state.GRAPH_MODE: "forward"}),
    TourStep("pages/io_structures.py", "wirings",
             {state.IO_STRUCTURE: "encoder_decoder", state.IO_STEPS: 150}),
    TourStep("pages/unrolled_graph.py", "bptt",
             {state.GRAPH_STRUCTURE: "many-to-one", state.GRAPH_LENGTH: 20, state.GRAPH_MODE: "backward",
              state.GRAPH_KIND: "rnn"}),
    TourStep("pages/training_lab.py", "training_live",
             {state.LAB_TASK: "sine", state.LAB_KIND: "lstm", state.LAB_HIDDEN: 32, state.LAB_SEED: 0}),
    TourStep("pages/gradient_flow.py", "vanishing",
             {state.GF_CELLS: ["rnn"], state.GF_ACT: "tanh", state.GF_RHO: 0.75, state.GF_SEQ_LEN: 200,
              state.GF_BOUND: True, state.GF_TAB: "Gradient flow"}),
    TourStep("pages/gradient_flow.py", "exploding",
             {state.GF_CELLS: ["rnn"], state.GF_ACT: "linear", state.GF_RHO: 1.1, state.GF_SEQ_LEN: 200,
              state.GF_TAB: "Gradient flow"}),
    TourStep("pages/gradient_flow.py", "cliff",
             {state.GF_TAB: "The cliff"}),
    TourStep("pages/dynamics.py", "flipflop",
             {state.DYN_SOURCE: "flipflop", state.DYN_KIND: "lstm", state.DYN_LR: 0.01, state.DYN_SEED: 0}),
    TourStep("pages/comparison.py", "adding",
             {state.CMP_PRESET: "adding_50", state.CMP_TASK: "adding", state.CMP_SEQ_LEN: 50,
              state.CMP_HIDDEN: 32, state.CMP_EQUAL: False, state.CMP_LR: 0.01, state.CMP_BATCH: 64,
              state.CMP_CLIP: 1.0, state.CMP_STEPS: 1200, state.CMP_SEED: 0}),
    TourStep("pages/bidirectional_attention.py", "bidir_attention",
             {state.BI_SHIFT: 2, state.BI_STEPS: 100, state.BI_SEED: 0}),
)
