"""The loop between the session rules and the adapters.

`App.dispatch(event)` runs `session.step` and carries out its effects on the
storage, Lock and view adapters it was given. No `js` imports: CPython tests
drive it with fakes.
"""

import time

import session
import storage


class App:
    """`timer`: a `timer.Timer` (or a fake); `tabs`: one of `tabs.py`'s adapters;
    `renewals`: a `tabs.RenewalTurns` (or a fake), so that open tabs renew one at a time."""

    def __init__(
        self,
        config,
        store,
        lock,
        view,
        navigate,
        home_url="/",
        clock=time.time,
        timer=None,
        tabs=None,
        url_fragment=None,
        renewals=None,
    ):
        self.state = session.initial_state(config, home_url)
        # None: unknown, so wait for Lock to parse the URL before deciding.
        self.login_in_url = url_fragment is None or session.login_response_in(url_fragment)
        self.store = store
        self.lock = lock
        self.view = view
        self.navigate = navigate
        self.clock = clock
        self.timer = timer
        self.tabs = tabs
        self.renewals = renewals  # a `tabs.RenewalTurns`; None renews at once
        self.halted = False
        self._effects = {
            session.STORE: self._store,
            session.STORE_PROFILE: self._store_profile,
            session.CLEAR_STORAGE: self._clear,
            session.CALL_GET_PROFILE: self._get_profile,
            session.CALL_CHECK_SESSION: self._check_session,
            session.SHOW_LOGGED_IN: self.view.logged_in,
            session.SHOW_UNVERIFIED: self._show_unverified,
            session.SHOW_LOGGED_OUT: self.view.logged_out,
            session.SHOW_LOADING: self.view.loading,
            session.SHOW_NOTICE: self.view.notice,
            session.OPEN_LOCK: self._open_lock,
            session.LOCK_LOGOUT: self.lock.logout,
            session.REDIRECT: self.navigate,
            session.SET_TIMER: self._set_timer,
            session.CANCEL_TIMER: self._cancel_timer,
        }

    def start(self):
        """Listen to Lock and read storage; without a login in the URL, decide at once."""
        self.lock.on_events(self.dispatch)
        if self.tabs is not None:
            self.tabs.listen(self.dispatch)
        self.dispatch(session.page_loaded(storage.load(self.store), self.login_in_url))

    def halt(self):
        """Stop for good (the page could not finish starting): later events and the timer
        would otherwise overwrite the error the page shows."""
        self.halted = True
        if self.timer is not None:
            self.timer.cancel()

    def dispatch(self, event):
        if self.halted:
            return
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

    def _announce(self):
        if self.tabs is not None:
            self.tabs.announce(storage.load(self.store))

    def _store(self, value):
        storage.save(self.store, value.to_stored())
        self._announce()

    def _store_profile(self, text):
        try:
            storage.save_profile(self.store, text)
        except Exception:  # only a cache: a full storage must not break a working session
            return
        self._announce()

    def _clear(self, value):
        storage.clear(self.store)
        self._announce()

    def _get_profile(self, access_token):
        self.lock.get_profile(access_token, self.dispatch)

    def _check_session(self, access_token):
        def start(finished):
            def answered(event):
                try:
                    self.dispatch(event)  # stores the fresh tokens before the next tab's turn
                finally:
                    finished()

            try:
                self.lock.check_session(access_token, answered)
            except Exception as exc:  # a renewal that cannot even start is a failed one
                answered(session.renewal_failed("", str(exc), access_token))

        if self.renewals is None:
            start(lambda: None)
        else:
            self.renewals.renew(access_token, start)

    def _show_unverified(self, value):
        profile, notice = value
        self.view.unverified(profile, notice)

    def _set_timer(self, seconds):
        self.timer.start(seconds, self._timer_fired)

    def _cancel_timer(self, value):
        self.timer.cancel()

    def _timer_fired(self):
        self.dispatch(session.timer_fired())

    def _open_lock(self, value):
        self.lock.show()
