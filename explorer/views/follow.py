"""Class mode, the students' side: the Follow page (``/follow?room=CODE``).

A follower sees the lecturer's run read-only and live: the status line of each shared job (read
without locks) and the page's charts as the room's publisher built them, the same serialised
bytes for every follower of a language (``explorer.jobs.rooms``). Nothing here builds a figure, starts,
pauses or changes the lecturer's run. Each chart is a live chart (``explorer.app.live_chart``): the
follower's zoom, hover and a replay's slider are their own. "Take a copy" makes the run theirs,
in their own Training lab (``explorer.views.follow_copy``).
"""
from __future__ import annotations

import streamlit as st

from . import follow_copy
from ..jobs import runtime
from ..app import session, state
from .data_text import message_text
from ..jobs.run_files import lab_settings
from ..figures.common import cell_name
from ..app.lang import current, t
from ..app.live_chart import live_chart_group
from ..app.nav import page_title
from ..jobs.rooms import ENDED, normalize_code, show_code

ROOM_PARAM = "room"  # the query parameter of the room code
FOLLOW_REFRESH_S = 0.9  # seconds between a follower's refreshes (at least one a second, with jitter)
FIRST_FRAME_S = 3.0  # a follower's first page load waits this long at most for the charts


def show() -> None:
    """The whole page: the room's live view, or a message and the code form."""
    lang = current()
    st.title(t("nav.follow.title"))
    raw = str(st.query_params.get(ROOM_PARAM) or "")
    registry = runtime.rooms()
    room = registry.get(raw) if raw else None
    if room is None:
        _no_room(registry, raw)
        return
    st.caption(t("follow.caption", page=page_title(f"pages/{room.page}.py", lang), code=show_code(room.code)))
    _copy_controls(room, lang)
    _live(room, lang)


def _no_room(registry, raw: str) -> None:
    """Why there is nothing to follow (never an exception), and a box to type a code."""
    code = normalize_code(raw)
    if raw and code is None:
        st.warning(t("follow.bad_code", code=raw[:40]), icon=":material/error:")
    elif raw:
        why = registry.why_closed(code)
        if why is None:
            st.warning(t("follow.unknown", code=show_code(code)), icon=":material/search_off:")
        else:
            st.info(t("follow.ended" if why == ENDED else "follow.left", code=show_code(code)),
                    icon=":material/cast:")
    else:
        st.markdown(t("follow.intro"))
    # a flex row: the button at its label's width (a 1/6 column cut "Follow" to "Fol…" at 1024 px)
    row = st.container(horizontal=True, vertical_alignment="bottom")
    typed = row.text_input(t("follow.code_label"), key=state.FOLLOW_CODE, placeholder="ABCD-1234", max_chars=20,
                           width=240)
    if row.button(t("follow.btn.join"), icon=":material/login:", key=state.FOLLOW_BTN_JOIN, type="primary"):
        st.query_params[ROOM_PARAM] = normalize_code(typed) or typed.strip()[:40]
        st.rerun()


def _copy_controls(room, lang: str) -> None:
    """"Take a copy": the lecturer's run (on the comparison page, one of its cells) becomes the
    follower's own, paused in their Training lab."""
    names = room.job_names
    if not names:
        return
    c = st.columns([1.2, 3], vertical_alignment="center")
    name = names[0]
    if len(names) > 1:
        cells = {n: cell_name(n.rsplit(".", 1)[-1], lang) for n in names}
        name = c[1].radio(t("follow.copy_which"), names, format_func=cells.get, horizontal=True,
                          key=state.FOLLOW_COPY_OF)
    if c[0].button(t("follow.btn.copy"), icon=":material/content_copy:", key=state.FOLLOW_BTN_COPY,
                   help=t("follow.btn.copy_help"), use_container_width=True):
        ss = st.session_state
        updates, msg = follow_copy.take_copy(room, name, lab_settings(session.get), ss[state.DATASETS],
                                             runtime.session_jobs(), runtime.limiter())
        if msg[0] == "error":
            st.error(message_text(msg, lang))
            return
        ss.update(updates)
        st.switch_page("pages/training_lab.py")


def _live(room, lang: str) -> None:
    """The live part: refreshed about once a second, from what the room already holds."""
    code, sid, registry = room.code, runtime.session_id(), runtime.rooms()
    if room.follow(sid, lang) is None:
        room.wait_frame(lang, FIRST_FRAME_S)

    @st.fragment(run_every=FOLLOW_REFRESH_S)
    def live():
        r = registry.get(code)
        if r is None:
            st.rerun()  # the room ended: the whole page says so, and this timer stops
        frame = r.follow(sid, lang)
        status_lines(r, lang)
        charts(frame)

    live()


def status_lines(room, lang: str) -> None:
    """Each shared job's progress and status (side by side for the comparison's three cells)."""
    progs = {n: p for n, p in room.progress().items() if p is not None}
    cols = st.columns(len(progs)) if len(progs) > 1 else [st.container()]
    for col, (name, p) in zip(cols, progs.items()):
        with col:
            if len(progs) > 1:
                st.markdown(f"**{cell_name(name.rsplit('.', 1)[-1], lang)}**")
            st.progress(min(1.0, p.step / max(1, p.target_steps)),
                        text=t("widgets.progress", step=p.step, target=p.target_steps))
            st.caption(t("follow.status_line", status=t(f"jobs.status.{p.status}"), rate=f"{p.steps_per_s:,.0f}",
                         loss=f"{p.loss:.4g}"))


def charts(frame) -> None:
    """The frame's charts, one element per group (its curves, its probe charts): the same text for
    every follower, so a group that did not change goes out as a reference to what the browser has."""
    if frame is None:
        st.caption(t("follow.waiting"))
        return
    if not frame.rows and not frame.texts:
        st.info(t("follow.no_run"), icon=":material/hourglass_empty:")
        return
    if "fixed_points" in frame.texts:
        st.caption(frame.texts["fixed_points"])
    if "sample" in frame.texts:
        st.code(frame.texts["sample"], language=None, wrap_lines=True)
    for name, group in frame.groups:
        live_chart_group(group, f"follow.{name}")
