"""Session core: the stored-session value, token decoding and the session rules.

Pure Python for CPython, Pyodide and MicroPython: no `js`, no `pyscript`, no
dataclasses/enum/typing at run time. Time is always passed in (`now`, epoch
seconds) so the rules can be tested with a fake clock.

The rules are one function, `step(state, event, now) -> (state, effects)`.
Events and effects are plain tuples `(name, value)`; `main.py` turns effects
into calls on the Lock, storage and view adapters and feeds results back in
as events.
"""

import json

# Storage keys (docs/design.md, "Stored session").
ID_TOKEN = "id_token"
ACCESS_TOKEN = "access_token"
EXPIRES_AT = "expires_at"
KEYS = (ID_TOKEN, ACCESS_TOKEN, EXPIRES_AT)
# Optional: the last `/userinfo` answer and when it came (`profileCacheSeconds`).
PROFILE_CACHE = "profile_cache"

# Phases. `data-session` on <body> shows what the view last drew: "loading", "logged-in",
# "unverified" (stored session kept, the tenant could not confirm it), "logged-out", "error".
LOADING = "loading"  # waiting for Lock to parse the URL hash
AUTHENTICATING = "authenticating"  # the hash held a result; waiting for Lock's verdict
CHECKING = "checking"  # asked the tenant for the profile of the session (`/userinfo`)
UNVERIFIED = "unverified"  # the tenant could not answer; session kept, a retry is scheduled
LOGGED_IN = "logged-in"  # confirmed; a renewal is scheduled before the tokens run out
RENEWING = "renewing"  # asked the tenant for fresh tokens (`checkSession`); view unchanged
LOGGED_OUT = "logged-out"

# Failure kinds carried by `profile_failed` (see `lock_client.failure_kind`).
NETWORK = "network"  # no answer at all
SERVER = "server"  # 5xx
RATE_LIMITED = "rate_limited"  # 429
UNAUTHORIZED = "unauthorized"  # 401 / 403: the token was rejected
INVALID = "invalid"  # any other refusal, or an answer that does not fit the session
TRANSIENT = (NETWORK, SERVER, RATE_LIMITED)  # keep the session and retry

# Why a session was dropped.
UNREADABLE = "unreadable"
EXPIRED = "expired"
ENDED = "ended"  # the tenant session is gone (`login_required` on renewal)
ELSEWHERE = "elsewhere"  # another tab logged out

NOTICES = {
    UNREADABLE: "Your saved session could not be read, so it was removed. Please log in again.",
    EXPIRED: "Your session has expired. Please log in again.",
    UNAUTHORIZED: "Your session is no longer valid. Please log in again.",
    INVALID: "Your session is no longer valid. Please log in again.",
    ENDED: "Your session has ended at the login server. Please log in again.",
    ELSEWHERE: "You have been logged out in another tab.",
}

# Why the tenant could not confirm a kept session (shown with the retry delay).
UNVERIFIED_REASONS = {
    NETWORK: "the login server cannot be reached",
    SERVER: "the login server had a problem",
    RATE_LIMITED: "the login server is busy",
}
RETRYING = "Checking your session with the login server again…"

# Errors of `checkSession` that mean the tenant session is over; any other error is retried.
SESSION_ENDED_ERRORS = (
    "login_required",
    "consent_required",
    "interaction_required",
    "account_selection_required",
    "access_denied",
    "unauthorized",
)

# Retries (at load and for renewal): 2 s, 4 s, 8 s ... never more than a minute apart.
RETRY_FIRST_SECONDS = 2
RETRY_MAX_SECONDS = 60
# Defaults of the optional settings in auth0-config.json.
DEFAULT_RENEW_BEFORE_SECONDS = 60
DEFAULT_PROFILE_CACHE_SECONDS = 0
# auth0-js's getProfile has no timeout: a `/userinfo` that never answers counts as no answer
# after this long (a late answer for the same access token is still taken).
PROFILE_TIMEOUT_SECONDS = 15
# How long Lock may take to read a login coming back in the URL (auth0-js fetches the tenant's
# keys to verify it, with no timeout of its own) before the page decides without it.
LOGIN_RESPONSE_TIMEOUT_SECONDS = 20
# The loading line while another account's session (renewed, or from another tab) is checked.
CHECKING_ANOTHER_USER = "Another account is logged in now: checking its session…"
LOGIN_UNANSWERED = "The login could not be completed: the login server did not answer. Try again."

