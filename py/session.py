"""Session core: the stored-session value, token decoding and the session rules.

Pure Python for CPython, Pyodide and MicroPython: no `js`, no `pyscript`, no
dataclasses/enum/typing at run time. Time is always passed in (`now`, epoch
seconds) so the rules can be tested with a fake clock.

The rules are one function, `step(state, event, now) -> (state, effects)`.
Events and effects are plain tuples `(name, value)`; `main.py` turns effects
into calls on the Lock, storage and view adapters and feeds results back in
as events.
"""

import binascii
import json

# Storage keys (docs/design.md, "Stored session").
ID_TOKEN = "id_token"
ACCESS_TOKEN = "access_token"
EXPIRES_AT = "expires_at"
KEYS = (ID_TOKEN, ACCESS_TOKEN, EXPIRES_AT)

# Phases; `data-session` on <body> shows the last three.
LOADING = "loading"  # waiting for Lock to parse the URL hash
AUTHENTICATING = "authenticating"  # the hash held a result; waiting for Lock's verdict
CHECKING = "checking"  # asked the tenant for the profile of the stored session
LOGGED_IN = "logged-in"
LOGGED_OUT = "logged-out"

# Failure kinds carried by `profile_failed` (see `lock_client.failure_kind`).
NETWORK = "network"  # no answer at all
SERVER = "server"  # 5xx
RATE_LIMITED = "rate_limited"  # 429
UNAUTHORIZED = "unauthorized"  # 401 / 403: the token was rejected
INVALID = "invalid"  # any other refusal, or an answer that does not fit the session

# Why a stored session was dropped before any network call.
UNREADABLE = "unreadable"
EXPIRED = "expired"

NOTICES = {
    UNREADABLE: "Your saved session could not be read, so it was removed. Please log in again.",
    EXPIRED: "Your session has expired. Please log in again.",
    UNAUTHORIZED: "Your session is no longer valid. Please log in again.",
    INVALID: "Your session is no longer valid. Please log in again.",
    NETWORK: "The login server could not be reached to confirm your session. Please log in again.",
    SERVER: "The login server could not confirm your session. Please log in again.",
    RATE_LIMITED: "The login server is busy and could not confirm your session. "
    "Please log in again.",
}

# Event names.
PAGE_LOADED = "page_loaded"
HASH_PARSED = "hash_parsed"
AUTHENTICATED = "authenticated"
AUTHORIZATION_ERROR = "authorization_error"
UNRECOVERABLE_ERROR = "unrecoverable_error"
PROFILE_OK = "profile_ok"
PROFILE_FAILED = "profile_failed"
LOGIN_CLICKED = "login_clicked"
LOGOUT_CLICKED = "logout_clicked"

# Effect names.
STORE = "store"
CLEAR_STORAGE = "clear_storage"
CALL_GET_PROFILE = "call_get_profile"
SHOW_LOGGED_IN = "show_logged_in"
SHOW_LOGGED_OUT = "show_logged_out"
SHOW_NOTICE = "show_notice"
OPEN_LOCK = "open_lock"
LOCK_LOGOUT = "lock_logout"
REDIRECT = "redirect"


# --- events -----------------------------------------------------------------


def page_loaded(stored):
    """`stored`: {key: str or None} as read from storage for `KEYS`."""
    return (PAGE_LOADED, stored)


def hash_parsed(has_result):
    return (HASH_PARSED, bool(has_result))


def authenticated(auth_result):
    """`auth_result`: {"id_token", "access_token", "expires_in"} from Lock."""
    return (AUTHENTICATED, auth_result)


def authorization_error(message):
    return (AUTHORIZATION_ERROR, message)


def unrecoverable_error(message):
    return (UNRECOVERABLE_ERROR, message)


def profile_ok(profile, access_token=None):
    """`profile`: a dict of strings (sub, name, email, picture, ...).

    `access_token`: the token the profile was asked with; an answer for a token
    that is no longer the current one is ignored.
    """
    return (PROFILE_OK, (profile, access_token))


def profile_failed(kind, message="", access_token=None):
    return (PROFILE_FAILED, (kind, message, access_token))


def login_clicked():
    return (LOGIN_CLICKED, None)


def logout_clicked():
    return (LOGOUT_CLICKED, None)


