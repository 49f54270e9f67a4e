"""Streamlit blocks shared by the Data page and the Training lab for an uploaded dataset: the
"Use suggested settings" button with its reasons, the baselines, and a run's held-out results.
Layout only: the logic is in explorer.views.data_suggest and explorer.views.data_baselines."""
from __future__ import annotations

import streamlit as st

from ..views import data_baselines as BV
from ..views import data_suggest as SV
from .lang import current, t


def suggest_button(name: str, key: str, container=None) -> None:
    """"Use suggested settings" for dataset ``name``: its on_click callback sets the settings before
    the page's widgets are drawn again (a widget's key cannot be set after it is drawn)."""
    (container or st).button(t("suggest.button"), key=key, icon=":material/auto_fix_high:",
                             help=t("suggest.button_help"), on_click=SV.apply_suggestion,
                             args=(st.session_state, name), use_container_width=True)


def suggest_reasons(name: str, expanded: bool = True) -> None:
    """One sentence per setting of the suggestion last applied to ``name`` (nothing if none)."""
    lines = SV.applied_lines(st.session_state, name, current())
    if lines:
        with st.expander(t("suggest.applied", name=name), expanded=expanded):
            st.markdown("\n".join(f"- {line}" for line in lines))


def baselines_block(entry: dict, task) -> None:
    """The baselines on ``task``'s held-out data, with where they were measured."""
    b = BV.task_baselines(entry, task)
    if b is not None and b.values:
        st.subheader(t("data.baselines"))
        st.markdown(BV.baseline_markdown(b, current()))


def run_results(snap, task, b) -> None:
    """The run's best step (validation and test metrics), last test metric and the baselines beside
    them, as a list."""
    lang = current()
    st.markdown(f"**{t('baselines.results')}**\n\n" + "\n".join(BV.run_results(snap, task, b, lang)))
