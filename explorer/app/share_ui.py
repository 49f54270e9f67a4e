"""Class mode, the lecturer's side: "Share with the class" on the pages that train.

The button opens a room (``explorer.jobs.rooms``) for the page's runs; the page then shows the room's
code, a link ``/follow?room=CODE`` with the page's own settings, and a QR code of that link large
enough (``QR_MIN_PX``) to scan from the back of a lecture hall, drawn with ``segno`` (pure Python).
"End the room" ends it for every follower. Each page run tells the room which jobs and view
options to share (``panel``); the dynamics page also shares the fixed points it found (``push``).
"""
from __future__ import annotations

import io
import math
import os
from urllib.parse import urlencode, urlsplit

import streamlit as st

from ..jobs import runtime
from . import state, urlstate
from .lang import t
from ..jobs.rooms import show_code

QR_MIN_PX = 400  # smallest side of the QR code on screen, in CSS pixels (the issue asks for >= 360)
QR_BORDER = 4  # quiet zone in modules (the QR standard's minimum)
FOLLOW_PAGE = "follow"  # url path of the followers' page
PUBLIC_URL_ENV = "RNNX_PUBLIC_URL"  # the address students use (e.g. http://10.0.0.5:8501), when the
# lecturer's browser reaches the server by another one (localhost)
COUNT_REFRESH_S = 5.0  # seconds between updates of the follower count on the lecturer's page


def app_base(page: str, url: str | None) -> str:
    """The app's address without the page ("http://host:8501" or ".../prefix"), from the
    ``RNNX_PUBLIC_URL`` environment variable or the lecturer's own ``url`` of ``page``; "" when
    neither is known (a link relative to the server then)."""
    public = os.environ.get(PUBLIC_URL_ENV, "").strip()
    if public:
        return public.rstrip("/")
    if not url:
        return ""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    if path.endswith("/" + page):
        path = path[: -len(page) - 1]
    return f"{parts.scheme}://{parts.netloc}{path}"


def follow_link(base: str, code: str, settings: dict) -> str:
    """The followers' link: ``base/follow?room=CODE`` and the lecturer page's settings."""
    return f"{base}/{FOLLOW_PAGE}?" + urlencode({"room": code, **settings})


def qr_png(link: str, min_px: int = QR_MIN_PX) -> tuple[bytes, int]:
    """A QR code of ``link`` as PNG bytes and its side in pixels (>= ``min_px``, whole pixels per
    module so that it stays sharp)."""
    import segno

    qr = segno.make(link, error="m")
    side = qr.symbol_size(scale=1, border=QR_BORDER)[0]
    scale = max(1, math.ceil(min_px / side))
    buf = io.BytesIO()
    qr.save(buf, kind="png", scale=scale, border=QR_BORDER)
    return buf.getvalue(), side * scale


def page_settings(page: str) -> dict:
    """The lecturer page's own settings as query parameters (the language, presenter mode, device
    and tour step are each follower's own, so they stay out of the link)."""
    return {k: v for k, v in urlstate.params_for(page, st.session_state).items() if k not in urlstate.GLOBAL_KEYS}


def panel(page: str, job_names: tuple, *, view: dict | None = None) -> None:
    """The share button, or the open room's code, link, QR code, follower count and end button.

    Args:
        page: the page's url path ("training_lab", "comparison", "dynamics").
        job_names: the names of the page's jobs on the session's board (followed by name, so a
            restarted run or a new preset reaches the followers).
        view: the lecturer's view options followers share (e.g. {"dims": 3}).
    """
    registry, token = runtime.rooms(), runtime.tab_token()
    room = registry.of(token, page)
    if room is None:
        slot = st.empty()  # the button goes as soon as the room is open (not one run later)
        if not slot.button(t("share.btn.open"), icon=":material/cast_for_education:", key=state.SHARE_BTN_OPEN,
                           help=t("share.btn.open_help")):
            return
        room = registry.open(page, token, runtime.session_jobs())
        slot.empty()
    room.update(job_names, page_settings(page), view or {})
    link = follow_link(app_base(page, st.context.url), room.code, room.settings)
    with st.expander(t("share.title", code=show_code(room.code)), expanded=True, icon=":material/cast_for_education:"):
        qr, side = qr_png(link)
        c1, c2 = st.columns([1.1, 1])  # the QR code's column holds QR_MIN_PX on a 1280-px screen
        c1.image(qr, width=side, caption=t("share.qr_caption"), output_format="PNG")  # lossless: sharp modules
        with c2:
            st.markdown(t("share.code_line", code=show_code(room.code)))
            st.markdown(t("share.link_line"))
            st.code(link, language=None, wrap_lines=True)
            st.caption(t("share.explain"))
            _count(room)
            if st.button(t("share.btn.end"), icon=":material/stop_circle:", key=state.SHARE_BTN_END,
                         help=t("share.btn.end_help")):
                registry.end(room.code)
                st.rerun()


def _count(room) -> None:
    @st.fragment(run_every=COUNT_REFRESH_S)
    def followers():
        st.caption(t("share.followers", n=room.followers()))

    followers()


def push(page: str, name: str, value) -> None:
    """Share a result the page computed (``Room.push``) when the page has an open room."""
    room = runtime.rooms().of(runtime.tab_token(), page)
    if room is not None:
        room.push(name, value)
