"""Streamlit-facing library of RNN Explorer: state, widgets, jobs and figure builders."""
