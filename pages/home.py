"""Home: what the app is, and a link to every page."""
import streamlit as st

from explorer.shell import use_navigation_only

use_navigation_only()

st.title("RNN Explorer")
st.markdown(
    "Watch recurrent networks learn. Every number on these pages comes from a real network "
    "trained live on this server, whether it's a vanilla RNN, an LSTM or a GRU: its hidden states "
    "moving through state space, its gradients flowing back through time, and its gates opening "
    "and closing.")
st.page_link("pages/training_lab.py", label="Training lab: pick a task and a cell, press Train, "
             "and watch the loss, predictions, hidden trajectories and gradient norms live.", icon=":material/model_training:")
