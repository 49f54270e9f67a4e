"""Browser tests: a real `streamlit run app.py` driven by headless Chromium via Playwright.

Fixtures
    chromium_executable (session, autouse) the Chromium path; skips/fails early when unusable
    app_server  (session)  base URL of a Streamlit server started from the repository root
    browser     (session)  a launched playwright Chromium Browser
    page        (function) a fresh context (viewport 1400x900) and page; closed afterwards
    shot_dir    (session)  a pytest temporary directory for screenshots

Helpers (import them with `from .conftest import wait_idle, assert_no_exception, screenshot`)
    INTO_SIGHT_JS                      JS (el) => scrolls a live chart into sight (it is redrawn only there)
    wait_idle(page, timeout=60000)     wait until the Streamlit script has finished running
    assert_no_exception(page)          fail if Streamlit rendered an exception box
    screenshot(page, directory, name)  full-page PNG, returns its path

Environment
    RNNX_CHROMIUM=/path          use this Chromium instead of /usr/bin/chromium
    RNNX_REQUIRE_BROWSER=1       a missing browser or playwright fails the tests instead of skipping
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent  # tests/browser/ -> tests/ -> repository root

DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 900}
SERVER_START_TIMEOUT_S = 60.0

# Streamlit puts these on its app root (`[data-testid='stApp']`); checked in streamlit 1.67's bundle:
# data-test-script-state is "initial" before the first run, then "running" / "notRunning" / ...
# A script that does not compile ends in "compilationError" (a dialog, no stException element).
IDLE_SELECTOR = (
    "[data-testid='stApp'][data-test-script-state='notRunning'], "
    "[data-testid='stApp'][data-test-script-state='compilationError']"
)
COMPILATION_ERROR_SELECTOR = "[data-testid='stApp'][data-test-script-state='compilationError']"
EXCEPTION_SELECTOR = "[data-testid='stException']"
# A reader watches a live chart, and one out of sight is not redrawn (explorer/app/live_chart.py):
# a test that reads what a live chart shows brings it into sight first. A JS function of the element.
INTO_SIGHT_JS = ("(el) => { const r = el.getBoundingClientRect();"
                 " if (r.bottom < 0 || r.top > innerHeight) el.scrollIntoView({block: 'center'}); }")


# --------------------------------------------------------------------------- collection

def pytest_collection_modifyitems(config, items):
    """Mark every test collected under tests/browser/ with `pytest.mark.browser`."""
    for item in items:
        try:
            path = Path(str(item.path)).resolve()
        except Exception:  # pragma: no cover - exotic items without a path
            continue
        if path == HERE or HERE in path.parents:
            item.add_marker(pytest.mark.browser)


# --------------------------------------------------------------------------- server

def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _read_tail(path: Path, limit: int = 8000) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "<unreadable>"
    return text if len(text) <= limit else "...\n" + text[-limit:]


def _stop_process_group(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)
    # Children that outlived the leader (same group): make sure nothing is left behind.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """Start `streamlit run app.py` on a free port; yield its base URL, e.g. http://127.0.0.1:PORT."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    cmd = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
    ]
    logdir = tmp_path_factory.mktemp("streamlit-server")  # server logs, kept for post-mortems
    out_path, err_path = logdir / "stdout.log", logdir / "stderr.log"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(
            cmd, cwd=REPO_ROOT, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
            start_new_session=True,  # own process group: teardown kills it and its children
        )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        last_error = "no answer yet"
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"streamlit exited with status {proc.returncode} before it was healthy.\n"
                    f"command: {' '.join(cmd)}\n--- stderr ---\n{_read_tail(err_path)}\n"
                    f"--- stdout ---\n{_read_tail(out_path)}",
                    pytrace=False,
                )
            try:
                with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as resp:
                    body = resp.read().decode(errors="replace").strip()
                if body == "ok":
                    break
                last_error = f"health answered {body!r}"
            except (urllib.error.URLError, OSError) as exc:
                last_error = repr(exc)
            if time.monotonic() > deadline:
                pytest.fail(
                    f"streamlit did not answer 'ok' on {base_url}/_stcore/health within "
                    f"{SERVER_START_TIMEOUT_S:.0f} s (last: {last_error}).\n"
                    f"command: {' '.join(cmd)}\n--- stderr ---\n{_read_tail(err_path)}\n"
                    f"--- stdout ---\n{_read_tail(out_path)}",
                    pytrace=False,
                )
            time.sleep(0.1)
        yield base_url
    finally:
        _stop_process_group(proc)


