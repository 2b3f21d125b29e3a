"""At load: offline is not logout. Which failures keep the session, the retries, the cache."""

from __future__ import annotations

import json
from typing import Any

import pytest
import session as s
from unit_support import NOW, id_token, stored

PROFILE = {"sub": "auth0|ada", "name": "Ada Lovelace", "email": "ada@example.com"}
TOKEN = id_token(name="Ada (from the token)", email="ada@example.com", picture="http://p/a.svg")


class Tab:
    """One page's state, driven event by event with a fake clock."""

    def __init__(self, config: dict[str, Any] | None = None, now: float = NOW) -> None:
        self.state = s.initial_state(config or {}, home_url="http://app.test/")
        self.now = now
        self.effects: list[tuple[str, Any]] = []

    def send(self, event: tuple[str, Any], at: float | None = None) -> list[tuple[str, Any]]:
        if at is not None:
            self.now = at
        self.state, self.effects = s.step(self.state, event, self.now)
        return self.effects

    def load(self, values: dict[str, Any]) -> list[tuple[str, Any]]:
        self.send(s.page_loaded(values))
        return self.send(s.hash_parsed(False))

    def effect(self, name: str) -> Any:
        found = [value for effect, value in self.effects if effect == name]
        assert len(found) == 1, (name, self.effects)
        return found[0]

    def names(self) -> list[str]:
        return [name for name, _ in self.effects]


def loaded_then_failed(kind: str, config: dict[str, Any] | None = None) -> Tab:
    tab = Tab(config)
    tab.load(stored(token=TOKEN))
    tab.send(s.profile_failed(kind, "boom", "access-1"), at=NOW + 1)
    return tab


@pytest.mark.parametrize(
    "kind, reason",
    [
        (s.NETWORK, "cannot be reached"),
        (s.SERVER, "had a problem"),
        (s.RATE_LIMITED, "is busy"),
    ],
)
def test_tenant_down_5xx_or_429_keep_the_session_and_retry(kind: str, reason: str) -> None:
    tab = loaded_then_failed(kind)
    assert tab.state.phase == s.UNVERIFIED
    assert tab.state.session == s.Session(TOKEN, "access-1", NOW + 7200)
    assert s.CLEAR_STORAGE not in tab.names()
    profile, notice = tab.effect(s.SHOW_UNVERIFIED)
    assert notice.startswith("Could not verify your session")
    assert reason in notice and "Retrying in 2 seconds" in notice
    # Shown: what the stored id_token says, without the picture (it lives on the tenant).
    assert profile["name"] == "Ada (from the token)"
    assert profile["picture"] is None
    assert tab.effect(s.SET_TIMER) == 2


@pytest.mark.parametrize("kind", [s.UNAUTHORIZED, s.INVALID])
def test_only_a_rejected_token_removes_the_session(kind: str) -> None:
    tab = loaded_then_failed(kind)
    assert tab.state.phase == s.LOGGED_OUT
    assert tab.names() == [s.CLEAR_STORAGE, s.SHOW_LOGGED_OUT, s.CANCEL_TIMER]
    assert tab.effect(s.SHOW_LOGGED_OUT) == s.NOTICES[s.UNAUTHORIZED]


def test_locks_own_start_failure_does_not_hide_why_the_session_is_unverified() -> None:
    # Tenant down: Lock cannot load the client script either, in whatever order.
    tab = loaded_then_failed(s.NETWORK)
    assert tab.send(s.unrecoverable_error("Could not load the client")) == []
    tab = Tab()
    tab.load(stored())
    assert tab.send(s.unrecoverable_error("x")) == [(s.SHOW_NOTICE, "x")]


def test_retries_back_off_doubling_up_to_a_minute() -> None:
    tab = loaded_then_failed(s.NETWORK)
    delays = [tab.effect(s.SET_TIMER)]
    for _ in range(7):
        tab.send(s.timer_fired(), at=tab.state.due)
        assert tab.effect(s.CALL_GET_PROFILE) == "access-1"
        assert tab.effect(s.SHOW_NOTICE) == s.RETRYING
        tab.send(s.profile_failed(s.SERVER, "", "access-1"))
        assert tab.state.phase == s.UNVERIFIED
        delays.append(tab.effect(s.SET_TIMER))
    assert delays == [2, 4, 8, 16, 32, 60, 60, 60]
    assert "Retrying in 1 minute" not in tab.effect(s.SHOW_UNVERIFIED)[1]
    assert "Retrying in 60 seconds" in tab.effect(s.SHOW_UNVERIFIED)[1]


