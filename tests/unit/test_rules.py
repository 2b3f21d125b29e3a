"""The session rules: (state, event, now) -> (state, effects), with a fake clock."""

from __future__ import annotations

from typing import Any

import pytest
import session as s
from unit_support import NOW, id_token, make_jwt, stored

TIMER_EFFECTS = (s.SET_TIMER, s.CANCEL_TIMER)


def run(events: list[tuple[str, Any]], now: float = NOW, config: dict[str, Any] | None = None):
    """Feed `events` from the initial state; returns the last state and every effect but the
    timer's (test_rules_timing.py is about those)."""
    state = s.initial_state(config or {}, home_url="http://app.test/")
    effects: list[tuple[str, Any]] = []
    for event in events:
        state, more = s.step(state, event, now)
        effects.extend(e for e in more if e[0] not in TIMER_EFFECTS)
    return state, effects


def names(effects: list[tuple[str, Any]]) -> list[str]:
    return [name for name, _ in effects]


PROFILE = {"sub": "auth0|ada", "name": "Ada Lovelace", "email": "ada@example.com"}
AUTH_RESULT = {"id_token": id_token(), "access_token": "access-2", "expires_in": 7200}


# --- first visit and stored sessions --------------------------------------------------------


def test_first_visit_is_logged_out_without_notice_or_network() -> None:
    state, effects = run([s.page_loaded(stored(token="", access=None, expires_at=None))])
    assert state.phase == s.LOADING
    assert effects == []
    state, effects = run(
        [s.page_loaded({"id_token": None, "access_token": None}), s.hash_parsed(False)]
    )
    assert state.phase == s.LOGGED_OUT
    assert effects == [(s.SHOW_LOGGED_OUT, "")]


def test_nothing_is_decided_before_lock_has_parsed_the_hash() -> None:
    state, effects = run([s.page_loaded(stored())])
    assert state.phase == s.LOADING
    assert effects == []


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ("", False),
        ("#", False),
        ("#section-2", False),
        ("#tab=profile&x=1", False),
        ("#access_token=a&state=s", True),
        ("#state=s&id_token=t", True),
        ("#error=login_required&state=s", True),
        ("access_token=a", True),
        ("#access_token", True),
        (None, False),
    ],
)
def test_a_login_response_in_the_url_is_recognised(fragment: Any, expected: bool) -> None:
    assert s.login_response_in(fragment) is expected


def test_without_a_login_in_the_url_the_session_is_decided_at_once() -> None:
    state, effects = run([s.page_loaded(stored(), login_in_url=False)])
    assert state.phase == s.CHECKING
    assert effects == [(s.CALL_GET_PROFILE, "access-1")]
    state, effects = run([s.page_loaded({}, login_in_url=False)])
    assert (state.phase, effects) == (s.LOGGED_OUT, [(s.SHOW_LOGGED_OUT, "")])
    # Lock's own "nothing in the hash" comes later and changes nothing.
    again, more = s.step(state, s.hash_parsed(False), NOW)
    assert (again, more) == (state, [])


def test_with_a_login_in_the_url_the_stored_session_waits_for_lock() -> None:
    state, effects = run([s.page_loaded(stored(), login_in_url=True)])
    assert (state.phase, effects) == (s.LOADING, [])
    state, effects = run([s.page_loaded(stored(), True), s.hash_parsed(True)])
    assert (state.phase, effects) == (s.AUTHENTICATING, [])


def test_valid_stored_session_is_checked_with_the_access_token() -> None:
    state, effects = run([s.page_loaded(stored()), s.hash_parsed(False)])
    assert state.phase == s.CHECKING
    assert effects == [(s.CALL_GET_PROFILE, "access-1")]
    assert state.session == s.Session(id_token(), "access-1", NOW + 7200)


def test_accepted_profile_shows_logged_in() -> None:
    state, effects = run(
        [s.page_loaded(stored()), s.hash_parsed(False), s.profile_ok(PROFILE, "access-1")]
    )
    assert state.phase == s.LOGGED_IN
    assert state.profile == PROFILE
    assert effects[-1] == (s.SHOW_LOGGED_IN, PROFILE)
    assert s.CLEAR_STORAGE not in names(effects)


