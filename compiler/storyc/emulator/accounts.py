"""Who is calling, and how fast they may call: accounts of keys, per-account limits, fault dice.

Limits belong to the Alibaba Cloud main account and are shared by all of its keys (API reference
§8). `--account NAME=KEY[,KEY…]` groups keys into accounts; without it every key is its own
account. No response shows a key or an unsalted hash of one: `public_id` is an HMAC under the
emulator's secret, different on every start.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import threading
from collections import deque
from typing import Hashable, Mapping, Union

from . import errors
from .errors import ApiError


class Accounts:
    def __init__(self, accounts: Union[Mapping[str, frozenset[str]], None], api_keys: Union[frozenset[str], None],
                 secret: bytes) -> None:
        self.secret = secret
        self.by_key: dict[str, str] = {}
        for name, keys in (accounts or {}).items():
            for key in keys:
                self.by_key[key] = f"account:{name}"
        self.closed = accounts is not None or api_keys is not None  # only listed keys are accepted
        for key in api_keys or ():
            self.by_key.setdefault(key, f"key:{self.public_id(key)}")

    def public_id(self, text: str, length: int = 24) -> str:
        """A salted fingerprint: stable while this emulator runs, meaningless outside it."""
        return hmac.new(self.secret, text.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:length]

    def account(self, authorization: str) -> Union[tuple[str, str], ApiError]:
        """(key, account) for an `Authorization` header, or the 401 the service answers."""
        if not authorization.strip():
            return errors.NO_KEY
        scheme, _, key = authorization.partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            return errors.NO_KEY
        account = self.by_key.get(key)
        if account is not None:
            return key, account
        if self.closed or not key.startswith("sk-"):
            return errors.BAD_KEY
        return key, f"key:{self.public_id(key)}"


class RateLimits:
    """Sliding one-second windows, one per (account, what) pair; `enabled=False` lifts them all."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.windows: dict[Hashable, deque[float]] = {}
        self.lock = threading.Lock()

    def allow(self, scope: Hashable, per_second: float, now: float) -> bool:
        """Count one call in `scope` unless `per_second` calls happened in the last second."""
        if not self.enabled:
            return True
        with self.lock:
            window = self.windows.get(scope)
            if window is None:
                window = self.windows[scope] = deque()
            while window and now - window[0] >= 1.0:
                window.popleft()
            if len(window) >= per_second:
                return False
            window.append(now)
            if len(self.windows) > 10_000:  # many one-off keys: drop the idle windows
                for idle in [name for name, calls in self.windows.items() if not calls or now - calls[-1] >= 1.0]:
                    del self.windows[idle]
            return True


class Dice:
    """Seeded fault dice: each fault family rolls its own stream, so runs repeat exactly."""

    def __init__(self, seed: Union[int, None]) -> None:
        self.seed = seed
        self.streams: dict[str, random.Random] = {}
        self.lock = threading.Lock()

    def roll(self, family: str, rate: float) -> bool:
        if rate <= 0:
            return False
        with self.lock:
            stream = self.streams.get(family)
            if stream is None:
                seed = None if self.seed is None else f"{self.seed}:{family}"
                stream = self.streams[family] = random.Random(seed)
            return stream.random() < rate
