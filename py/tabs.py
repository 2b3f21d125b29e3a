"""Other tabs of the app: how one tab hears that another changed the stored session.

- `localStorage` and Lockr (which stores in localStorage): the browser fires a `storage`
  event in every other tab of the origin; the tab reads storage again.
- `sessionStorage` and memory have no such event across tabs: a `BroadcastChannel` carries
  the stored values, and each receiving tab copies them into its own storage first, so the
  open tabs behave as if they shared one storage.

Either way the rules see one event, `session.other_tab(stored)`. The adapters receive the
JS objects they use (`window`, a channel), so this module imports no `js`.
"""

import json

import session
import storage

CHANNEL = "pyscript-auth0-session"
SHARED_KINDS = ("localStorage", "lockr")  # kinds whose writes reach other tabs by themselves


class NoTabs:
    """No way to reach other tabs (no BroadcastChannel): each tab stands alone."""

    def listen(self, dispatch):
        pass

    def announce(self, stored):
        pass


class StorageEvents:
    """The `storage` event of `window` (localStorage, Lockr).

    Another tab writes the keys one by one and each write arrives as its own event, so a
    read at the first event can see half a change. The adapter waits until the events have
    been quiet for `SETTLE_MS`, then reads storage once and dispatches one `other_tab`.
    """

    SETTLE_MS = 50

    def __init__(self, window, store, create_proxy, is_none):
        self._window = window
        self._store = store
        self._create_proxy = create_proxy
        self._is_none = is_none
        self._listeners = []  # proxies handed to JS live as long as the page
        self._pending = None
        self._dispatch = None

    def listen(self, dispatch):
        is_none = self._is_none
        self._dispatch = dispatch

        def on_storage(event=None, *rest):
            key = getattr(event, "key", None) if event is not None else None
            # `key` is null when the whole storage was cleared.
            if not is_none(key) and key not in session.KEYS:
                return
            if self._pending is not None:
                self._window.clearTimeout(self._pending)
            self._pending = self._window.setTimeout(settled_proxy, self.SETTLE_MS)

        def settled(*args):
            self._pending = None
            self._dispatch(session.other_tab(storage.load(self._store)))

        settled_proxy = self._create_proxy(settled)
        proxy = self._create_proxy(on_storage)
        self._listeners.extend((proxy, settled_proxy))
        self._window.addEventListener("storage", proxy)

    def announce(self, stored):
        pass  # the write itself is the announcement


def parse_message(data):
    """The stored values a message carries, or None when it is not one of ours."""
    if not isinstance(data, str):
        return None
    try:
        value = json.loads(data)
    except ValueError:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("stored"), dict):
        return None
    stored = {}
    for key in storage.ALL_KEYS:
        field = value["stored"].get(key)
        stored[key] = field if isinstance(field, str) else None
    return stored


class Broadcast:
    """A `BroadcastChannel` (sessionStorage, memory): the values travel in the message."""

    def __init__(self, channel, store, create_proxy, is_none):
        self._channel = channel
        self._store = store
        self._create_proxy = create_proxy
        self._is_none = is_none
        self._listeners = []

    def listen(self, dispatch):
        def on_message(event=None, *rest):
            stored = parse_message(getattr(event, "data", None) if event is not None else None)
            if stored is None:
                return
            storage.replace(self._store, stored)
            dispatch(session.other_tab(storage.load(self._store)))

        proxy = self._create_proxy(on_message)
        self._listeners.append(proxy)
        self._channel.addEventListener("message", proxy)

    def announce(self, stored):
        self._channel.postMessage(json.dumps({"stored": stored}))


def create(kind, window, store, create_proxy, is_none):
    """The way to reach other tabs for storage `kind` (see `storage.KINDS`)."""
    if kind in SHARED_KINDS:
        return StorageEvents(window, store, create_proxy, is_none)
    channel_class = getattr(window, "BroadcastChannel", None)
    if is_none(channel_class):
        return NoTabs()
    return Broadcast(channel_class.new(CHANNEL), store, create_proxy, is_none)
