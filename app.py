"""RNN Explorer: `streamlit run app.py`.

Streamlit runs this file for every page view (as ``__main__``; a page opened without it runs it
as ``__page__``, explorer/app/shell.py): the app itself is ``explorer.app.main.run``. To start the
server, ``streamlit run`` imports this file and finds ``app`` below: Streamlit's own server plus
the route that streams each session's live charts (explorer/app/live_feed.py).
"""
import streamlit as st

if __name__ in ("__main__", "__page__"):
    from explorer.app.main import run

    run()
else:
    from explorer.app.live_feed import routes

    app = st.App(__file__, routes=routes())
