"""Browser tests (a package, so test modules can `from .conftest import wait_idle, ...`)."""