# Profile fields a renewed (and by auth0-js verified) id_token may update on the page.
PROFILE_CLAIMS = ("sub", "name", "nickname", "email", "picture")

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
RETRY_CLICKED = "retry_clicked"
TIMER_FIRED = "timer_fired"
RENEWED = "renewed"
RENEWAL_FAILED = "renewal_failed"
OTHER_TAB = "other_tab"

# Effect names.
STORE = "store"
STORE_PROFILE = "store_profile"
CLEAR_STORAGE = "clear_storage"
CALL_GET_PROFILE = "call_get_profile"
CALL_CHECK_SESSION = "call_check_session"
SHOW_LOGGED_IN = "show_logged_in"
SHOW_UNVERIFIED = "show_unverified"
SHOW_LOGGED_OUT = "show_logged_out"
SHOW_LOADING = "show_loading"  # no user shown while another user's profile is asked for
SHOW_NOTICE = "show_notice"
OPEN_LOCK = "open_lock"
LOCK_LOGOUT = "lock_logout"
REDIRECT = "redirect"
SET_TIMER = "set_timer"
CANCEL_TIMER = "cancel_timer"


# --- events -----------------------------------------------------------------


def page_loaded(stored, login_in_url=True):
    """`stored`: {key: str or None} as `storage.load` reads it (`storage.ALL_KEYS`: the
    session and the profile cache). `login_in_url`: whether the URL may carry a login for Lock
    to parse (`login_response_in`); if not, the session is decided at once instead of after
    Lock's `hash_parsed`."""
    return (PAGE_LOADED, (stored, bool(login_in_url)))


# What Lock looks for in a URL fragment coming back from /authorize.
LOGIN_RESPONSE_KEYS = ("access_token", "id_token", "error")


def login_response_in(fragment):
    """Whether a URL fragment ("#access_token=...&state=...") holds a login response."""
    text = fragment if isinstance(fragment, str) else ""
    pairs = text.lstrip("#").split("&")
    return any(pair.split("=", 1)[0] in LOGIN_RESPONSE_KEYS for pair in pairs)


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


def retry_clicked():
    return (RETRY_CLICKED, None)


def timer_fired():
    return (TIMER_FIRED, None)


def renewed(auth_result, access_token=None):
    """`checkSession` gave fresh tokens (`auth_result` as for `authenticated`).

    `access_token`: the token of the session being renewed; a late answer for a
    session that was replaced meanwhile is ignored.
    """
    return (RENEWED, (auth_result, access_token))


def renewal_failed(error, message="", access_token=None):
    """`checkSession` failed with the OAuth `error` code (`login_required`, `timeout`, ...)."""
    return (RENEWAL_FAILED, (error, message, access_token))


def other_tab(stored):
    """Another tab changed the stored session; `stored` is what storage holds now."""
    return (OTHER_TAB, stored)


# --- tokens -----------------------------------------------------------------


# base64url digits, and standard base64's "+" and "/" for the same values.
_B64_DIGITS = {}
for _value, _digit in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"):
    _B64_DIGITS[_digit] = _value
_B64_DIGITS.update({"-": 62, "+": 62, "_": 63, "/": 63})


def b64url_decode(text):
    """The bytes of a base64url segment, padding optional; ValueError or KeyError if malformed.

    Not `binascii.a2b_base64`: PyScript's MicroPython ships binascii as pure Python, about
    1 ms per id_token there, and the page decodes its token while the visitor waits.
    """
    text = text.rstrip("=")
    if len(text) % 4 == 1:
        raise ValueError("base64 text cut short")
    digits = _B64_DIGITS
    whole = len(text) - len(text) % 4
    out = bytearray()
    for i in range(0, whole, 4):
        n = digits[text[i]] << 18 | digits[text[i + 1]] << 12
        n |= digits[text[i + 2]] << 6 | digits[text[i + 3]]
        out.append(n >> 16)
        out.append(n >> 8 & 0xFF)
        out.append(n & 0xFF)
    rest = text[whole:]
    if rest:  # 2 or 3 digits: 1 or 2 bytes
        n = 0
        for digit in rest:
            n = n << 6 | digits[digit]
        n <<= 6 * (4 - len(rest))
        out.append(n >> 16)
        if len(rest) == 3:
            out.append(n >> 8 & 0xFF)
    return bytes(out)


# The last token decoded and its payload: the rules read the same id_token's claims several
# times per event. Payloads are only read, never changed.
_decoded = [None, None]


