"""Other tabs of the app: how one tab hears that another changed the stored session.

- `localStorage` and Lockr (which stores in localStorage): the browser fires a `storage`
  event in every other tab of the origin; the tab reads storage again.
- `sessionStorage` and memory have no such event across tabs: a `BroadcastChannel` carries
  the stored values, and each receiving tab copies them into its own storage first, so the
  open tabs behave as if they shared one storage.

Either way the rules see one event, `session.other_tab(stored)`. The adapters receive the
JS objects they use (`window`, a channel), so this module imports no `js`.

`RenewalTurns` keeps the tabs from renewing the same session at once (Web Locks).
"""

import json

import session
import storage

CHANNEL = "pyscript-auth0-session"
RENEWAL_LOCK = "pyscript-auth0-session-renewal"
# The longest a tab keeps the others waiting: longer than a silent renewal can take
# (`lock_client.CHECK_SESSION_TIMEOUT_MS`), so only a tab that never hears back hits it.
RENEWAL_HOLD_MS = 15000
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


def _nothing():
    pass


class RenewalTurns:
    """One silent renewal at a time across the app's tabs, over the Web Locks API.

    Every tab plans its renewal from the same token expiry, so open tabs would all ask the
    tenant at the same moment. Each tab waits for its turn under one lock instead; when its
    turn comes and storage no longer holds the session it meant to renew, another tab has
    renewed (or ended) it and this tab hears of that like of any other change, so it asks
    nothing. Without `navigator.locks` (not a secure context, an older browser), or when the
    browser refuses the lock, each tab renews by itself.

    `settle_ms`: how long a turn waits for another tab's change to reach this tab's storage
    before it renews: the message of the tab before (`BroadcastChannel`), or its localStorage
    write, can arrive just after this tab's turn has begun.
    """

    def __init__(self, window, store, create_proxy, is_none, settle_ms=0):
        self._window = window
        self._store = store
        self._create_proxy = create_proxy
        self._is_none = is_none
        self._settle_ms = settle_ms
        self._locks = None  # found at the first renewal: nothing of this runs at start-up
        self._waiting = None  # (access_token, start) from renew() until its turn comes
        self._turns = 0  # numbers the turns: an answer after its turn ended releases nothing
        self._holding = None  # (turn, access_token, start, resolve) while holding the lock
        self._timers = []  # the hold limit and the settle wait of the turn held

    def _find_locks(self):
        """`navigator.locks` or False; then one set of proxies for the page's life (a tab
        renews a few times a day at most)."""
        is_none = self._is_none
        navigator = getattr(self._window, "navigator", None)
        locks = None if is_none(navigator) else getattr(navigator, "locks", None)
        if is_none(locks):
            return False
        proxy = self._create_proxy
        self._on_turn = proxy(self._turn)
        self._on_hold = proxy(self._hold)
        self._on_settled = proxy(self._settled)
        self._on_hold_limit = proxy(self._hold_limit)
        self._on_rejected = proxy(self._rejected)
        return locks

    def renew(self, access_token, start):
        """Call `start(finished)` on this tab's turn (at once without Web Locks), unless the
        stored session is no longer `access_token`'s by then. `start` must call
        `finished()` once the renewal has been answered and its result stored."""
        if self._locks is None:
            self._locks = self._find_locks()
        if self._locks is False:
            start(_nothing)
            return
        self._waiting = (access_token, start)
        self._locks.request(RENEWAL_LOCK, self._on_turn).catch(self._on_rejected)

    def _renewed_elsewhere(self, access_token):
        return self._store.get(session.ACCESS_TOKEN) != access_token

    def _turn(self, *args):
        waiting, self._waiting = self._waiting, None
        if waiting is None or self._renewed_elsewhere(waiting[0]):
            return None  # nothing to hold: the lock goes to the next tab at once
        self._turns += 1
        self._holding = (self._turns, waiting[0], waiting[1], None)
        return self._window.Promise.new(self._on_hold)

    def _hold(self, resolve, *rest):
        """The executor of the promise that holds the lock until `_release`."""
        turn, access_token, start, _ = self._holding
        self._holding = (turn, access_token, start, resolve)
        # The tab never keeps the others waiting for long, even if its renewal never answers.
        self._timers.append(self._window.setTimeout(self._on_hold_limit, RENEWAL_HOLD_MS))
        if self._settle_ms:
            self._timers.append(self._window.setTimeout(self._on_settled, self._settle_ms))
        else:
            self._start(turn)

    def _settled(self, *args):
        if self._holding is None:
            return
        turn, access_token = self._holding[0], self._holding[1]
        if self._renewed_elsewhere(access_token):
            self._release(turn)
        else:
            self._start(turn)

    def _start(self, turn):
        start = self._holding[2]
        try:
            start(lambda: self._release(turn))
        except Exception:
            self._release(turn)
            raise

    def _hold_limit(self, *args):
        if self._holding is not None:
            self._release(self._holding[0])

    def _release(self, turn):
        if self._holding is None or self._holding[0] != turn:
            return  # that turn has ended already (the hold limit)
        resolve = self._holding[3]
        self._holding = None
        while self._timers:
            self._window.clearTimeout(self._timers.pop())
        resolve()

    def _rejected(self, reason=None, *rest):
        # Refused before the turn came (e.g. a frame without lock access): renew without it.
        waiting, self._waiting = self._waiting, None
        if waiting is not None:
            waiting[1](_nothing)


def renewal_turns(kind, window, store, create_proxy, is_none):
    """The `RenewalTurns` for storage `kind`: a turn waits for the tab before's change to
    arrive. A broadcast one (sessionStorage, memory) comes as a message; a localStorage write
    too reaches another tab's renderer a moment later (Chromium keeps a copy per process), so
    a turn taken at once could still read the tokens the tab before has just renewed."""
    return RenewalTurns(window, store, create_proxy, is_none, StorageEvents.SETTLE_MS)