def test_recovery_shows_the_profile_and_clears_the_notice() -> None:
    tab = loaded_then_failed(s.NETWORK)
    tab.send(s.timer_fired(), at=NOW + 3)
    tab.send(s.profile_ok(PROFILE, "access-1"), at=NOW + 3.5)
    assert tab.state.phase == s.LOGGED_IN
    assert tab.names()[:2] == [s.SHOW_NOTICE, s.SHOW_LOGGED_IN]
    assert tab.effect(s.SHOW_NOTICE) == ""
    assert tab.state.attempts == 0 and tab.state.retry_at is None


def test_the_retry_button_checks_at_once_and_keeps_backing_off_on_failure() -> None:
    tab = loaded_then_failed(s.RATE_LIMITED)
    tab.send(s.retry_clicked(), at=NOW + 1.5)
    assert tab.state.phase == s.CHECKING
    assert tab.effect(s.CALL_GET_PROFILE) == "access-1"
    tab.send(s.profile_failed(s.RATE_LIMITED, "", "access-1"), at=NOW + 2)
    assert tab.effect(s.SET_TIMER) == 4
    assert tab.state.phase == s.UNVERIFIED


def test_retry_button_is_ignored_when_not_unverified() -> None:
    tab = Tab()
    tab.load(stored())
    before = tab.state
    assert tab.send(s.retry_clicked()) == []
    assert tab.state == before


def test_a_session_that_expires_while_unverified_is_removed() -> None:
    token = id_token(exp=NOW + 5)
    tab = Tab()
    tab.load(stored(token=token))
    tab.send(s.profile_failed(s.NETWORK, "", "access-1"), at=NOW + 4)
    # The end comes before the retry would: the timer set at load (for the end) stays.
    assert tab.state.due == NOW + 5
    assert s.SET_TIMER not in tab.names()
    tab.send(s.timer_fired(), at=NOW + 5)
    assert tab.state.phase == s.LOGGED_OUT
    assert tab.names() == [s.CLEAR_STORAGE, s.SHOW_LOGGED_OUT]  # the timer has just fired
    assert tab.effect(s.SHOW_LOGGED_OUT) == s.NOTICES[s.EXPIRED]


def test_the_retry_button_after_expiry_removes_the_session_without_network() -> None:
    tab = Tab()
    tab.load(stored(expires_at=str(NOW + 10)))
    tab.send(s.profile_failed(s.NETWORK, "", "access-1"))
    tab.send(s.retry_clicked(), at=NOW + 10)
    assert tab.state.phase == s.LOGGED_OUT
    assert s.CALL_GET_PROFILE not in tab.names()


def test_a_failed_check_after_login_keeps_the_fresh_session() -> None:
    tab = Tab()
    tab.send(s.page_loaded({}))
    tab.send(s.hash_parsed(True))
    result = {"id_token": TOKEN, "access_token": "access-2", "expires_in": 7200}
    tab.send(s.authenticated(result))
    tab.send(s.profile_failed(s.SERVER, "", "access-2"))
    assert tab.state.phase == s.UNVERIFIED
    assert tab.effect(s.SHOW_UNVERIFIED)[0]["name"] == "Ada (from the token)"


# --- the /userinfo cache -------------------------------------------------------------------------


def with_cache(at: float, profile: dict[str, Any] | None = None, **values: Any) -> dict[str, Any]:
    cache = json.dumps({"at": at, "profile": profile or PROFILE})
    return {**stored(), "profile_cache": cache, **values}


def test_profile_answers_are_cached_when_configured() -> None:
    tab = Tab({"profileCacheSeconds": 30})
    tab.load(stored())
    tab.send(s.profile_ok(PROFILE, "access-1"), at=NOW + 2)
    assert json.loads(tab.effect(s.STORE_PROFILE)) == {"at": NOW + 2, "profile": PROFILE}


def test_no_cache_is_written_by_default() -> None:
    tab = Tab()
    tab.load(stored())
    tab.send(s.profile_ok(PROFILE, "access-1"))
    assert s.STORE_PROFILE not in tab.names()


def test_a_fresh_cache_shows_the_profile_without_asking_the_tenant() -> None:
    tab = Tab({"profileCacheSeconds": 30}, now=NOW + 29)
    tab.load(with_cache(NOW))
    assert tab.state.phase == s.LOGGED_IN
    assert tab.names() == [s.SHOW_LOGGED_IN, s.SET_TIMER]
    assert tab.effect(s.SHOW_LOGGED_IN)["name"] == "Ada Lovelace"


