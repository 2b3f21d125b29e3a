"""Everything the tenant keeps, in one SQLite database (stdlib `sqlite3`).

Users, sessions, login tickets, authorization codes, captured emails and the signing key.
`path=None` keeps it in memory. Callers pass the time in (`now`), so the store never reads a
clock of its own.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS signing_keys (
    kid TEXT PRIMARY KEY, private_pem TEXT NOT NULL, created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    user_id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    name TEXT NOT NULL,
    nickname TEXT NOT NULL,
    picture TEXT NOT NULL,
    email_verified INTEGER NOT NULL,
    blocked INTEGER NOT NULL DEFAULT 0,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    logins_count INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    sid TEXT PRIMARY KEY, user_id TEXT NOT NULL, created_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS login_tickets (
    ticket TEXT PRIMARY KEY, user_id TEXT NOT NULL, client_id TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS authorization_codes (
    code TEXT PRIMARY KEY, client_id TEXT NOT NULL, user_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL, code_challenge TEXT NOT NULL, nonce TEXT,
    scope TEXT NOT NULL, expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS reset_tickets (
    ticket TEXT PRIMARY KEY, user_id TEXT NOT NULL, expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS emails (
    id INTEGER PRIMARY KEY AUTOINCREMENT, to_address TEXT NOT NULL, kind TEXT NOT NULL,
    subject TEXT NOT NULL, body TEXT NOT NULL, link TEXT NOT NULL, created_at REAL NOT NULL
);
"""

_RESETTABLE = (
    "users",
    "sessions",
    "login_tickets",
    "authorization_codes",
    "reset_tickets",
    "emails",
)


class UserExists(Exception):
    """A user with that email is already in the database connection."""


def iso_time(epoch: float) -> str:
    """Auth0's timestamp format, e.g. `2024-05-01T12:00:00.000Z`."""
    moment = datetime.fromtimestamp(epoch, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class User:
    user_id: str
    email: str
    password_hash: str
    name: str
    nickname: str
    picture: str
    email_verified: bool
    blocked: bool
    failed_logins: int
    logins_count: int
    created_at: float
    updated_at: float

    def public(self) -> dict[str, Any]:
        """The user as the admin API shows it: never the password hash."""
        return {
            "user_id": self.user_id,
            "email": self.email,
            "email_verified": self.email_verified,
            "name": self.name,
            "nickname": self.nickname,
            "picture": self.picture,
            "blocked": self.blocked,
            "failed_logins": self.failed_logins,
            "logins_count": self.logins_count,
            "created_at": iso_time(self.created_at),
            "updated_at": iso_time(self.updated_at),
        }


@dataclass(frozen=True)
class LoginTicket:
    user_id: str
    client_id: str
    expires_at: float


@dataclass(frozen=True)
class AuthorizationCode:
    client_id: str
    user_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str | None
    scope: str
    expires_at: float


@dataclass(frozen=True)
class Email:
    id: int
    to: str
    kind: str
    subject: str
    body: str
    link: str
    created_at: float

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "to": self.to,
            "kind": self.kind,
            "subject": self.subject,
            "body": self.body,
            "link": self.link,
            "created_at": iso_time(self.created_at),
        }


_USER_UPDATABLE = {"password_hash", "name", "nickname", "picture", "email_verified", "blocked"}


