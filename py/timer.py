"""One pending callback at a time, over the page's `setTimeout` (Pyodide and MicroPython).

The session rules decide when the page must act next (`set_timer` / `cancel_timer`
effects); this adapter only waits. It receives `window` and `create_proxy`, so it
imports no `js`. Time math stays in Python: JS only sees a small delay in ms.
"""

# `setTimeout` fires at once for delays of 2^31 ms (~24.8 days) or more: wait at most a
# day; the rules set the timer again when it fires early.
MAX_SECONDS = 24 * 3600


class Timer:
    def __init__(self, window, create_proxy):
        self._window = window
        self._handle = None
        self._callback = None
        self._fire_proxy = create_proxy(self._fire)  # one proxy, kept for the page's life

    def _fire(self, *args):
        self._handle = None
        callback = self._callback
        self._callback = None
        if callback is not None:
            callback()

    def start(self, seconds, callback):
        """Call `callback()` in `seconds` (replacing any pending call)."""
        self.cancel()
        seconds = min(max(seconds, 0), MAX_SECONDS)
        self._callback = callback
        self._handle = self._window.setTimeout(self._fire_proxy, int(seconds * 1000 + 0.5))

    def cancel(self):
        if self._handle is not None:
            self._window.clearTimeout(self._handle)
        self._handle = None
        self._callback = None