# --- tokens -----------------------------------------------------------------


def _b64url_decode(text):
    text = text.replace("-", "+").replace("_", "/")
    text = text + "=" * (-len(text) % 4)
    return binascii.a2b_base64(text.encode())  # MicroPython's takes bytes only


def jwt_payload(token):
    """The payload of a compact JWS as a dict, WITHOUT verifying it; None if unreadable."""
    if not isinstance(token, str):
        return None
    parts = token.split(".")
    if len(parts) != 3 or not parts[1]:
        return None
    try:
        payload = json.loads(_b64url_decode(parts[1]).decode("utf-8"))
    except (ValueError, TypeError, UnicodeError, IndexError, KeyError):
        return None
    if not isinstance(payload, dict):
        return None
    return payload


def _number(value):
    """An int from a JSON number or a decimal string; None otherwise (bools included)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if not isinstance(value, (int, float)):
        return None
    if value != value or value > 1e15 or value < -1e15:  # NaN, inf, absurd
        return None
    return int(value)


def token_expiry(token):
    """`exp` of a JWT as int epoch seconds, or None when the token or its `exp` is unreadable."""
    payload = jwt_payload(token)
    if payload is None:
        return None
    return _number(payload.get("exp"))


# --- the stored session -------------------------------------------------------


class Session:
    """What the app keeps between page loads: the tokens and when access ends."""

    def __init__(self, id_token, access_token, expires_at):
        self.id_token = id_token
        self.access_token = access_token
        self.expires_at = expires_at

    def __eq__(self, other):
        return (
            isinstance(other, Session)
            and self.id_token == other.id_token
            and self.access_token == other.access_token
            and self.expires_at == other.expires_at
        )

    def __ne__(self, other):
        return not self.__eq__(other)

    def __repr__(self):
        return f"Session(expires_at={self.expires_at})"

    @staticmethod
    def from_auth_result(result, now):
        """From Lock's `authenticated` result; None when a token is missing."""
        id_token = result.get("id_token")
        access_token = result.get("access_token")
        if not id_token or not access_token:
            return None
        expires_in = _number(result.get("expires_in"))
        expires_at = token_expiry(id_token) if expires_in is None else int(now) + expires_in
        if expires_at is None:
            return None
        return Session(id_token, access_token, expires_at)

    @staticmethod
    def from_stored(stored):
        """From the stored strings; None when anything is missing or unreadable."""
        id_token = stored.get(ID_TOKEN)
        access_token = stored.get(ACCESS_TOKEN)
        expires_at = _number(stored.get(EXPIRES_AT))
        if not id_token or not access_token or expires_at is None:
            return None
        if token_expiry(id_token) is None:
            return None
        return Session(id_token, access_token, expires_at)

    def to_stored(self):
        return {
            ID_TOKEN: self.id_token,
            ACCESS_TOKEN: self.access_token,
            EXPIRES_AT: str(self.expires_at),
        }

    def ends_at(self):
        """The earlier of the access token's expiry and the id_token's `exp`."""
        exp = token_expiry(self.id_token)
        if exp is None:
            return self.expires_at
        return min(exp, self.expires_at)

    def is_expired(self, now):
        return now >= self.ends_at()

    def subject(self):
        payload = jwt_payload(self.id_token)
        sub = payload.get("sub") if payload else None
        return sub if isinstance(sub, str) else None


def is_empty(stored):
    if not stored:
        return True
    return all(not stored.get(key) for key in KEYS)


# --- state ----------------------------------------------------------------------


class State:
    """Where the page is. Treat as immutable: `step` returns a new one."""

    FIELDS = ("phase", "stored", "session", "profile", "home_url", "logout")

    def __init__(
        self,
        phase=LOADING,
        stored=None,
        session=None,
        profile=None,
        home_url="/",
        logout="local",
    ):
        self.phase = phase
        self.stored = stored
        self.session = session
        self.profile = profile
        self.home_url = home_url
        self.logout = logout

    def but(self, **changes):
        """A copy with `changes` applied."""
        values = {}
        for name in State.FIELDS:
            values[name] = changes[name] if name in changes else getattr(self, name)
        return State(**values)

    def __repr__(self):
        return f"State(phase={self.phase!r})"


