"""Where the session is kept: one small interface, one adapter per backend.

Every adapter has `get(key) -> str or None`, `set(key, value)` and
`remove(key)`. The browser adapters receive the JS object they wrap, so this
module never imports `js`; `is_none` tells JS null/undefined from a value
(pass `pyscript.ffi.is_none` in the browser: Pyodide turns JS null into a
`JsNull` that is not `None`).
"""

from session import KEYS, PROFILE_CACHE

# Everything the app keeps: the session keys and the optional profile cache.
ALL_KEYS = KEYS + (PROFILE_CACHE,)

KINDS = ("localStorage", "sessionStorage", "lockr", "memory")
DEFAULT_KIND = "localStorage"


def _plain_is_none(value):
    return value is None


def _as_text(value, is_none):
    if is_none(value):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return str(value)
    # An object or array where a string belongs: unreadable, let the rules drop it.
    return ""


class MemoryStorage:
    """Keeps values for the life of the page only."""

    def __init__(self):
        self._items = {}

    def get(self, key):
        return self._items.get(key)

    def set(self, key, value):
        self._items[key] = str(value)

    def remove(self, key):
        if key in self._items:
            del self._items[key]


class WebStorage:
    """`window.localStorage` or `window.sessionStorage` (the Web Storage API)."""

    def __init__(self, js_storage, is_none=_plain_is_none):
        self._store = js_storage
        self._is_none = is_none

    def get(self, key):
        return _as_text(self._store.getItem(key), self._is_none)

    def set(self, key, value):
        self._store.setItem(key, str(value))

    def remove(self, key):
        self._store.removeItem(key)


class LockrStorage:
    """The Lockr library (`window.Lockr`): JSON-wrapped values in localStorage."""

    def __init__(self, lockr, is_none=_plain_is_none):
        self._lockr = lockr
        self._is_none = is_none

    def get(self, key):
        return _as_text(self._lockr.get(key), self._is_none)

    def set(self, key, value):
        self._lockr.set(key, str(value))

    def remove(self, key):
        self._lockr.rm(key)


def kind_from_config(config):
    kind = config.get("storage") or DEFAULT_KIND
    if kind not in KINDS:
        raise ValueError("unknown storage {!r}; expected one of {}".format(kind, ", ".join(KINDS)))
    return kind


def create(kind, window, is_none=_plain_is_none):
    """The adapter for `kind`, wrapping what `window` provides."""
    if kind == "memory":
        return MemoryStorage()
    if kind == "lockr":
        return LockrStorage(window.Lockr, is_none)
    if kind == "sessionStorage":
        return WebStorage(window.sessionStorage, is_none)
    return WebStorage(window.localStorage, is_none)


def load(storage):
    """The stored session (and profile cache) as {key: str or None}."""
    stored = {}
    for key in ALL_KEYS:
        stored[key] = storage.get(key)
    return stored


def save(storage, values):
    """All of the session's keys or, when the storage refuses one (full), none: half a session
    would be read back as a broken one."""
    try:
        for key in KEYS:
            storage.set(key, values[key])
    except Exception as exc:
        for key in KEYS:
            try:  # noqa: SIM105 (MicroPython has no contextlib)
                storage.remove(key)
            except Exception:  # a storage that refuses everything holds nothing of it either
                pass
        raise RuntimeError(f"the browser refused to save the session ({exc})") from exc


def save_profile(storage, text):
    storage.set(PROFILE_CACHE, text)


def replace(storage, values):
    """Make `storage` hold exactly `values` (a copy of another tab's, see `tabs.py`)."""
    for key in ALL_KEYS:
        value = values.get(key)
        if isinstance(value, str):
            storage.set(key, value)
        else:
            storage.remove(key)


def clear(storage):
    for key in ALL_KEYS:
        storage.remove(key)
