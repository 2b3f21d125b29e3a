"""Expiry while the page is open: the timer, silent renewal, its failures. Fake clock only."""

from __future__ import annotations

from typing import Any

import pytest
import session as s
from test_rules_offline import PROFILE, Tab
from unit_support import NOW, id_token, stored

# The default tenant: id_token 3600 s, access token 7200 s; the session ends with the first.
ENDS = NOW + 3600


def logged_in(config: dict[str, Any] | None = None, values: Any = None) -> Tab:
    tab = Tab(config)
    tab.load(values or stored())
    tab.send(s.profile_ok(PROFILE, "access-1"))
    assert tab.state.phase == s.LOGGED_IN
    return tab


def fresh_tokens(now: float, sub: str = "auth0|ada", **claims: Any) -> dict[str, Any]:
    return {
        "id_token": id_token(exp=int(now) + 3600, sub=sub, iat=int(now), **claims),
        "access_token": "access-2",
        "expires_in": 7200,
    }


def test_renewal_is_planned_ahead_of_the_end() -> None:
    tab = logged_in()
    assert tab.effect(s.SET_TIMER) == 3600 - s.DEFAULT_RENEW_BEFORE_SECONDS
    tab = logged_in({"renewBeforeSeconds": 600})
    assert tab.state.due == ENDS - 600


def test_a_short_session_is_renewed_halfway_not_at_once() -> None:
    # renewBeforeSeconds longer than what is left: renew halfway, never in a loop.
    tab = logged_in({"renewBeforeSeconds": 600}, stored(token=id_token(exp=NOW + 100)))
    assert tab.state.due == NOW + 50


def test_the_timer_renews_silently_with_check_session() -> None:
    tab = logged_in()
    tab.send(s.timer_fired(), at=ENDS - 60)
    assert tab.state.phase == s.RENEWING
    assert tab.effect(s.CALL_CHECK_SESSION) == "access-1"
    assert tab.state.due == ENDS  # a deadline while the tenant answers
    assert s.SHOW_LOGGED_OUT not in tab.names() and s.SHOW_NOTICE not in tab.names()


def test_a_renewal_stores_the_new_tokens_and_updates_the_view() -> None:
    tab = logged_in()
    tab.send(s.timer_fired(), at=ENDS - 60)
    result = fresh_tokens(ENDS - 59, name="Ada King")
    tab.send(s.renewed(result, "access-1"), at=ENDS - 59)
    new = s.Session(result["id_token"], "access-2", ENDS - 59 + 7200)
    assert tab.state.phase == s.LOGGED_IN
    assert tab.state.session == new
    assert tab.effect(s.STORE) == new
    shown = tab.effect(s.SHOW_LOGGED_IN)
    assert shown["name"] == "Ada King"  # from the renewed (verified) id_token
    assert shown["email"] == PROFILE["email"]  # kept from /userinfo
    assert tab.effect(s.SET_TIMER) == 3600 - 60  # the next renewal
    assert s.CALL_GET_PROFILE not in tab.names()


def test_login_required_on_renewal_logs_out_with_a_notice() -> None:
    tab = logged_in()
    tab.send(s.timer_fired(), at=ENDS - 60)
    tab.send(s.renewal_failed("login_required", "Login required", "access-1"))
    assert tab.state.phase == s.LOGGED_OUT
    assert tab.names() == [s.CLEAR_STORAGE, s.SHOW_LOGGED_OUT, s.CANCEL_TIMER]
    assert tab.effect(s.SHOW_LOGGED_OUT) == s.NOTICES[s.ENDED]


@pytest.mark.parametrize("error", ["consent_required", "interaction_required", "access_denied"])
def test_other_refusals_also_end_the_session(error: str) -> None:
    tab = logged_in()
    tab.send(s.timer_fired(), at=ENDS - 60)
    tab.send(s.renewal_failed(error, "", "access-1"))
    assert tab.state.phase == s.LOGGED_OUT


@pytest.mark.parametrize("error", ["timeout", "server_error", "temporarily_unavailable", "?"])
def test_a_renewal_that_cannot_reach_the_tenant_is_retried_with_back_off(error: str) -> None:
    tab = logged_in()
    tab.send(s.timer_fired(), at=ENDS - 60)
    tab.send(s.renewal_failed(error, "", "access-1"), at=ENDS - 50)
    assert tab.state.phase == s.LOGGED_IN  # the token is still good: the view stays
    assert tab.effect(s.SET_TIMER) == 2
    assert "Retrying in 2 seconds" in tab.effect(s.SHOW_NOTICE)
    assert s.CLEAR_STORAGE not in tab.names()
    tab.send(s.timer_fired(), at=ENDS - 48)
    assert tab.effect(s.CALL_CHECK_SESSION) == "access-1"
    tab.send(s.renewal_failed(error, "", "access-1"))
    assert tab.effect(s.SET_TIMER) == 4
    tab.send(s.timer_fired(), at=ENDS - 44)
    tab.send(s.renewed(fresh_tokens(ENDS - 43), "access-1"))
    assert tab.state.phase == s.LOGGED_IN
    assert tab.names()[0] == s.SHOW_NOTICE and tab.effect(s.SHOW_NOTICE) == ""


