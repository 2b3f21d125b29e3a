"""The DOM adapter writes text and attributes only."""

from __future__ import annotations

import pytest
from unit_support import FakeDocument
from view import View, safe_picture_url

HOSTILE = '<img src=x onerror="alert(1)">Ada'


def test_logged_in_writes_the_profile_as_text() -> None:
    doc = FakeDocument()
    View(doc).logged_in(
        {"name": HOSTILE, "email": "ada@example.com", "picture": "http://localhost:1/a.svg"}
    )
    el = doc.elements
    assert el["profile-name"].textContent == HOSTILE
    assert el["profile-email"].textContent == "ada@example.com"
    assert el["profile-picture"].attributes["src"] == "http://localhost:1/a.svg"
    assert el["profile-picture"].attributes["alt"] == "Picture of " + HOSTILE
    assert "hidden" not in el["profile-picture"].attributes
    assert doc.body.attributes["data-session"] == "logged-in"


def test_name_falls_back_to_nickname_then_email() -> None:
    doc = FakeDocument()
    View(doc).logged_in({"nickname": "ada", "email": "a@x"})
    assert doc.elements["profile-name"].textContent == "ada"
    View(doc).logged_in({"email": "a@x"})
    assert doc.elements["profile-name"].textContent == "a@x"


@pytest.mark.parametrize(
    "url",
    [None, "", "javascript:alert(1)", " JAVASCRIPT:x", "data:text/html,<b>", "/relative.png", 7],
)
def test_unsafe_or_missing_pictures_are_dropped(url: object) -> None:
    assert safe_picture_url(url) is None
    doc = FakeDocument()
    View(doc).logged_in({"name": "Ada", "picture": url})
    picture = doc.elements["profile-picture"]
    assert "src" not in picture.attributes
    assert "hidden" in picture.attributes


def test_safe_pictures() -> None:
    for url in ("https://s.gravatar.com/a.png", "http://localhost:8001/p.svg", "data:image/png;x"):
        assert safe_picture_url(url) == url


def test_logged_out_empties_the_card_and_shows_the_notice() -> None:
    doc = FakeDocument()
    view = View(doc)
    view.logged_in({"name": "Ada", "email": "a@x", "picture": "https://p/a.png"})
    view.logged_out("Your session has expired.")
    el = doc.elements
    assert el["profile-name"].textContent == ""
    assert el["profile-email"].textContent == ""
    assert "src" not in el["profile-picture"].attributes
    assert el["notice"].textContent == "Your session has expired."
    assert "hidden" not in el["notice"].attributes
    assert doc.body.attributes["data-session"] == "logged-out"


def test_empty_notice_hides_it_and_errors_mark_the_page() -> None:
    doc = FakeDocument()
    view = View(doc)
    view.notice("")
    assert "hidden" in doc.elements["notice"].attributes
    view.error("config broken")
    assert doc.elements["notice"].textContent == "config broken"
    assert doc.elements["notice"].attributes["data-level"] == "error"
    assert doc.body.attributes["data-session"] == "error"


def test_loading_empties_the_card_and_marks_the_page_loading() -> None:
    doc = FakeDocument()
    view = View(doc)
    view.logged_in({"name": "Ada", "email": "ada@example.com", "picture": "http://p/a.svg"})
    view.loading()
    el = doc.elements
    assert el["profile-name"].textContent == ""
    assert el["profile-email"].textContent == ""
    assert "src" not in el["profile-picture"].attributes
    assert "hidden" in el["profile-picture"].attributes
    assert doc.body.attributes["data-session"] == "loading"


def test_loading_another_users_session_hides_the_card_and_says_why() -> None:
    doc = FakeDocument()
    view = View(doc)
    view.logged_in({"name": "Ada", "email": "a@x", "picture": "https://p/a.png"})
    view.loading("Checking the new account")
    assert doc.elements["loading-text"].textContent == "Checking the new account"
    assert doc.elements["profile-name"].textContent == ""
    assert "hidden" in doc.elements["profile-picture"].attributes
    assert doc.body.attributes["data-session"] == "loading"
