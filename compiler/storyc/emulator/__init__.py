"""A faithful local emulator of the Wan text-to-video API (DashScope): `create_app(config)`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app
    from .config import EmulatorConfig, Faults

__all__ = ["EmulatorConfig", "Faults", "create_app"]


def __getattr__(name: str) -> Any:
    """The app (Starlette, asyncio) loads on first use: `story --help` and `story emulator --help`
    import this package for its config alone."""
    if name == "create_app":
        from .app import create_app

        return create_app
    if name in ("EmulatorConfig", "Faults"):
        from . import config

        return getattr(config, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
