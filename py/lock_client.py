"""Auth0 Lock: its options (pure) and a thin adapter around a Lock instance.

`lock_options` and `failure_kind` are plain Python, testable in CPython. The
`LockClient` adapter receives the Lock instance and the FFI helpers it needs,
so this module does not import `js` or `pyscript` either.
"""

import session

LOCK_EVENTS = (
    "hash_parsed",
    "authenticated",
    "authorization_error",
    "unrecoverable_error",
)


def is_self_hosted(domain):
    """A domain with a scheme (`http://localhost:8001`) is a self-hosted tenant."""
    return "://" in domain


def lock_options(config, site_url, null=None):
    """Lock's options for `config` (auth0-config.json) on the site at `site_url`: the page's
    folder (`https://host/` or, on a static host's sub-path, `https://host/app/`).

    `null` is what stands for JS null: pass `pyscript.ffi.jsnull` in the browser
    (Pyodide turns `None` into `undefined`, which Lock reads as "unset").
    """
    site = site_url.rstrip("/")
    domain = config["domain"].rstrip("/")
    options = {
        "auth": {
            "redirect": True,
            "redirectUrl": site + "/",
            "responseType": "token id_token",
            "params": {"scope": config.get("scope") or "openid profile email"},
        },
        # Lock would fetch its English dictionary from Auth0's CDN and look up a
        # gravatar for the typed email; both are served locally or switched off.
        "languageBaseUrl": site + "/vendor/lock",
        "avatar": null,
        "theme": {"logo": site + "/vendor/lock/logo.svg"},
    }
    if is_self_hosted(domain):
        options["configurationBaseUrl"] = domain
        options["overrides"] = {"__token_issuer": domain + "/"}
    return options


def failure_kind(status_code):
    """The failure kind (see `session`) for an HTTP status; no status (None, 0): no answer."""
    if status_code is None or status_code == 0:
        return session.NETWORK
    if status_code in (401, 403):
        return session.UNAUTHORIZED
    if status_code == 429:
        return session.RATE_LIMITED
    if 500 <= status_code <= 599:
        return session.SERVER
    return session.INVALID


def _field(obj, name, is_none):
    """`obj.name` as a Python value, None when missing or JS null/undefined."""
    try:
        value = getattr(obj, name, None)
    except Exception:  # a JS getter that throws
        return None
    if is_none(value):
        return None
    return value


def _text(obj, name, is_none):
    value = _field(obj, name, is_none)
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


# How long `checkSession`'s hidden iframe may take (auth0-js waits 60 s by default).
CHECK_SESSION_TIMEOUT_MS = 10000


def auth_result(result, is_none):
    """Lock's / auth0-js's `authResult` as the dict `session` expects."""
    return {
        "id_token": _text(result, "idToken", is_none),
        "access_token": _text(result, "accessToken", is_none),
        "expires_in": _field(result, "expiresIn", is_none),
    }


def error_code(err, is_none):
    """The OAuth error code of an auth0-js error (`login_required`, `timeout`, ...)."""
    if isinstance(err, str):
        return err
    for name in ("error", "code"):
        text = _text(err, name, is_none)
        if text:
            return text
    return "unknown_error"


# What a failed login shows, by its OAuth error code. Never the description that came with it:
# an error in the URL is anyone's to write (a link can carry any text), and auth0-js hands it
# on before it checks the login's `state`. The description goes to the console instead.
LOGIN_ERRORS = {
    "access_denied": "The login was refused.",
    "unauthorized": "The login was refused.",
    "login_required": "Log in again: your session at the login server has ended.",
    "consent_required": "The login needs your consent at the login server.",
    "interaction_required": "The login needs you to continue at the login server.",
    "invalid_token": "The login could not be verified. Try logging in again.",
    "server_error": "The login server had a problem. Try again in a moment.",
    "temporarily_unavailable": "The login server is busy. Try again in a moment.",
}
LOGIN_FAILED = "The login failed. Try logging in again."


def login_error_message(err, is_none):
    """The page's own words for a failed login (`LOGIN_ERRORS`)."""
    return LOGIN_ERRORS.get(error_code(err, is_none), LOGIN_FAILED)


def error_message(err, is_none):
    """A readable message from an auth0-js / Lock error object (or a string)."""
    if isinstance(err, str):
        return err
    for name in ("errorDescription", "error_description", "description", "message", "error"):
        text = _text(err, name, is_none)
        if text:
            return text
    return "Unknown error"


def _release(proxy):
    """Destroy a proxy where the FFI has `destroy` (Pyodide); elsewhere (MicroPython, whose
    proxies go with JS garbage collection) dropping the reference is all there is."""
    try:
        destroy = getattr(proxy, "destroy", None)
    except Exception:  # a JS proxy that throws on lookup
        return
    if destroy is not None and callable(destroy):
        try:
            destroy()
        except Exception:  # already destroyed
            return