@pytest.mark.parametrize("kind", [s.UNAUTHORIZED, s.INVALID, "surprise"])
def test_rejected_stored_session_is_removed_with_a_notice(kind: str) -> None:
    state, effects = run(
        [
            s.page_loaded(stored()),
            s.hash_parsed(False),
            s.profile_failed(kind, "boom", "access-1"),
        ]
    )
    assert state.phase == s.LOGGED_OUT
    assert state.session is None
    assert effects[1:] == [
        (s.CLEAR_STORAGE, None),
        (s.SHOW_LOGGED_OUT, s.NOTICES.get(kind, s.NOTICES[s.INVALID])),
    ]
    assert effects[-1][1]  # never an empty notice


@pytest.mark.parametrize(
    "label, values, notice",
    [
        ("garbage id_token", stored(token="not-a-jwt"), s.UNREADABLE),
        ("id_token without exp", stored(token=make_jwt({"sub": "x"})), s.UNREADABLE),
        ("id_token of a list", stored(token=make_jwt([1, 2])), s.UNREADABLE),
        ("no access token (tutorial-era)", stored(access=None), s.UNREADABLE),
        ("garbage expiry", stored(expires_at="tomorrow"), s.UNREADABLE),
        ("no expiry", stored(expires_at=None), s.UNREADABLE),
        ("only an access token", {"access_token": "a"}, s.UNREADABLE),
        ("id_token expired", stored(token=id_token(exp=NOW - 1)), s.EXPIRED),
        ("id_token expires right now", stored(token=id_token(exp=NOW)), s.EXPIRED),
        ("access token expired", stored(expires_at=str(NOW - 10)), s.EXPIRED),
    ],
)
def test_unusable_stored_session_is_cleared_without_any_network_call(
    label: str, values: dict[str, Any], notice: str
) -> None:
    state, effects = run([s.page_loaded(values), s.hash_parsed(False)])
    assert state.phase == s.LOGGED_OUT, label
    assert effects == [(s.CLEAR_STORAGE, None), (s.SHOW_LOGGED_OUT, s.NOTICES[notice])], label
    assert s.CALL_GET_PROFILE not in names(effects)


def test_expiry_follows_the_injected_clock() -> None:
    values = stored(token=id_token(exp=NOW + 100), expires_at=str(NOW + 200))
    _, effects = run([s.page_loaded(values), s.hash_parsed(False)], now=NOW + 99)
    assert names(effects) == [s.CALL_GET_PROFILE]
    _, effects = run([s.page_loaded(values), s.hash_parsed(False)], now=NOW + 100)
    assert names(effects) == [s.CLEAR_STORAGE, s.SHOW_LOGGED_OUT]


def test_profile_of_another_subject_is_treated_as_tampering() -> None:
    state, effects = run(
        [
            s.page_loaded(stored(token=id_token(sub="auth0|eve"))),
            s.hash_parsed(False),
            s.profile_ok(PROFILE, "access-1"),
        ]
    )
    assert state.phase == s.LOGGED_OUT
    assert effects[1:] == [(s.CLEAR_STORAGE, None), (s.SHOW_LOGGED_OUT, s.NOTICES[s.INVALID])]


def test_profile_without_sub_is_accepted() -> None:
    state, _ = run(
        [s.page_loaded(stored()), s.hash_parsed(False), s.profile_ok({"name": "Ada"}, "access-1")]
    )
    assert state.phase == s.LOGGED_IN


# --- login ------------------------------------------------------------------------------------


def test_login_button_opens_lock_and_clears_the_notice() -> None:
    state, effects = run([s.page_loaded({}), s.hash_parsed(False), s.login_clicked()])
    assert effects[-2:] == [(s.SHOW_NOTICE, ""), (s.OPEN_LOCK, None)]
    assert state.phase == s.LOGGED_OUT


def test_return_from_login_waits_for_authenticated_instead_of_showing_logged_out() -> None:
    state, effects = run([s.page_loaded({}), s.hash_parsed(True)])
    assert state.phase == s.AUTHENTICATING
    assert effects == []


def test_authenticated_stores_the_tokens_and_fetches_the_profile() -> None:
    state, effects = run([s.page_loaded({}), s.hash_parsed(True), s.authenticated(AUTH_RESULT)])
    session = s.Session(AUTH_RESULT["id_token"], "access-2", NOW + 7200)
    assert effects == [(s.STORE, session), (s.CALL_GET_PROFILE, "access-2")]
    assert state.phase == s.CHECKING
    assert session.to_stored() == {
        "id_token": AUTH_RESULT["id_token"],
        "access_token": "access-2",
        "expires_at": str(NOW + 7200),
    }
    state, effects = s.step(state, s.profile_ok(PROFILE, "access-2"), NOW + 1)
    assert state.phase == s.LOGGED_IN
    assert effects[0] == (s.SHOW_LOGGED_IN, PROFILE)
    assert names(effects[1:]) == [s.SET_TIMER]  # the renewal


