"""The page: writes state into the DOM of web/index.html.

Profile data goes in through `textContent` and attributes only, never as
markup. Receives `document`, so it does not import `js`.
"""

ERROR = "error"
WARNING = "warning"
UNVERIFIED = "unverified"

# Only pictures over the network or inline images; anything else is dropped.
_PICTURE_SCHEMES = ("https://", "http://", "data:image/")


def safe_picture_url(url):
    if not isinstance(url, str):
        return None
    lowered = url.strip().lower()
    for scheme in _PICTURE_SCHEMES:
        if lowered.startswith(scheme):
            return url.strip()
    return None


class View:
    def __init__(self, document):
        self._document = document
        self._body = document.body
        self._listeners = []  # proxies handed to the DOM live as long as the page

    def _el(self, element_id):
        return self._document.getElementById(element_id)

    def set_session(self, value):
        self._body.setAttribute("data-session", value)

    def notice(self, text, level="info"):
        el = self._el("notice")
        el.textContent = text or ""
        el.setAttribute("data-level", level)
        if text:
            el.removeAttribute("hidden")
        else:
            el.setAttribute("hidden", "")

    def _show_profile(self, profile, with_picture=True):
        name = profile.get("name") or profile.get("nickname") or profile.get("email") or ""
        self._el("profile-name").textContent = name
        self._el("profile-email").textContent = profile.get("email") or ""
        picture = self._el("profile-picture")
        url = safe_picture_url(profile.get("picture")) if with_picture else None
        if url:
            picture.setAttribute("src", url)
            picture.setAttribute("alt", "Picture of " + name if name else "Profile picture")
            picture.removeAttribute("hidden")
        else:
            picture.removeAttribute("src")
            picture.setAttribute("alt", "")
            picture.setAttribute("hidden", "")

    def logged_in(self, profile):
        self._show_profile(profile)
        self.set_session("logged-in")

    def unverified(self, profile, notice):
        """The session is kept but the tenant could not confirm it: what is known, no
        picture (it would come from the tenant), the reason and the retry button."""
        self._show_profile(profile, with_picture=False)
        self.notice(notice, WARNING)
        self.set_session(UNVERIFIED)

    def _clear_profile(self):
        self._el("profile-name").textContent = ""
        self._el("profile-email").textContent = ""
        picture = self._el("profile-picture")
        picture.removeAttribute("src")
        picture.setAttribute("hidden", "")

    def loading(self, text=None):
        """No user shown while a session is checked; `text` replaces the start-up line
        (which would claim Python is still starting)."""
        self._clear_profile()
        if text:
            self._el("loading-text").textContent = text
        self.set_session("loading")

    def logged_out(self, notice=""):
        self._clear_profile()
        if notice:
            self.notice(notice)
        self.set_session("logged-out")

    def error(self, message):
        self.notice(message, ERROR)
        self.set_session(ERROR)

    def on_click(self, element_id, handler):
        """`handler` must already be a proxy (`create_proxy`) on Pyodide; it is kept here."""
        self._listeners.append(handler)
        self._el(element_id).addEventListener("click", handler)
