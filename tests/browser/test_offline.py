"""The app offline (a lecture hall without internet, issue 18): every request to a host other
than the local server is aborted, and the tab's icon still comes from the local server."""
from urllib.parse import urlparse

from .conftest import assert_no_exception, wait_idle

LOCAL = {"127.0.0.1", "localhost"}
ICON_JS = """() => [...document.querySelectorAll('link[rel~="icon"]')].map(l => l.href)"""


def test_favicon_is_served_from_localhost_when_offline(page, app_server):
    blocked, icons = [], []

    def route(r):
        host = urlparse(r.request.url).hostname
        if r.request.url.startswith(("data:", "blob:")) or host in LOCAL:
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("response", lambda resp: icons.append(resp) if "image" in (resp.headers.get("content-type") or "")
            and urlparse(resp.url).hostname in LOCAL else None)
    page.goto(f"{app_server}/")
    wait_idle(page, timeout=120000)
    assert_no_exception(page)
    # the app's own icon replaces Streamlit's default once the script has set the page config
    page.wait_for_function(f"() => ({ICON_JS})().some(h => h.includes('/media/'))", timeout=60000)
    hrefs = page.evaluate(ICON_JS)
    assert hrefs and all(urlparse(h).hostname in LOCAL for h in hrefs), hrefs
    media = [h for h in hrefs if "/media/" in h][0]
    resp = page.request.get(media)
    assert resp.ok and resp.headers["content-type"].startswith("image/png"), (media, resp.status)
    assert resp.body()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [u for u in blocked if "icon" in u.lower() or "emoji" in u.lower()], blocked