def test_authenticated_replaces_an_older_stored_session() -> None:
    _, effects = run([s.page_loaded(stored()), s.hash_parsed(True), s.authenticated(AUTH_RESULT)])
    assert names(effects) == [s.STORE, s.CALL_GET_PROFILE]
    assert effects[1] == (s.CALL_GET_PROFILE, "access-2")


def test_expiry_is_computed_from_expires_in_with_the_clock_not_from_js() -> None:
    result = dict(AUTH_RESULT, expires_in=60)
    state, _ = run([s.authenticated(result)], now=NOW + 0.75)
    assert state.session.expires_at == NOW + 60


def test_expiry_counts_from_when_the_tokens_were_issued_not_when_the_page_read_them() -> None:
    result = dict(AUTH_RESULT, id_token=id_token(iat=NOW - 12), expires_in=60)
    state, _ = run([s.authenticated(result)], now=NOW)
    assert state.session.expires_at == NOW - 12 + 60


def test_a_browser_clock_behind_the_tenant_counts_expiry_from_its_own_now() -> None:
    result = dict(AUTH_RESULT, id_token=id_token(iat=NOW + 300), expires_in=60)
    state, _ = run([s.authenticated(result)], now=NOW)
    assert state.session.expires_at == NOW + 60


def test_expiry_falls_back_to_the_id_token_exp_when_expires_in_is_missing() -> None:
    result = dict(AUTH_RESULT, expires_in=None)
    state, _ = run([s.authenticated(result)])
    assert state.session.expires_at == NOW + 3600


@pytest.mark.parametrize("missing", ["id_token", "access_token"])
def test_authenticated_without_a_token_logs_out_with_a_notice(missing: str) -> None:
    result = dict(AUTH_RESULT, **{missing: None})
    state, effects = run([s.hash_parsed(True), s.authenticated(result)])
    assert state.phase == s.LOGGED_OUT
    assert effects == [(s.CLEAR_STORAGE, None), (s.SHOW_LOGGED_OUT, s.NOTICES[s.INVALID])]


def test_failed_login_in_the_url_shows_the_error_and_falls_back_to_storage() -> None:
    state, effects = run(
        [s.page_loaded({}), s.hash_parsed(True), s.authorization_error("state mismatch")]
    )
    assert state.phase == s.LOGGED_OUT
    assert effects == [(s.SHOW_NOTICE, "state mismatch"), (s.SHOW_LOGGED_OUT, "")]
    state, effects = run([s.page_loaded(stored()), s.hash_parsed(True), s.authorization_error("")])
    assert state.phase == s.CHECKING
    assert effects == [(s.SHOW_NOTICE, "Login failed."), (s.CALL_GET_PROFILE, "access-1")]


def test_lock_errors_outside_a_login_only_show_a_notice() -> None:
    before, _ = run([s.page_loaded(stored()), s.hash_parsed(False)])
    for event in (s.authorization_error("denied"), s.unrecoverable_error("no client")):
        after, effects = s.step(before, event, NOW)
        assert after.phase == s.CHECKING
        assert effects == [(s.SHOW_NOTICE, event[1])]


# --- stale and out-of-order answers ---------------------------------------------------------


def test_answers_for_another_access_token_are_ignored() -> None:
    state, _ = run([s.page_loaded(stored()), s.hash_parsed(False)])
    for event in (s.profile_ok(PROFILE, "old-token"), s.profile_failed(s.UNAUTHORIZED, "", "old")):
        after, effects = s.step(state, event, NOW)
        assert (after.phase, effects) == (s.CHECKING, [])


def test_profile_answers_when_nothing_is_being_checked_are_ignored() -> None:
    state, _ = run([s.page_loaded({}), s.hash_parsed(False)])
    for event in (s.profile_ok(PROFILE), s.profile_failed(s.UNAUTHORIZED)):
        assert s.step(state, event, NOW) == (state, [])


def test_a_second_hash_parsed_changes_nothing() -> None:
    state, _ = run([s.page_loaded(stored()), s.hash_parsed(False)])
    assert s.step(state, s.hash_parsed(False), NOW) == (state, [])


def test_unknown_events_change_nothing() -> None:
    state = s.initial_state({})
    assert s.step(state, ("tea_time", None), NOW) == (state, [])


# --- logout -----------------------------------------------------------------------------------


