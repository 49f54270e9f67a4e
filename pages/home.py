"""Home: what the app is, and a link to every page."""
import streamlit as st

from explorer.app.shell import use_navigation_only

use_navigation_only()

from explorer.app.lang import current, t  # noqa: E402
from explorer.app.nav import available_pages, page_blurb, page_title, section_title  # noqa: E402

lang = current()
st.title(t("app.page_title"))
st.markdown(t("home.intro"))
section = None
for sec, path, icon in available_pages():
    if path == "pages/home.py":
        continue
    if sec != section:
        st.subheader(section_title(sec, lang))
        section = sec
    st.page_link(path, label=f"**{page_title(path, lang)}**: {page_blurb(path, lang)}", icon=icon)
