"""Another tab changed the stored session: `other_tab(stored)` in every phase."""

from __future__ import annotations

import json

import pytest
import session as s
from test_rules_offline import PROFILE, Tab
from test_rules_renewal import ENDS, logged_in
from unit_support import NOW, id_token, stored

EMPTY = dict.fromkeys((*s.KEYS, s.PROFILE_CACHE))


def test_logout_in_another_tab_logs_this_one_out_without_clearing_again() -> None:
    tab = logged_in()
    tab.send(s.other_tab(EMPTY), at=NOW + 10)
    assert tab.state.phase == s.LOGGED_OUT
    assert tab.names() == [s.SHOW_LOGGED_OUT, s.CANCEL_TIMER]
    assert tab.effect(s.SHOW_LOGGED_OUT) == s.NOTICES[s.ELSEWHERE]
    assert tab.send(s.other_tab(EMPTY)) == []  # the next key's event changes nothing


@pytest.mark.parametrize("phase_events", ["checking", "unverified", "renewing"])
def test_logout_elsewhere_ends_any_session_phase(phase_events: str) -> None:
    tab = Tab()
    tab.load(stored())
    if phase_events == "unverified":
        tab.send(s.profile_failed(s.NETWORK, "", "access-1"))
    if phase_events == "renewing":
        tab.send(s.profile_ok(PROFILE, "access-1"))
        tab.send(s.timer_fired(), at=ENDS - 60)
    tab.send(s.other_tab(EMPTY))
    assert tab.state.phase == s.LOGGED_OUT
    assert tab.state.due is None


def test_login_in_another_tab_shows_the_profile_here() -> None:
    tab = Tab()
    tab.load({})
    assert tab.state.phase == s.LOGGED_OUT
    tab.send(s.other_tab(stored(access="access-2")), at=NOW + 5)
    assert tab.state.phase == s.CHECKING
    assert tab.effect(s.CALL_GET_PROFILE) == "access-2"
    tab.send(s.profile_ok(PROFILE, "access-2"))
    assert tab.state.phase == s.LOGGED_IN
    assert tab.effect(s.SHOW_LOGGED_IN) == PROFILE


def test_login_elsewhere_uses_that_tabs_fresh_cache() -> None:
    tab = Tab({"profileCacheSeconds": 30})
    tab.load({})
    cache = json.dumps({"at": NOW, "profile": PROFILE})
    tab.send(s.other_tab({**stored(), "profile_cache": cache}), at=NOW + 1)
    assert tab.state.phase == s.LOGGED_IN
    assert s.CALL_GET_PROFILE not in tab.names()


@pytest.mark.parametrize(
    "values",
    [stored(token="garbage"), stored(token=id_token(exp=NOW - 1)), EMPTY],
    ids=["unreadable", "expired", "empty"],
)
def test_a_logged_out_tab_ignores_what_it_cannot_use(values: dict[str, str | None]) -> None:
    tab = Tab()
    tab.load({})
    assert tab.send(s.other_tab(values)) == []
    assert tab.state.phase == s.LOGGED_OUT


def test_renewal_in_another_tab_is_adopted_without_network() -> None:
    tab = logged_in()
    renewed = stored(token=id_token(exp=NOW + 4000), access="access-2")
    tab.send(s.other_tab(renewed), at=NOW + 400)
    assert tab.state.phase == s.LOGGED_IN
    assert tab.state.session.access_token == "access-2"
    assert tab.names() == [s.SET_TIMER]
    assert tab.state.due == NOW + 4000 - 60


def test_renewal_elsewhere_while_renewing_here_drops_this_tabs_answer() -> None:
    tab = logged_in()
    tab.send(s.timer_fired(), at=ENDS - 60)
    renewed = stored(token=id_token(exp=ENDS + 3000), access="access-2")
    tab.send(s.other_tab(renewed), at=ENDS - 59)
    assert tab.state.phase == s.LOGGED_IN
    assert tab.send(s.renewal_failed("timeout", "", "access-1")) == []