class Store:
    def __init__(self, path: str | Path | None = None) -> None:
        target = ":memory:" if path is None else str(path)
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        with self._lock:
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _run(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, params)

    def _one(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._db.execute(sql, params).fetchone()
            return row

    def _update_returning(self, sql: str, params: tuple[Any, ...]) -> bool:
        """Run an UPDATE ... RETURNING to completion; whether it changed a row."""
        with self._lock:
            return bool(self._db.execute(sql, params).fetchall())

    def _take(self, table: str, key: str, value: str) -> sqlite3.Row | None:
        """Read and delete one row atomically: what makes tickets and codes single-use."""
        with self._lock:
            row: sqlite3.Row | None = self._db.execute(
                f"DELETE FROM {table} WHERE {key} = ? RETURNING *", (value,)
            ).fetchone()
            return row

    def reset(self) -> None:
        """Forget users, sessions, tickets, codes and emails; keep the signing key."""
        with self._lock:
            self._db.execute("BEGIN")
            for table in _RESETTABLE:
                self._db.execute(f"DELETE FROM {table}")
            self._db.execute("COMMIT")

    # signing key -----------------------------------------------------------------------

    def signing_key(self) -> tuple[str, str] | None:
        row = self._one(
            "SELECT kid, private_pem FROM signing_keys ORDER BY created_at DESC LIMIT 1"
        )
        return None if row is None else (row["kid"], row["private_pem"])

    def save_signing_key(self, kid: str, private_pem: str, now: float) -> None:
        self._run("INSERT INTO signing_keys VALUES (?, ?, ?)", (kid, private_pem, now))

    # users ----------------------------------------------------------------------------

    def create_user(
        self,
        *,
        email: str,
        password_hash: str,
        name: str,
        nickname: str,
        picture: str,
        email_verified: bool,
        now: float,
    ) -> User:
        user_id = "auth0|" + secrets.token_hex(12)
        try:
            self._run(
                "INSERT INTO users (user_id, email, password_hash, name, nickname, picture,"
                " email_verified, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (user_id, email, password_hash, name, nickname, picture, email_verified, now, now),
            )
        except sqlite3.IntegrityError as exc:
            raise UserExists(email) from exc
        user = self.user_by_id(user_id)
        assert user is not None
        return user

    @staticmethod
    def _user(row: sqlite3.Row | None) -> User | None:
        if row is None:
            return None
        values = dict(row)
        values["email_verified"] = bool(values["email_verified"])
        values["blocked"] = bool(values["blocked"])
        return User(**values)

    def user_by_email(self, email: str) -> User | None:
        return self._user(self._one("SELECT * FROM users WHERE email = ?", (email,)))

    def user_by_id(self, user_id: str) -> User | None:
        return self._user(self._one("SELECT * FROM users WHERE user_id = ?", (user_id,)))

    def users(self) -> list[User]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM users ORDER BY created_at, email").fetchall()
        return [u for u in map(self._user, rows) if u is not None]

    def update_user(self, user_id: str, now: float, **fields: Any) -> User | None:
        """Change `fields`; a new password also ends the user's sessions."""
        unknown = set(fields) - _USER_UPDATABLE
        if unknown:
            raise ValueError(f"cannot update {', '.join(sorted(unknown))}")
        if fields:
            assignments = ", ".join(f"{name} = ?" for name in fields)
            self._run(
                f"UPDATE users SET {assignments}, updated_at = ? WHERE user_id = ?",
                (*fields.values(), now, user_id),
            )
            if fields.get("blocked") is False:
                self._run("UPDATE users SET failed_logins = 0 WHERE user_id = ?", (user_id,))
            if "password_hash" in fields:
                self.end_sessions(user_id)
        return self.user_by_id(user_id)

    def delete_user(self, user_id: str) -> bool:
        with self._lock:
            self._db.execute("BEGIN")
            gone = self._db.execute("DELETE FROM users WHERE user_id = ?", (user_id,)).rowcount
            for table in ("sessions", "login_tickets", "authorization_codes", "reset_tickets"):
                self._db.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))
            self._db.execute("COMMIT")
        return gone > 0

    def reserve_login_attempt(self, user_id: str, block_after: int) -> bool:
        """Count an attempt as a failure before its password is checked.

        False when the user is blocked or `block_after` attempts are already counted (some of
        them may still be in flight); then the attempt must be refused without checking.
        Reserving atomically is what keeps parallel guesses from all being checked.
        """
        return self._update_returning(
            "UPDATE users SET failed_logins = failed_logins + 1"
            " WHERE user_id = ? AND blocked = 0 AND failed_logins < ? RETURNING user_id",
            (user_id, block_after),
        )

    def record_failed_login(self, user_id: str, block_after: int) -> bool:
        """A reserved attempt failed: block the user once `block_after` failures are counted.

        True only for the one call that blocks the user (so one blocked-account email).
        """
        return self._update_returning(
            "UPDATE users SET blocked = 1"
            " WHERE user_id = ? AND blocked = 0 AND failed_logins >= ? RETURNING user_id",
            (user_id, block_after),
        )

    def record_login(self, user_id: str) -> bool:
        """A reserved attempt succeeded: reset the failures, unless the user got blocked."""
        return self._update_returning(
            "UPDATE users SET failed_logins = 0, logins_count = logins_count + 1"
            " WHERE user_id = ? AND blocked = 0 RETURNING user_id",
            (user_id,),
        )

    # login tickets, authorization codes, reset tickets ---------------------------------

    def add_login_ticket(
        self, ticket: str, user_id: str, client_id: str, expires_at: float
    ) -> None:
        self._run(
            "INSERT INTO login_tickets VALUES (?, ?, ?, ?)",
            (ticket, user_id, client_id, expires_at),
        )

    def take_login_ticket(self, ticket: str) -> LoginTicket | None:
        row = self._take("login_tickets", "ticket", ticket)
        if row is None:
            return None
        return LoginTicket(row["user_id"], row["client_id"], row["expires_at"])

    def add_authorization_code(self, code: str, grant: AuthorizationCode) -> None:
        self._run(
            "INSERT INTO authorization_codes VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                code,
                grant.client_id,
                grant.user_id,
                grant.redirect_uri,
                grant.code_challenge,
                grant.nonce,
                grant.scope,
                grant.expires_at,
            ),
        )

    def take_authorization_code(self, code: str) -> AuthorizationCode | None:
        row = self._take("authorization_codes", "code", code)
        if row is None:
            return None
        values = dict(row)
        del values["code"]
        return AuthorizationCode(**values)

    def add_reset_ticket(self, ticket: str, user_id: str, expires_at: float) -> None:
        self._run("INSERT INTO reset_tickets VALUES (?, ?, ?)", (ticket, user_id, expires_at))

    def reset_ticket(self, ticket: str, now: float) -> str | None:
        """The user id a live reset ticket belongs to, without using it up."""
        row = self._one(
            "SELECT user_id FROM reset_tickets WHERE ticket = ? AND expires_at > ?",
            (ticket, now),
        )
        return None if row is None else str(row["user_id"])

    def take_reset_ticket(self, ticket: str, now: float) -> str | None:
        row = self._take("reset_tickets", "ticket", ticket)
        if row is None or row["expires_at"] <= now:
            return None
        return str(row["user_id"])

    # sessions ---------------------------------------------------------------------------

    def add_session(self, sid: str, user_id: str, now: float, expires_at: float) -> None:
        self._run("INSERT INTO sessions VALUES (?, ?, ?, ?)", (sid, user_id, now, expires_at))

    def session_user(self, sid: str, now: float) -> str | None:
        row = self._one("SELECT user_id FROM sessions WHERE sid = ? AND expires_at > ?", (sid, now))
        return None if row is None else str(row["user_id"])

    def end_sessions(self, user_id: str) -> None:
        """Log the user out everywhere: sessions and login tickets not yet used."""
        with self._lock:
            self._db.execute("BEGIN")
            self._db.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))
            self._db.execute("DELETE FROM login_tickets WHERE user_id = ?", (user_id,))
            self._db.execute("COMMIT")

    def delete_session(self, sid: str) -> None:
        self._run("DELETE FROM sessions WHERE sid = ?", (sid,))

    def session_count(self) -> int:
        row = self._one("SELECT COUNT(*) AS n FROM sessions")
        return 0 if row is None else int(row["n"])

    # captured emails -------------------------------------------------------------------

    def add_email(
        self, *, to: str, kind: str, subject: str, body: str, link: str, now: float
    ) -> None:
        self._run(
            "INSERT INTO emails (to_address, kind, subject, body, link, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (to, kind, subject, body, link, now),
        )

    def emails(self) -> list[Email]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM emails ORDER BY id").fetchall()
        return [
            Email(
                r["id"],
                r["to_address"],
                r["kind"],
                r["subject"],
                r["body"],
                r["link"],
                r["created_at"],
            )
            for r in rows
        ]

    def clear_emails(self) -> None:
        self._run("DELETE FROM emails")