class LockClient:
    """What the app needs from Lock, with JS values turned into Python ones."""

    def __init__(self, lock, create_proxy, to_js, is_none):
        self._lock = lock
        self._create_proxy = create_proxy
        self._to_js = to_js
        self._is_none = is_none
        self._proxies = []  # Lock's event handlers stay alive with the page
        self._pending = {}  # one-shot callbacks (getProfile, checkSession) not called yet
        self._spent = []  # one-shot callbacks already called, released at the next call
        self._calls = 0

    def _proxy(self, func):
        proxy = self._create_proxy(func)
        self._proxies.append(proxy)
        return proxy

    def _proxy_once(self, func):
        """A proxy for a callback JS calls once. Kept until it has been called, then
        released (destroyed where the FFI can: Pyodide) when the next one is made, never
        during its own call; so retries and renewals do not pile proxies up."""
        while self._spent:
            _release(self._spent.pop())
        self._calls += 1
        key = self._calls

        def once(*args):
            proxy = self._pending.pop(key, None)
            if proxy is not None:
                self._spent.append(proxy)
            func(*args)

        proxy = self._create_proxy(once)
        self._pending[key] = proxy
        return proxy

    def on_events(self, dispatch):
        """Feed Lock's events into `dispatch` as session events."""
        is_none = self._is_none

        def on_hash_parsed(result=None, *rest):
            dispatch(session.hash_parsed(not is_none(result)))

        def on_authenticated(result=None, *rest):
            dispatch(session.authenticated(auth_result(result, is_none)))

        def on_authorization_error(err=None, *rest):
            print(f"Login failed: {error_code(err, is_none)}: {error_message(err, is_none)}")
            dispatch(session.authorization_error(login_error_message(err, is_none)))

        def on_unrecoverable_error(err=None, *rest):
            dispatch(session.unrecoverable_error(error_message(err, is_none)))

        handlers = {
            "hash_parsed": on_hash_parsed,
            "authenticated": on_authenticated,
            "authorization_error": on_authorization_error,
            "unrecoverable_error": on_unrecoverable_error,
        }
        for name in LOCK_EVENTS:
            self._lock.on(name, self._proxy(handlers[name]))

    def show(self):
        self._lock.show()

    def get_profile(self, access_token, dispatch):
        """Ask `/userinfo`; dispatches `profile_ok` or `profile_failed`."""
        is_none = self._is_none

        # auth0-js calls back with ONE argument on error.
        def done(err=None, profile=None, *rest):
            if not is_none(err):
                status = _field(err, "statusCode", is_none)
                if not isinstance(status, int) or isinstance(status, bool):
                    status = None
                kind = failure_kind(status)
                dispatch(session.profile_failed(kind, error_message(err, is_none), access_token))
                return
            values = {}
            for name in session.PROFILE_CLAIMS:
                values[name] = _text(profile, name, is_none)
            dispatch(session.profile_ok(values, access_token))

        self._lock.getProfile(access_token, self._proxy_once(done))

    def check_session(self, access_token, dispatch):
        """Renew silently (`/authorize?prompt=none` in a hidden iframe); dispatches
        `renewed` or `renewal_failed`, tagged with the access token being renewed."""
        is_none = self._is_none

        def done(err=None, result=None, *rest):
            if not is_none(err):
                code = error_code(err, is_none)
                message = error_message(err, is_none)
                dispatch(session.renewal_failed(code, message, access_token))
                return
            dispatch(session.renewed(auth_result(result, is_none), access_token))

        options = self._to_js({"timeout": CHECK_SESSION_TIMEOUT_MS})
        self._lock.checkSession(options, self._proxy_once(done))

    def logout(self, return_to):
        """End the tenant session too (federated logout); Lock navigates away."""
        self._lock.logout(self._to_js({"returnTo": return_to}))


class DeferredLock:
    """Stands in for a `LockClient` until Lock's script has run, so that a visitor with no
    session is told so without waiting for Lock. Calls made meanwhile (a Log In click, the
    `/userinfo` check) are made in order once `attach` hands over the client."""

    def __init__(self):
        self._client = None
        self._waiting = []

    def attach(self, client):
        self._client = client
        waiting, self._waiting = self._waiting, []
        for name, args in waiting:
            getattr(client, name)(*args)

    def _call(self, name, *args):
        if self._client is None:
            self._waiting.append((name, args))
        else:
            getattr(self._client, name)(*args)

    def on_events(self, dispatch):
        self._call("on_events", dispatch)

    def show(self):
        self._call("show")

    def get_profile(self, access_token, dispatch):
        self._call("get_profile", access_token, dispatch)

    def check_session(self, access_token, dispatch):
        self._call("check_session", access_token, dispatch)

    def logout(self, return_to):
        self._call("logout", return_to)