def jwt_payload(token):
    """The payload of a compact JWS as a dict, WITHOUT verifying it; None if unreadable."""
    if not isinstance(token, str):
        return None
    if token == _decoded[0]:
        return _decoded[1]
    payload = _read_payload(token)
    _decoded[0], _decoded[1] = token, payload
    return payload


def _read_payload(token):
    parts = token.split(".")
    if len(parts) != 3 or not parts[1]:
        return None
    try:
        payload = json.loads(b64url_decode(parts[1]).decode("utf-8"))
    except Exception:  # KeyError, ValueError, UnicodeError: not a JWT payload
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
        if expires_in is None:
            expires_at = token_expiry(id_token)
        else:
            # Count from when the tenant issued the tokens, not from when this page got to read
            # them: a redirect and the interpreter's start-up come in between. A browser clock
            # behind the tenant's (iat in the future) counts from now.
            issued_at = _number((jwt_payload(id_token) or {}).get("iat"))
            start = int(now) if issued_at is None else min(int(now), issued_at)
            expires_at = start + expires_in
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


# --- the profile cache ----------------------------------------------------------


def profile_cache_text(profile, now):
    """What `STORE_PROFILE` writes: the `/userinfo` answer and when it came, as JSON."""
    return json.dumps({"at": int(now), "profile": profile})


def cached_profile(stored, session):
    """(profile, at) from the stored cache when it belongs to `session`'s user; else None."""
    text = (stored or {}).get(PROFILE_CACHE)
    if not text or not isinstance(text, str):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    profile = value.get("profile")
    at = _number(value.get("at"))
    if not isinstance(profile, dict) or at is None:
        return None
    clean = {}
    for name in PROFILE_CLAIMS:
        field = profile.get(name)
        clean[name] = field if isinstance(field, str) else None
    subject = session.subject()
    if subject is None or clean["sub"] != subject:
        return None
    return clean, at


def claims_profile(session):
    """What the stored id_token says about its user (no picture: shown while unverified)."""
    payload = jwt_payload(session.id_token) or {}
    profile = {}
    for name in PROFILE_CLAIMS:
        field = payload.get(name)
        profile[name] = field if isinstance(field, str) and name != "picture" else None
    return profile


def retry_delay(attempts):
    """Seconds before retry number `attempts` (1, 2, ...): doubling, capped."""
    delay = RETRY_FIRST_SECONDS
    for _ in range(1, attempts):
        delay *= 2
        if delay >= RETRY_MAX_SECONDS:
            return RETRY_MAX_SECONDS
    return min(delay, RETRY_MAX_SECONDS)


def unverified_notice(kind, delay):
    reason = UNVERIFIED_REASONS.get(kind, UNVERIFIED_REASONS[NETWORK])
    return f"Could not verify your session: {reason}. Retrying in {_seconds(delay)}."


def renewal_notice(delay):
    return (
        f"Could not reach the login server to extend your session. Retrying in {_seconds(delay)}."
    )


def _seconds(delay):
    delay = int(delay + 0.5)
    return "1 second" if delay == 1 else f"{delay} seconds"


# --- state ----------------------------------------------------------------------


class State:
    """Where the page is. Treat as immutable: `step` returns a new one.

    `stored`: what storage held when the page decided (read at load, or written by
    another tab). `session`: the session the page works with. `since`: when the page
    took that session on (renewal is planned from it). `attempts`/`retry_at`: failed
    checks in a row and when the next one is due. `checked_at`: when `/userinfo` was last
    asked. `login_since`: when the page began waiting for Lock to read a login in the URL.
    `due`: when the pending timer fires.
    """

    FIELDS = (
        "phase",
        "stored",
        "session",
        "profile",
        "home_url",
        "logout",
        "cache_seconds",
        "renew_before",
        "since",
        "attempts",
        "retry_at",
        "checked_at",
        "login_since",
        "due",
    )

    def __init__(
        self,
        phase=LOADING,
        stored=None,
        session=None,
        profile=None,
        home_url="/",
        logout="local",
        cache_seconds=DEFAULT_PROFILE_CACHE_SECONDS,
        renew_before=DEFAULT_RENEW_BEFORE_SECONDS,
        since=None,
        attempts=0,
        retry_at=None,
        checked_at=None,
        login_since=None,
        due=None,
    ):
        self.phase = phase
        self.stored = stored
        self.session = session
        self.profile = profile
        self.home_url = home_url
        self.logout = logout
        self.cache_seconds = cache_seconds
        self.renew_before = renew_before
        self.since = since
        self.attempts = attempts
        self.retry_at = retry_at
        self.checked_at = checked_at
        self.login_since = login_since
        self.due = due

    def but(self, **changes):
        """A copy with `changes` applied."""
        values = {}
        for name in State.FIELDS:
            values[name] = changes[name] if name in changes else getattr(self, name)
        return State(**values)

    def __eq__(self, other):
        return isinstance(other, State) and all(
            getattr(self, name) == getattr(other, name) for name in State.FIELDS
        )

    def __ne__(self, other):
        return not self.__eq__(other)

    def __repr__(self):
        return f"State(phase={self.phase!r}, due={self.due!r})"