def initial_state(config, home_url="/"):
    """The state before any event, from `auth0-config.json`."""
    logout = config.get("logout") or "local"
    return State(home_url=home_url, logout=logout)


# --- rules ------------------------------------------------------------------------


def step(state, event, now):
    """Apply one event: returns (new state, list of effects)."""
    name, value = event
    rule = _RULES.get(name)
    if rule is None:
        return state, []
    return rule(state, value, now)


def _logged_out(state, notice="", clear=False):
    effects = [(CLEAR_STORAGE, None)] if clear else []
    effects.append((SHOW_LOGGED_OUT, notice))
    return state.but(phase=LOGGED_OUT, session=None, profile=None, stored=None), effects


def _decide_stored(state, now):
    """No fresh login in the URL: judge what storage held at load."""
    stored = state.stored
    if is_empty(stored):
        return _logged_out(state)
    session = Session.from_stored(stored)
    if session is None:
        return _logged_out(state, NOTICES[UNREADABLE], clear=True)
    if session.is_expired(now):
        return _logged_out(state, NOTICES[EXPIRED], clear=True)
    return _check(state, session, [])


def _check(state, session, effects):
    effects.append((CALL_GET_PROFILE, session.access_token))
    return state.but(phase=CHECKING, session=session, profile=None), effects


def _on_page_loaded(state, stored, now):
    return state.but(phase=LOADING, stored=stored or {}), []


def _on_hash_parsed(state, has_result, now):
    if state.phase != LOADING:
        return state, []
    if has_result:
        return state.but(phase=AUTHENTICATING), []
    return _decide_stored(state, now)


def _on_authenticated(state, result, now):
    session = Session.from_auth_result(result or {}, now)
    if session is None:
        return _logged_out(state, NOTICES[INVALID], clear=True)
    return _check(state.but(stored=None), session, [(STORE, session)])


def _on_authorization_error(state, message, now):
    notice = (SHOW_NOTICE, message or "Login failed.")
    if state.phase == AUTHENTICATING:
        # The login in the URL failed; whatever was stored before still decides.
        new_state, effects = _decide_stored(state, now)
        return new_state, [notice] + effects
    return state, [notice]


def _on_unrecoverable_error(state, message, now):
    # Lock cannot show its form (e.g. the tenant's client script did not load);
    # the session decision does not depend on it.
    return state, [(SHOW_NOTICE, message or "The login form could not start.")]


def _answers_current(state, access_token):
    if state.phase != CHECKING or state.session is None:
        return False
    return access_token is None or access_token == state.session.access_token


def _on_profile_ok(state, value, now):
    profile, access_token = value
    if not _answers_current(state, access_token):
        return state, []
    profile = profile or {}
    expected = state.session.subject()
    if expected is not None and profile.get("sub") not in (None, expected):
        return _logged_out(state, NOTICES[INVALID], clear=True)
    return state.but(phase=LOGGED_IN, profile=profile), [(SHOW_LOGGED_IN, profile)]


def _on_profile_failed(state, failure, now):
    kind, _message, access_token = failure
    if not _answers_current(state, access_token):
        return state, []
    return _logged_out(state, NOTICES.get(kind, NOTICES[INVALID]), clear=True)


def _on_login_clicked(state, value, now):
    return state, [(SHOW_NOTICE, ""), (OPEN_LOCK, None)]


def _on_logout_clicked(state, value, now):
    new_state = state.but(phase=LOGGED_OUT, session=None, profile=None, stored=None)
    effects = [(CLEAR_STORAGE, None)]
    if state.logout == "federated":
        effects.append((LOCK_LOGOUT, state.home_url))
    else:
        effects.append((REDIRECT, state.home_url))
    return new_state, effects


_RULES = {
    PAGE_LOADED: _on_page_loaded,
    HASH_PARSED: _on_hash_parsed,
    AUTHENTICATED: _on_authenticated,
    AUTHORIZATION_ERROR: _on_authorization_error,
    UNRECOVERABLE_ERROR: _on_unrecoverable_error,
    PROFILE_OK: _on_profile_ok,
    PROFILE_FAILED: _on_profile_failed,
    LOGIN_CLICKED: _on_login_clicked,
    LOGOUT_CLICKED: _on_logout_clicked,
}
