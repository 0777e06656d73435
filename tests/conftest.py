"""Shared test settings: hypothesis profiles and the golden-file switch.

STORYC_EXAMPLES raises (or lowers) the number of generated examples per property, e.g.
`STORYC_EXAMPLES=100000 pytest tests/test_properties.py` for a long run.
"""

from __future__ import annotations

import os

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


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files from current output")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
