"""The tenant's notion of "now": wall time plus an offset the admin API can advance."""

from __future__ import annotations

import time
from collections.abc import Callable


class Clock:
    """Seconds since the epoch from `source`, shifted by `advance()`.

    Every time the tenant reasons about (token `iat`/`exp`, ticket, code and session expiry,
    `/userinfo` token checks) comes from one Clock, so tests can move time without waiting.
    """

    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self._source = source
        self._offset = 0.0

    def now(self) -> float:
        return self._source() + self._offset

    def seconds(self) -> int:
        """`now()` as whole seconds, as JWT claims want."""
        return int(self.now())

    def advance(self, seconds: float) -> None:
        self._offset += seconds

    def reset(self) -> None:
        self._offset = 0.0

    @property
    def offset(self) -> float:
        return self._offset