def _seconds_setting(config, name, default, least=0):
    value = _number(config.get(name))
    if value is None:
        return default
    return max(least, value)


def initial_state(config, home_url="/"):
    """The state before any event, from `auth0-config.json`."""
    return State(
        home_url=home_url,
        logout=config.get("logout") or "local",
        cache_seconds=_seconds_setting(
            config, "profileCacheSeconds", DEFAULT_PROFILE_CACHE_SECONDS
        ),
        # At least a second: a renewal due at the very end would find the session expired.
        renew_before=_seconds_setting(
            config, "renewBeforeSeconds", DEFAULT_RENEW_BEFORE_SECONDS, least=1
        ),
    )


def renew_at(state):
    """When to renew the session silently: `renew_before` seconds ahead of its end, but
    never earlier than halfway between taking the session on and its end (so a token
    shorter-lived than `renew_before` is not renewed over and over)."""
    ends = state.session.ends_at()
    since = state.since if state.since is not None else ends
    lead = min(state.renew_before, (ends - since) / 2)
    return ends - max(0, lead)


def due_at(state):
    """When the page must act next without being asked (the timer), or None.

    Whatever the phase, a session is never kept past its end without a decision.
    """
    session = state.session
    if session is None:
        if state.phase in (LOADING, AUTHENTICATING) and state.login_since is not None:
            return state.login_since + LOGIN_RESPONSE_TIMEOUT_SECONDS
        return None
    ends = session.ends_at()
    if state.phase == CHECKING and state.checked_at is not None:
        return min(ends, state.checked_at + PROFILE_TIMEOUT_SECONDS)
    if state.phase in (CHECKING, RENEWING):
        return ends
    if state.phase == UNVERIFIED:
        return min(state.retry_at, ends)
    if state.phase == LOGGED_IN:
        planned = state.retry_at if state.retry_at is not None else renew_at(state)
        return min(planned, ends)
    return None


# --- rules ------------------------------------------------------------------------


def step(state, event, now):
    """Apply one event: returns (new state, list of effects).

    After the event's rule, the timer is set (or cancelled) whenever the moment the
    page must act next has changed.
    """
    name, value = event
    rule = _RULES.get(name)
    if rule is None:
        return state, []
    new_state, effects = rule(state, value, now)
    return _arm_timer(new_state, effects, now)


def _arm_timer(state, effects, now):
    due = due_at(state)
    if due == state.due:
        return state, effects
    if due is None:
        effects.append((CANCEL_TIMER, None))
    else:
        effects.append((SET_TIMER, max(0, due - now)))
    return state.but(due=due), effects


def _logged_out(state, notice="", clear=False):
    effects = [(CLEAR_STORAGE, None)] if clear else []
    effects.append((SHOW_LOGGED_OUT, notice))
    new_state = state.but(
        phase=LOGGED_OUT, session=None, profile=None, stored=None, attempts=0, retry_at=None
    )
    return new_state, effects


def _adopt(state, session, now):
    """Work with `session` from now on; a notice about earlier trouble no longer applies."""
    effects = [(SHOW_NOTICE, "")] if state.attempts else []
    new_state = state.but(session=session, since=now, attempts=0, retry_at=None)
    return new_state, effects


def _check(state, session, effects, now):
    effects.append((CALL_GET_PROFILE, session.access_token))
    return state.but(phase=CHECKING, session=session, checked_at=now), effects


def _decide_stored(state, now):
    """No fresh login in the URL: judge what storage holds."""
    stored = state.stored
    if is_empty(stored):
        return _logged_out(state)
    session = Session.from_stored(stored)
    if session is None:
        return _logged_out(state, NOTICES[UNREADABLE], clear=True)
    if session.is_expired(now):
        return _logged_out(state, NOTICES[EXPIRED], clear=True)
    state, effects = _adopt(state, session, now)
    cached = cached_profile(stored, session)
    if cached is not None and 0 <= now - cached[1] < state.cache_seconds:
        profile = cached[0]
        effects.append((SHOW_LOGGED_IN, profile))
        return state.but(phase=LOGGED_IN, profile=profile), effects
    return _check(state.but(profile=None), session, effects, now)


