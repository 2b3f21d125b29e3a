"""The running tenant: configuration, store, clock, signing key, and dev-only switches.

One `Tenant` lives on `app.state.tenant`; endpoint modules read it from the request.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
from collections import deque
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from .clock import Clock
from .config import SeedUser, TenantConfig, TokenLifetimes
from .passwords import DUMMY_HASH, hash_password, verify_password
from .store import Store, User, UserExists
from .tokens import Signer

# Auth0's brute-force protection: this many consecutive failures block the user.
BLOCK_AFTER_FAILURES = 10


@dataclass
class Fault:
    """Answer the next `times` calls to an endpoint with `status` and/or an OAuth `error`."""

    endpoint: str
    status: int
    error: str
    description: str
    times: int

    def public(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class Faults:
    def __init__(self) -> None:
        self._queue: deque[Fault] = deque()

    def add(self, fault: Fault) -> None:
        self._queue.append(fault)

    def take(self, endpoint: str) -> Fault | None:
        """The fault to apply to this call of `endpoint`, counting it used."""
        for fault in self._queue:
            if fault.endpoint == endpoint:
                fault.times -= 1
                if fault.times <= 0:
                    self._queue.remove(fault)
                return fault
        return None

    def pending(self) -> list[Fault]:
        return list(self._queue)

    def clear(self) -> None:
        self._queue.clear()


class RequestLog:
    """Method, path (never the query string or body) and status of recent requests."""

    def __init__(self, limit: int = 2000) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=limit)

    def record(self, method: str, path: str, status: int, at: float) -> None:
        self._entries.append({"method": method, "path": path, "status": status, "at": at})

    def entries(self) -> list[dict[str, Any]]:
        return list(self._entries)

    def clear(self) -> None:
        self._entries.clear()


class LoginRefused(Exception):
    def __init__(self, blocked: bool) -> None:
        super().__init__("blocked" if blocked else "wrong email or password")
        self.blocked = blocked


class Tenant:
    def __init__(self, config: TenantConfig, store: Store, clock: Clock) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self.signer = Signer.load_or_create(store, clock.now())
        self.faults = Faults()
        self.requests = RequestLog()
        self.lifetimes: TokenLifetimes = config.lifetimes
        self.seed_users()

    # users ------------------------------------------------------------------------------

    def seed_users(self) -> None:
        for seed in self.config.users:
            if self.store.user_by_email(seed.email) is None:
                self.add_user(seed, hash_password(seed.password))

    def add_user(self, seed: SeedUser, password_hash: str) -> User:
        """Create a user from already-hashed credentials; raises UserExists."""
        return self.store.create_user(
            email=seed.email,
            password_hash=password_hash,
            name=seed.name or seed.email,
            nickname=seed.nickname or seed.email.split("@")[0],
            picture=seed.picture,
            email_verified=seed.email_verified,
            now=self.clock.now(),
        )

    async def create_user(self, seed: SeedUser) -> User:
        password_hash = await anyio.to_thread.run_sync(hash_password, seed.password)
        return self.add_user(seed, password_hash)

    async def check_password(self, email: str, password: str) -> User:
        """The user if the password is right; LoginRefused otherwise (and count the failure).

        The attempt is counted before the (slow, threaded) password check, so a burst of
        parallel guesses cannot get more than BLOCK_AFTER_FAILURES checked, and a right
        password that finishes after the user got blocked is still refused.
        """
        user = self.store.user_by_email(email)
        if user is None:
            await anyio.to_thread.run_sync(verify_password, password, DUMMY_HASH)
            raise LoginRefused(blocked=False)
        if not self.store.reserve_login_attempt(user.user_id, BLOCK_AFTER_FAILURES):
            raise LoginRefused(blocked=True)
        matches = await anyio.to_thread.run_sync(verify_password, password, user.password_hash)
        if not matches:
            if self.store.record_failed_login(user.user_id, BLOCK_AFTER_FAILURES):
                self.send_email(
                    user.email,
                    "blocked_account",
                    "Your account has been blocked",
                    "Your account was blocked after multiple consecutive failed login attempts.",
                    "",
                )
                raise LoginRefused(blocked=True)
            current = self.store.user_by_id(user.user_id)
            raise LoginRefused(blocked=current is not None and current.blocked)
        if not self.store.record_login(user.user_id):
            raise LoginRefused(blocked=True)
        current = self.store.user_by_id(user.user_id)
        if current is None or current.blocked:
            raise LoginRefused(blocked=True)
        return current

    def send_email(self, to: str, kind: str, subject: str, body: str, link: str) -> None:
        """Capture an email instead of sending it; the admin API and page show it."""
        self.store.add_email(
            to=to, kind=kind, subject=subject, body=body, link=link, now=self.clock.now()
        )

    # sessions ---------------------------------------------------------------------------

    SESSION_COOKIE = "devtenant_session"

    def start_session(self, user_id: str) -> str:
        sid = secrets.token_urlsafe(32)
        now = self.clock.now()
        self.store.add_session(sid, user_id, now, now + self.config.session_seconds)
        return sid

    def session_user(self, request: Request) -> tuple[str, User] | None:
        sid = request.cookies.get(self.SESSION_COOKIE)
        if not sid or len(sid) > 128:
            return None
        user_id = self.store.session_user(sid, self.clock.now())
        if user_id is None:
            return None
        user = self.store.user_by_id(user_id)
        if user is None or user.blocked:
            return None
        return sid, user

    # login tickets ----------------------------------------------------------------------

    TICKET_COOKIE = "devtenant_co"

    @staticmethod
    def ticket_digest(ticket: str) -> str:
        return hashlib.sha256(ticket.encode("utf-8", "surrogatepass")).hexdigest()

    def ticket_cookie(self, ticket: str) -> str:
        """One cookie per ticket, so that two logins under way in one browser (two tabs) do
        not overwrite each other's binding."""
        return f"{self.TICKET_COOKIE}_{self.ticket_digest(ticket)[:16]}"

    def bind_ticket(self, response: Response, ticket: str) -> None:
        """Tie `ticket` to the browser that earned it: /authorize wants this cookie back."""
        response.set_cookie(
            self.ticket_cookie(ticket),
            self.ticket_digest(ticket),
            max_age=max(1, self.config.login_ticket_seconds),
            path="/authorize",
            httponly=True,
            samesite="lax",
            secure=self.config.issuer.startswith("https:"),
        )

    def ticket_bound(self, request: Request, ticket: str) -> bool:
        """Whether the browser presenting `ticket` is the one it was issued to."""
        cookie = request.cookies.get(self.ticket_cookie(ticket), "")
        expected = self.ticket_digest(ticket)
        return hmac.compare_digest(cookie.encode("utf-8", "replace"), expected.encode("ascii"))

    # admin ------------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the configured start: seeded users only, no sessions, faults or log."""
        self.store.reset()
        self.faults.clear()
        self.requests.clear()
        self.clock.reset()
        self.lifetimes = self.config.lifetimes
        self.seed_users()


__all__ = ["Tenant", "Fault", "Faults", "RequestLog", "LoginRefused", "UserExists"]