@pytest.mark.parametrize(
    "label, config, values, now",
    [
        ("too old", {"profileCacheSeconds": 30}, with_cache(NOW), NOW + 30),
        ("cache off", {}, with_cache(NOW), NOW + 1),
        ("from the future", {"profileCacheSeconds": 30}, with_cache(NOW + 5), NOW),
        (
            "another user",
            {"profileCacheSeconds": 30},
            with_cache(NOW, {**PROFILE, "sub": "auth0|eve"}),
            NOW + 1,
        ),
        ("garbage", {"profileCacheSeconds": 30}, {**stored(), "profile_cache": "{"}, NOW),
        (
            "not an object",
            {"profileCacheSeconds": 30},
            {**stored(), "profile_cache": "[1]"},
            NOW,
        ),
        ("bad setting", {"profileCacheSeconds": "soon"}, with_cache(NOW), NOW + 1),
    ],
)
def test_an_unusable_cache_means_asking_the_tenant(
    label: str, config: dict[str, Any], values: dict[str, Any], now: float
) -> None:
    tab = Tab(config, now=now)
    tab.load(values)
    assert tab.state.phase == s.CHECKING, label
    assert tab.effect(s.CALL_GET_PROFILE) == "access-1"


def test_an_expired_session_is_removed_even_with_a_fresh_cache() -> None:
    tab = Tab({"profileCacheSeconds": 30}, now=NOW + 7200)
    tab.load(with_cache(NOW + 7190))
    assert tab.state.phase == s.LOGGED_OUT
    # (The timer that waited for Lock to read the URL is cancelled with the decision.)
    assert tab.names() == [s.CLEAR_STORAGE, s.SHOW_LOGGED_OUT, s.CANCEL_TIMER]


def test_an_old_cache_is_what_shows_while_unverified() -> None:
    tab = Tab({"profileCacheSeconds": 30}, now=NOW + 3000)
    tab.load(with_cache(NOW, {**PROFILE, "picture": "http://p/a.svg", "extra": 1}))
    tab.send(s.profile_failed(s.NETWORK, "", "access-1"))
    profile = tab.effect(s.SHOW_UNVERIFIED)[0]
    assert profile["name"] == "Ada Lovelace"
    assert "extra" not in profile


def test_settings_are_read_from_the_config() -> None:
    state = s.initial_state({"profileCacheSeconds": "45", "renewBeforeSeconds": 120})
    assert (state.cache_seconds, state.renew_before) == (45, 120)
    state = s.initial_state({"profileCacheSeconds": -3, "renewBeforeSeconds": None})
    assert (state.cache_seconds, state.renew_before) == (0, s.DEFAULT_RENEW_BEFORE_SECONDS)


def test_a_userinfo_that_never_answers_counts_as_unreachable_after_the_timeout() -> None:
    tab = Tab()
    tab.load(stored(token=TOKEN))
    assert tab.state.phase == s.CHECKING
    assert tab.effect(s.SET_TIMER) == s.PROFILE_TIMEOUT_SECONDS
    tab.send(s.timer_fired(), at=NOW + s.PROFILE_TIMEOUT_SECONDS)
    assert tab.state.phase == s.UNVERIFIED
    assert s.CLEAR_STORAGE not in tab.names()
    _profile, notice = tab.effect(s.SHOW_UNVERIFIED)
    assert "cannot be reached" in notice and "Retrying in 2 seconds" in notice
    assert tab.effect(s.SET_TIMER) == 2
    # The retry asks again, and waits no longer than the timeout again.
    tab.send(s.timer_fired(), at=NOW + s.PROFILE_TIMEOUT_SECONDS + 2)
    assert tab.state.phase == s.CHECKING
    assert tab.effect(s.CALL_GET_PROFILE) == "access-1"
    assert tab.effect(s.SET_TIMER) == s.PROFILE_TIMEOUT_SECONDS


def test_a_late_userinfo_answer_for_the_same_token_is_still_taken() -> None:
    tab = Tab()
    tab.load(stored(token=TOKEN))
    tab.send(s.timer_fired(), at=NOW + s.PROFILE_TIMEOUT_SECONDS)
    assert tab.send(s.profile_failed(s.NETWORK, "late", "access-1"), at=NOW + 16) == []
    tab.send(s.profile_ok(PROFILE, "access-1"), at=NOW + 16)
    assert tab.state.phase == s.LOGGED_IN
    assert tab.names()[:2] == [s.SHOW_NOTICE, s.SHOW_LOGGED_IN]
    assert tab.effects[0] == (s.SHOW_NOTICE, "")
    # ... but not one for another token.
    tab = Tab()
    tab.load(stored(token=TOKEN))
    tab.send(s.timer_fired(), at=NOW + s.PROFILE_TIMEOUT_SECONDS)
    assert tab.send(s.profile_ok(PROFILE, "access-0"), at=NOW + 16) == []
    assert tab.state.phase == s.UNVERIFIED


def test_the_profile_timeout_never_outlasts_the_session() -> None:
    tab = Tab()
    tab.load(stored(token=TOKEN, expires_at=str(NOW + 5)))
    assert tab.effect(s.SET_TIMER) == 5
    tab.send(s.timer_fired(), at=NOW + 5)
    assert tab.state.phase == s.LOGGED_OUT
    assert tab.effect(s.SHOW_LOGGED_OUT) == s.NOTICES[s.EXPIRED]