def _on_page_loaded(state, value, now):
    stored, login_in_url = value
    state = state.but(phase=LOADING, stored=stored or {})
    if login_in_url:
        return state.but(login_since=now), []  # Lock's hash_parsed / authenticated decide
    return _decide_stored(state, now)


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
    # Read after the page gave up waiting for it (LOGIN_UNANSWERED): that notice is wrong now.
    late = [] if state.phase in (LOADING, AUTHENTICATING) else [(SHOW_NOTICE, "")]
    state, effects = _adopt(state.but(stored=None, profile=None), session, now)
    return _check(state, session, late + effects + [(STORE, session)], now)


def _on_authorization_error(state, message, now):
    notice = (SHOW_NOTICE, message or "Login failed.")
    if state.phase == AUTHENTICATING:
        # The login in the URL failed; whatever was stored before still decides.
        new_state, effects = _decide_stored(state, now)
        return new_state, [notice] + effects
    return state, [notice]


def _on_unrecoverable_error(state, message, now):
    # Lock cannot show its form (e.g. the tenant's client script did not load);
    # the session decision does not depend on it. While the tenant is unreachable
    # that is the reason, and the notice already says so (with the retry).
    if state.phase == UNVERIFIED:
        return state, []
    return state, [(SHOW_NOTICE, message or "The login form could not start.")]


def _answers_current(state, access_token, phase):
    if state.phase != phase or state.session is None:
        return False
    return access_token is None or access_token == state.session.access_token


def _answers_check(state, access_token):
    """An answer of `/userinfo` for the current session: while waiting for it, or late,
    after it was given up on (`PROFILE_TIMEOUT_SECONDS`) and a retry was planned."""
    return _answers_current(state, access_token, CHECKING) or _answers_current(
        state, access_token, UNVERIFIED
    )


def _on_profile_ok(state, value, now):
    profile, access_token = value
    if not _answers_check(state, access_token):
        return state, []
    profile = profile or {}
    expected = state.session.subject()
    if expected is not None and profile.get("sub") not in (None, expected):
        return _logged_out(state, NOTICES[INVALID], clear=True)
    effects = [(SHOW_NOTICE, "")] if state.attempts else []
    effects.append((SHOW_LOGGED_IN, profile))
    if state.cache_seconds > 0:
        effects.append((STORE_PROFILE, profile_cache_text(profile, now)))
    new_state = state.but(phase=LOGGED_IN, profile=profile, attempts=0, retry_at=None)
    return new_state, effects


def _display_profile(state):
    """What to show while the session is kept but unconfirmed."""
    if state.profile:
        return state.profile
    cached = cached_profile(state.stored, state.session)
    if cached is not None:
        return cached[0]
    return claims_profile(state.session)


def _on_profile_failed(state, failure, now):
    kind, _message, access_token = failure
    if not _answers_check(state, access_token):
        return state, []
    if kind in TRANSIENT and state.phase == UNVERIFIED:
        return state, []  # a late failure: the retry is already planned
    if kind not in TRANSIENT:
        return _logged_out(state, NOTICES.get(kind, NOTICES[INVALID]), clear=True)
    # Offline is not logout: keep the session, show it as unconfirmed, try again later.
    attempts = state.attempts + 1
    delay = retry_delay(attempts)
    new_state = state.but(phase=UNVERIFIED, attempts=attempts, retry_at=now + delay)
    profile = _display_profile(state)
    return new_state, [(SHOW_UNVERIFIED, (profile, unverified_notice(kind, delay)))]


def _retry_check(state, now):
    if state.session.is_expired(now):
        return _logged_out(state, NOTICES[EXPIRED], clear=True)
    return _check(state, state.session, [(SHOW_NOTICE, RETRYING)], now)


def _on_retry_clicked(state, value, now):
    if state.phase != UNVERIFIED:
        return state, []
    return _retry_check(state, now)