# --------------------------------------------------------------------------- browser

def _missing_browser(reason: str):
    if os.environ.get("RNNX_REQUIRE_BROWSER") == "1":
        pytest.fail(f"RNNX_REQUIRE_BROWSER=1 but the browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def chromium_executable() -> str:
    """Path of the Chromium to drive; skips (or fails, under RNNX_REQUIRE_BROWSER=1) when unusable.

    Autouse so that the check runs before any other fixture: no Streamlit server is started for
    tests that are going to be skipped.
    """
    executable = os.environ.get("RNNX_CHROMIUM") or DEFAULT_CHROMIUM
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        _missing_browser(f"the playwright Python package is missing ({exc}); pip install playwright")
    if not (os.path.isfile(executable) and os.access(executable, os.X_OK)):
        _missing_browser(
            f"no Chromium executable at {executable} "
            f"(apt-get install chromium, or set RNNX_CHROMIUM to its path)"
        )
    return executable


@pytest.fixture(scope="session")
def browser(chromium_executable):
    """A headless Chromium (Debian's /usr/bin/chromium, or $RNNX_CHROMIUM) driven by Playwright."""
    from playwright.sync_api import sync_playwright

    executable = chromium_executable
    pw = sync_playwright().start()
    try:
        try:
            chromium = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        except Exception as exc:
            _missing_browser(f"Chromium at {executable} failed to launch: {exc}")
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        pw.stop()


@pytest.fixture
def page(browser):
    """A fresh browser context (viewport 1400x900) and a page in it; both closed after the test."""
    context = browser.new_context(viewport=VIEWPORT)
    # CI shares two cores between the server, its training threads and Chromium: be patient.
    context.set_default_timeout(90_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="session")
def shot_dir(tmp_path_factory) -> Path:
    """Where screenshots go: a directory under pytest's temporary base directory."""
    return tmp_path_factory.mktemp("screenshots")


# --------------------------------------------------------------------------- helpers

def wait_idle(page, timeout: float = 60000, settle_ms: int = 250) -> None:
    """Wait until Streamlit's script is not running, let the page settle, and check it stayed idle.

    "Not running" includes a script that failed to compile; `assert_no_exception` reports that.

    `timeout` is in milliseconds, like Playwright's. After a widget interaction call this too: the
    settle plus the second wait catches a rerun that started just after the first check.
    """
    page.wait_for_selector(IDLE_SELECTOR, state="attached", timeout=timeout)
    page.wait_for_timeout(settle_ms)
    page.wait_for_selector(IDLE_SELECTOR, state="attached", timeout=timeout)


def wait_for_uploaders(page, n: int = 1, timeout: float = 120000) -> None:
    """Wait until the page shows ``n`` file uploaders ready for a file: they are drawn a moment after
    the script run ends (a file set before that, or while the page still settles, can be lost)."""
    page.wait_for_function(
        f"() => document.querySelectorAll('[data-testid=stFileUploaderDropzoneInput]').length >= {n}",
        timeout=timeout)
    wait_idle(page, timeout)


def assert_no_exception(page) -> None:
    """Fail if the app shows a Streamlit exception element (or could not compile); quote the text."""
    if page.locator(COMPILATION_ERROR_SELECTOR).count():
        detail = page.locator("[data-testid='stDialog']")
        text = detail.first.inner_text() if detail.count() else "<no dialog text>"
        pytest.fail(f"the Streamlit script failed to compile on {page.url}:\n{text}", pytrace=False)
    boxes = page.locator(EXCEPTION_SELECTOR)
    n = boxes.count()
    if n:
        texts = "\n---\n".join(boxes.nth(i).inner_text() for i in range(n))
        pytest.fail(f"{n} Streamlit exception(s) on {page.url}:\n{texts}", pytrace=False)


def screenshot(page, directory, name: str) -> Path:
    """Save a full-page PNG named `name` (".png" added if missing) under `directory`; return its path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    filename = name if name.endswith(".png") else f"{name}.png"
    path = directory / filename
    page.screenshot(path=str(path), full_page=True)
    return path
