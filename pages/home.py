"""Home: what the app is, and a link to every page."""
import streamlit as st

from explorer.nav import available_pages
from explorer.shell import use_navigation_only

use_navigation_only()
st.title("RNN Explorer")
st.markdown(
    "Watch recurrent networks learn. Every number on these pages comes from a real network "
    "trained live on this server, whether it's a vanilla RNN, an LSTM or a GRU: its hidden states "
    "moving through state space, its gradients flowing back through time, and its gates opening "
    "and closing.")
section = None
for sec, path, title, icon, blurb in available_pages():
    if path == "pages/home.py":
        continue
    if sec != section:
        st.subheader(sec)
        section = sec
    st.page_link(path, label=f"**{title}**: {blurb}", icon=icon)