def logged_in(config: dict[str, Any] | None = None) -> s.State:
    state, _ = run(
        [s.page_loaded(stored()), s.hash_parsed(False), s.profile_ok(PROFILE, "access-1")],
        config=config,
    )
    assert state.phase == s.LOGGED_IN
    return state


def test_logout_clears_storage_shows_logged_out_and_goes_home() -> None:
    state, effects = s.step(logged_in(), s.logout_clicked(), NOW)
    assert effects == [
        (s.CLEAR_STORAGE, None),
        (s.SHOW_NOTICE, ""),
        (s.SHOW_LOGGED_OUT, ""),
        (s.REDIRECT, "http://app.test/"),
        (s.CANCEL_TIMER, None),
    ]
    assert (state.phase, state.session, state.profile) == (s.LOGGED_OUT, None, None)


def test_federated_logout_also_ends_the_tenant_session() -> None:
    _, effects = s.step(logged_in({"logout": "federated"}), s.logout_clicked(), NOW)
    assert effects == [
        (s.CLEAR_STORAGE, None),
        (s.SHOW_NOTICE, ""),
        (s.SHOW_LOGGED_OUT, ""),
        (s.LOCK_LOGOUT, "http://app.test/"),
        (s.CANCEL_TIMER, None),
    ]


@pytest.mark.parametrize("mode", [None, "", "local", "something-else"])
def test_any_logout_mode_but_federated_is_local(mode: str | None) -> None:
    _, effects = s.step(logged_in({"logout": mode}), s.logout_clicked(), NOW)
    assert names(effects) == [
        s.CLEAR_STORAGE,
        s.SHOW_NOTICE,
        s.SHOW_LOGGED_OUT,
        s.REDIRECT,
        s.CANCEL_TIMER,
    ]


def test_state_is_not_mutated_by_step() -> None:
    state = logged_in()
    s.step(state, s.logout_clicked(), NOW)
    assert state.phase == s.LOGGED_IN
    assert state.session is not None


def test_a_login_in_the_url_that_lock_never_reads_is_given_up_on() -> None:
    """auth0-js verifies the login with the tenant's keys, without a timeout of its own: past
    LOGIN_RESPONSE_TIMEOUT_SECONDS the page decides from storage, and says why."""
    state, effects = s.step(s.initial_state({}), s.page_loaded(stored(), True), NOW)
    deadline = NOW + s.LOGIN_RESPONSE_TIMEOUT_SECONDS
    assert effects == [(s.SET_TIMER, s.LOGIN_RESPONSE_TIMEOUT_SECONDS)]
    state, effects = s.step(state, s.hash_parsed(True), NOW + 1)  # a login is in the URL
    assert state.phase == s.AUTHENTICATING and effects == []
    state, effects = s.step(state, s.timer_fired(), deadline)
    assert effects[-2] == (s.SHOW_NOTICE, s.LOGIN_UNANSWERED)  # then the /userinfo timer
    assert state.phase == s.CHECKING  # the stored session is checked as on any load
    assert (s.CALL_GET_PROFILE, "access-1") in effects
    # Lock reads the login after all: the user is logged in, and the notice goes.
    token = make_jwt({"sub": "auth0|ada", "exp": NOW + 7200})
    result = {"id_token": token, "access_token": "access-2", "expires_in": 7200}
    state, effects = s.step(state, s.authenticated(result), deadline + 1)
    assert effects[0] == (s.SHOW_NOTICE, "")
    assert (s.CALL_GET_PROFILE, "access-2") in effects


def test_a_login_that_lock_never_reads_leaves_a_visitor_without_a_session_logged_out() -> None:
    state, _ = s.step(s.initial_state({}), s.page_loaded({}, True), NOW)
    deadline = NOW + s.LOGIN_RESPONSE_TIMEOUT_SECONDS
    state, effects = s.step(state, s.timer_fired(), deadline)
    assert state.phase == s.LOGGED_OUT
    assert effects == [(s.SHOW_LOGGED_OUT, ""), (s.SHOW_NOTICE, s.LOGIN_UNANSWERED)]


def test_a_login_given_up_on_says_so_even_over_an_expired_stored_session() -> None:
    expired = stored(expires_at=str(NOW - 10))
    state, _ = s.step(s.initial_state({}), s.page_loaded(expired, True), NOW)
    state, effects = s.step(state, s.timer_fired(), NOW + s.LOGIN_RESPONSE_TIMEOUT_SECONDS)
    assert state.phase == s.LOGGED_OUT
    assert effects[-1] == (s.SHOW_NOTICE, s.LOGIN_UNANSWERED)
