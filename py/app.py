"""The loop between the session rules and the adapters.

`App.dispatch(event)` runs `session.step` and carries out its effects on the
storage, Lock and view adapters it was given. No `js` imports: CPython tests
drive it with fakes.
"""

import time

import session
import storage


class App:
    def __init__(self, config, store, lock, view, navigate, home_url="/", clock=time.time):
        self.state = session.initial_state(config, home_url)
        self.store = store
        self.lock = lock
        self.view = view
        self.navigate = navigate
        self.clock = clock
        self._effects = {
            session.STORE: self._store,
            session.CLEAR_STORAGE: self._clear,
            session.CALL_GET_PROFILE: self._get_profile,
            session.SHOW_LOGGED_IN: self.view.logged_in,
            session.SHOW_LOGGED_OUT: self.view.logged_out,
            session.SHOW_NOTICE: self.view.notice,
            session.OPEN_LOCK: self._open_lock,
            session.LOCK_LOGOUT: self.lock.logout,
            session.REDIRECT: self.navigate,
        }

    def start(self):
        """Listen to Lock and read storage; Lock parses the URL hash right after."""
        self.lock.on_events(self.dispatch)
        self.dispatch(session.page_loaded(storage.load(self.store)))

    def dispatch(self, event):
        try:
            self.state, effects = session.step(self.state, event, self.clock())
            for name, value in effects:
                self._effects[name](value)
        except Exception as exc:  # keep the page honest rather than stuck on "loading"
            self.view.error(f"Something went wrong: {exc}")
            raise

    def click_handler(self, make_event):
        """A DOM click listener that dispatches `make_event()`."""

        def handler(event=None, *rest):
            if event is not None and hasattr(event, "preventDefault"):
                event.preventDefault()
            self.dispatch(make_event())

        return handler

    def _store(self, value):
        storage.save(self.store, value.to_stored())

    def _clear(self, value):
        storage.clear(self.store)

    def _get_profile(self, access_token):
        self.lock.get_profile(access_token, self.dispatch)

    def _open_lock(self, value):
        self.lock.show()
