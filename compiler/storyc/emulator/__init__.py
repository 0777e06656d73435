"""A faithful local emulator of the Wan text-to-video API (DashScope): `create_app(config)`."""

from .app import create_app
from .config import EmulatorConfig, Faults

__all__ = ["EmulatorConfig", "Faults", "create_app"]