def test_a_session_never_outlives_its_token_without_a_check() -> None:
    tab = logged_in()
    now = ENDS - 60
    tab.send(s.timer_fired(), at=now)
    while tab.state.phase != s.LOGGED_OUT:
        if tab.state.phase == s.RENEWING:
            tab.send(s.renewal_failed("timeout", "", "access-1"), at=now + 1)
        assert tab.state.due is not None and tab.state.due <= ENDS
        now = tab.state.due
        tab.send(s.timer_fired(), at=now)
    assert now == ENDS
    assert tab.effect(s.SHOW_LOGGED_OUT) == s.NOTICES[s.EXPIRED]
    assert s.CLEAR_STORAGE in tab.names()


def test_a_renewal_that_never_answers_ends_at_expiry() -> None:
    tab = logged_in()
    tab.send(s.timer_fired(), at=ENDS - 60)
    tab.send(s.timer_fired(), at=ENDS)
    assert tab.state.phase == s.LOGGED_OUT
    assert tab.effect(s.SHOW_LOGGED_OUT) == s.NOTICES[s.EXPIRED]
    tab.send(s.renewed(fresh_tokens(ENDS + 1), "access-1"))  # too late
    assert tab.effects == [] and tab.state.phase == s.LOGGED_OUT


def test_a_sleeping_laptop_wakes_to_an_expired_session() -> None:
    tab = logged_in()
    tab.send(s.timer_fired(), at=ENDS + 5 * 3600)  # the renewal timer ran hours late
    assert tab.state.phase == s.LOGGED_OUT
    assert s.CALL_CHECK_SESSION not in tab.names()


def test_a_timer_that_fires_early_is_set_again_for_the_rest() -> None:
    tab = logged_in()
    tab.send(s.timer_fired(), at=ENDS - 61)
    assert tab.state.phase == s.LOGGED_IN
    assert tab.effects == [(s.SET_TIMER, 1)]


def test_a_tick_with_nothing_pending_is_ignored() -> None:
    tab = Tab()
    tab.load({})
    assert tab.send(s.timer_fired()) == []


def test_answers_for_a_replaced_session_are_ignored() -> None:
    tab = logged_in()
    tab.send(s.timer_fired(), at=ENDS - 60)
    before = tab.state
    assert tab.send(s.renewed(fresh_tokens(ENDS - 59), "access-0")) == []
    assert tab.send(s.renewal_failed("login_required", "", "access-0")) == []
    assert tab.state == before


def test_a_renewal_for_another_user_checks_the_new_profile() -> None:
    tab = logged_in()
    tab.send(s.timer_fired(), at=ENDS - 60)
    tab.send(s.renewed(fresh_tokens(ENDS - 59, sub="auth0|bob"), "access-1"))
    assert tab.state.phase == s.CHECKING
    assert tab.names()[:3] == [s.STORE, s.SHOW_LOADING, s.CALL_GET_PROFILE]
    assert tab.effect(s.SHOW_LOADING) == s.CHECKING_ANOTHER_USER
    assert tab.effect(s.CALL_GET_PROFILE) == "access-2"


def test_a_renewal_without_tokens_is_retried() -> None:
    tab = logged_in()
    tab.send(s.timer_fired(), at=ENDS - 60)
    tab.send(s.renewed({"id_token": None, "access_token": None}, "access-1"))
    assert tab.state.phase == s.LOGGED_IN and tab.state.retry_at is not None


def test_logout_cancels_the_pending_renewal() -> None:
    tab = logged_in({"logout": "federated"})
    tab.send(s.logout_clicked())
    assert tab.names() == [
        s.CLEAR_STORAGE,
        s.SHOW_NOTICE,
        s.SHOW_LOGGED_OUT,
        s.LOCK_LOGOUT,
        s.CANCEL_TIMER,
    ]
    assert tab.state.due is None
    assert tab.send(s.timer_fired()) == []


def test_renew_before_zero_still_renews_a_second_ahead_of_the_end() -> None:
    assert s.initial_state({"renewBeforeSeconds": 0}).renew_before == 1
    assert s.initial_state({"renewBeforeSeconds": -5}).renew_before == 1
    tab = logged_in({"renewBeforeSeconds": 0})
    assert tab.state.due == ENDS - 1
    tab.send(s.timer_fired(), at=ENDS - 1)
    assert tab.state.phase == s.RENEWING
    assert tab.effect(s.CALL_CHECK_SESSION) == "access-1"