def test_an_unchanged_session_is_ignored() -> None:
    tab = logged_in()
    before = tab.state
    assert tab.send(s.other_tab({**stored(), "profile_cache": "x"})) == []
    assert tab.state == before


def test_another_user_logging_in_elsewhere_is_checked_here() -> None:
    tab = logged_in()
    other = stored(token=id_token(sub="auth0|bob"), access="access-bob")
    tab.send(s.other_tab(other))
    assert tab.state.phase == s.CHECKING
    assert tab.effect(s.CALL_GET_PROFILE) == "access-bob"


def test_an_unverified_tab_checks_again_with_the_other_tabs_tokens() -> None:
    tab = Tab()
    tab.load(stored())
    tab.send(s.profile_failed(s.NETWORK, "", "access-1"))
    tab.send(s.other_tab(stored(access="access-2")), at=NOW + 1)
    assert tab.state.phase == s.CHECKING
    assert tab.names()[:2] == [s.SHOW_NOTICE, s.CALL_GET_PROFILE]  # the old notice goes


@pytest.mark.parametrize(
    "values, notice",
    [
        (stored(token="garbage"), s.UNREADABLE),
        (stored(token=id_token(exp=NOW)), s.EXPIRED),
    ],
)
def test_a_broken_session_written_elsewhere_is_removed(
    values: dict[str, str | None], notice: str
) -> None:
    tab = logged_in()
    tab.send(s.other_tab(values))
    assert tab.state.phase == s.LOGGED_OUT
    assert tab.names()[:2] == [s.CLEAR_STORAGE, s.SHOW_LOGGED_OUT]
    assert tab.effect(s.SHOW_LOGGED_OUT) == s.NOTICES[notice]


def test_a_half_written_change_is_left_for_the_next_event() -> None:
    tab = logged_in()
    before = tab.state
    half = {**stored(), "id_token": None}
    assert tab.send(s.other_tab(half)) == []
    assert tab.state == before


def test_before_the_decision_the_newest_stored_value_counts() -> None:
    tab = Tab()
    tab.send(s.page_loaded({}))
    tab.send(s.other_tab(stored()))
    assert tab.effects == []
    tab.send(s.hash_parsed(False))
    assert tab.effect(s.CALL_GET_PROFILE) == "access-1"


def test_logging_in_again_elsewhere_clears_the_logged_out_elsewhere_notice() -> None:
    tab = logged_in()
    tab.send(s.other_tab(EMPTY), at=NOW + 10)
    assert tab.effect(s.SHOW_LOGGED_OUT) == s.NOTICES[s.ELSEWHERE]
    tab.send(s.other_tab(stored(access="access-2")), at=NOW + 20)
    assert tab.state.phase == s.CHECKING
    assert tab.effects[0] == (s.SHOW_NOTICE, "")
    tab.send(s.profile_ok(PROFILE, "access-2"))
    assert tab.state.phase == s.LOGGED_IN


def test_another_user_logging_in_elsewhere_hides_the_previous_users_card() -> None:
    tab = logged_in()
    other = stored(token=id_token(sub="auth0|bob"), access="access-bob")
    tab.send(s.other_tab(other), at=NOW + 5)
    assert tab.effect(s.SHOW_LOADING) == s.CHECKING_ANOTHER_USER
    assert tab.names().index(s.SHOW_LOADING) < tab.names().index(s.CALL_GET_PROFILE)
    bob = {"sub": "auth0|bob", "name": "Bob"}
    tab.send(s.profile_ok(bob, "access-bob"))
    assert tab.state.phase == s.LOGGED_IN
    assert tab.effect(s.SHOW_LOGGED_IN) == bob
    # The same user with new tokens while checking is not hidden.
    tab = Tab()
    tab.load(stored())
    tab.send(s.profile_failed(s.NETWORK, "", "access-1"))
    tab.send(s.other_tab(stored(access="access-2")), at=NOW + 1)
    assert s.SHOW_LOADING not in tab.names()
