"""Shared test settings: hypothesis profiles and the golden-file switch.

STORYC_EXAMPLES raises (or lowers) the number of generated examples per property, e.g.
`STORYC_EXAMPLES=100000 pytest tests/test_properties.py` for a long run.
"""

from __future__ import annotations

import os
import signal

import pytest
from hypothesis import HealthCheck, settings

pytest_plugins = ["storyc.emulator.testing"]  # the emulator_app and emulator_url fixtures

settings.register_profile(
    "storyc",
    max_examples=int(os.environ.get("STORYC_EXAMPLES", "2000")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("storyc")

# A suite started in the background by a shell without job control (`cmd &` in a script, nohup) runs with
# SIGINT ignored, and a child process inherits an ignored signal: the tests that stop `story render` or
# `story watch` with Ctrl-C would see it never arrive. A handler is reset to the default at exec, so the
# children get SIGINT as a terminal would deliver it.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files from current output")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    """In CI a skipped test is a failed one: CI installs every tool the tests need.

    Only the long runs that an environment variable opts into may skip there; their reason starts
    with `opt-in:`.
    """
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if os.environ.get("CI") == "true" and report.skipped and not hasattr(report, "wasxfail"):
        reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if not reason.removeprefix("Skipped: ").startswith("opt-in:"):
            report.outcome = "failed"
            report.longrepr = f"skipped in CI, where every tool the tests need is installed: {reason}"
    return None
