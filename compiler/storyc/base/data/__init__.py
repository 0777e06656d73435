"""The package's data files (JSON), read once each: `table("settings")` is data/settings.json."""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any


@cache
def table(name: str) -> Any:
    with open(os.path.join(os.path.dirname(__file__), f"{name}.json"), encoding="utf-8") as handle:
        return json.load(handle)