def _on_timer_fired(state, value, now):
    if state.due is None:
        return state, []  # nothing was pending (a late tick of a cancelled timer)
    if now < state.due:
        return state.but(due=None), []  # early: `step` sets it again for the rest
    state = state.but(due=None)
    if state.session is None:  # Lock never read the login in the URL
        new_state, effects = _decide_stored(state.but(login_since=None), now)
        return new_state, effects + [(SHOW_NOTICE, LOGIN_UNANSWERED)]  # the last word
    if state.session.is_expired(now):
        return _logged_out(state, NOTICES[EXPIRED], clear=True)
    if state.phase == UNVERIFIED:
        return _retry_check(state, now)
    if state.phase == LOGGED_IN:
        return state.but(phase=RENEWING), [(CALL_CHECK_SESSION, state.session.access_token)]
    if state.phase == CHECKING:  # `/userinfo` did not answer in time: as if unreachable
        failure = (NETWORK, "no answer", state.session.access_token)
        return _on_profile_failed(state, failure, now)
    return state, []


def _updated_profile(profile, session):
    """`profile` with the claims of the renewed id_token, which auth0-js has verified."""
    payload = jwt_payload(session.id_token) or {}
    updated = dict(profile or {})
    for name in PROFILE_CLAIMS:
        field = payload.get(name)
        if isinstance(field, str):
            updated[name] = field
    return updated


def _on_renewed(state, value, now):
    result, access_token = value
    if not _answers_current(state, access_token, RENEWING):
        return state, []
    session = Session.from_auth_result(result or {}, now)
    if session is None:
        return _renewal_trouble(state, now)
    if session.subject() != state.session.subject():
        # The tenant's session now belongs to someone else: check the new user's profile.
        new_state, effects = _adopt(state.but(profile=None), session, now)
        effects += [(STORE, session), (SHOW_LOADING, CHECKING_ANOTHER_USER)]
        return _check(new_state, session, effects, now)
    new_state, effects = _adopt(state, session, now)
    profile = _updated_profile(state.profile, session)
    effects += [(STORE, session), (SHOW_LOGGED_IN, profile)]
    return new_state.but(phase=LOGGED_IN, profile=profile), effects


def _renewal_trouble(state, now):
    attempts = state.attempts + 1
    delay = retry_delay(attempts)
    new_state = state.but(phase=LOGGED_IN, attempts=attempts, retry_at=now + delay)
    return new_state, [(SHOW_NOTICE, renewal_notice(delay))]


def _on_renewal_failed(state, value, now):
    error, _message, access_token = value
    if not _answers_current(state, access_token, RENEWING):
        return state, []
    if error in SESSION_ENDED_ERRORS:
        return _logged_out(state, NOTICES[ENDED], clear=True)
    return _renewal_trouble(state, now)


def _on_other_tab(state, stored, now):
    stored = stored or {}
    if state.phase in (LOADING, AUTHENTICATING):
        return state.but(stored=stored), []  # decided later, from the newest
    session = Session.from_stored(stored)
    if state.session is None:  # logged out here: a login elsewhere shows here too
        if session is None or session.is_expired(now):
            return state, []
        # Whatever this tab said when it logged out ("logged out in another tab") is over.
        new_state, effects = _decide_stored(state.but(stored=stored), now)
        return new_state, [(SHOW_NOTICE, "")] + effects
    if session == state.session:
        return state, []
    if session is None:
        if is_empty(stored):
            return _logged_out(state, NOTICES[ELSEWHERE])
        if not all(stored.get(key) for key in KEYS):
            return state, []  # half-written: the rest of the change is on its way
        return _logged_out(state, NOTICES[UNREADABLE], clear=True)
    if session.is_expired(now):
        return _logged_out(state, NOTICES[EXPIRED], clear=True)
    same_user = session.subject() == state.session.subject()
    new_state, effects = _adopt(state.but(stored=stored), session, now)
    if same_user and state.phase in (LOGGED_IN, RENEWING):
        return new_state.but(phase=LOGGED_IN), effects  # renewed in another tab
    if not same_user:  # the previous user's card must not pass for the new one's
        effects.append((SHOW_LOADING, CHECKING_ANOTHER_USER))
    return _check(new_state.but(profile=None), session, effects, now)


def _on_login_clicked(state, value, now):
    return state, [(SHOW_NOTICE, ""), (OPEN_LOCK, None)]


def _on_logout_clicked(state, value, now):
    # Shown logged out at once: leaving the page (and Lock's logout) takes a while. A notice
    # about the session (unverified, a failed renewal) is about one that has ended.
    new_state, effects = _logged_out(state, clear=True)
    effects.insert(1, (SHOW_NOTICE, ""))
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
    RETRY_CLICKED: _on_retry_clicked,
    TIMER_FIRED: _on_timer_fired,
    RENEWED: _on_renewed,
    RENEWAL_FAILED: _on_renewal_failed,
    OTHER_TAB: _on_other_tab,
}
