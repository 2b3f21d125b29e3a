"""Password hashing (salted scrypt) and Auth0's database-connection password policies."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

_N, _R, _P = 2**14, 8, 1
_KEY_BYTES = 32
MAX_PASSWORD_BYTES = 72  # Auth0's limit for database connection passwords


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    """`scrypt$N$r$p$salt$key`, with a fresh 16-byte salt."""
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=_KEY_BYTES)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(key)
        actual = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


# A hash no password matches in practice, checked for unknown users so that a wrong email
# takes as long as a wrong password.
DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


_LOWER = re.compile(r"[a-z]")
_UPPER = re.compile(r"[A-Z]")
_DIGIT = re.compile(r"[0-9]")
_SPECIAL = re.compile(r"""[ !"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]""")


def policy_failures(password: str, policy: str) -> list[str]:
    """What `password` lacks under an Auth0 policy (none/low/fair/good/excellent); [] if fine."""
    failures: list[str] = []
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        failures.append(f"At most {MAX_PASSWORD_BYTES} bytes")
    min_length = {"none": 1, "low": 6, "fair": 8, "good": 8, "excellent": 10}[policy]
    if len(password) < min_length:
        failures.append(f"At least {min_length} characters in length")
    kinds = [
        ("lower case letters (a-z)", _LOWER),
        ("upper case letters (A-Z)", _UPPER),
        ("numbers (i.e. 0-9)", _DIGIT),
        ("special characters (e.g. !@#$%^&*)", _SPECIAL),
    ]
    if policy == "fair":
        for label, pattern in kinds[:3]:
            if not pattern.search(password):
                failures.append(f"Contains {label}")
    elif policy in ("good", "excellent"):
        present = sum(1 for _, pattern in kinds if pattern.search(password))
        if present < 3:
            failures.append("Contains at least 3 of the following 4 types of characters")
    if policy == "excellent" and re.search(r"(.)\1\1", password):
        failures.append("No more than 2 identical characters in a row")
    return failures
