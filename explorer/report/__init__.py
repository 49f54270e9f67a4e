"""The self-contained HTML report of a run: its record (record.py), its story and replays (build.py),
the document shell with plotly.js inside (document.py)."""
