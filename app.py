"""RNN Explorer entry point: `streamlit run app.py`."""
import streamlit as st

st.set_page_config(page_title="RNN Explorer", layout="wide")
st.title("RNN Explorer")
st.write("Watch recurrent networks learn.")
