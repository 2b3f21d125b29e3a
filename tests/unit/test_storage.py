"""Storage adapters: one interface over Web Storage, Lockr and memory."""

from __future__ import annotations

from typing import Any

import pytest
import storage
from unit_support import JS_NULL, FakeLockr, FakeWebStorage, Obj, is_none, stored


def adapters() -> list[tuple[str, Any, Any]]:
    """(name, adapter, the JS-side backing store or None) for each kind."""
    web = FakeWebStorage()
    undefined_web = FakeWebStorage(missing=None)
    lockr_backing = FakeWebStorage()
    return [
        ("memory", storage.MemoryStorage(), None),
        ("web (null)", storage.WebStorage(web, is_none), web),
        ("web (undefined)", storage.WebStorage(undefined_web, is_none), undefined_web),
        ("lockr", storage.LockrStorage(FakeLockr(lockr_backing), is_none), lockr_backing),
    ]


@pytest.mark.parametrize("name, store, backing", adapters(), ids=lambda v: str(v)[:15])
def test_every_adapter_keeps_strings_and_forgets_removed_keys(
    name: str, store: Any, backing: Any
) -> None:
    assert store.get("id_token") is None
    store.set("id_token", "abc.def.ghi")
    store.set("expires_at", 1800000000)
    assert store.get("id_token") == "abc.def.ghi"
    assert store.get("expires_at") == "1800000000"
    store.remove("id_token")
    store.remove("id_token")  # removing twice is fine
    assert store.get("id_token") is None
    assert store.get("expires_at") == "1800000000"


@pytest.mark.parametrize("name, store, backing", adapters(), ids=lambda v: str(v)[:15])
def test_save_load_clear_round_trip(name: str, store: Any, backing: Any) -> None:
    values = stored()
    storage.save(store, values)
    assert storage.load(store) == {**values, "profile_cache": None}
    storage.save_profile(store, '{"at": 1, "profile": {}}')
    assert storage.load(store)["profile_cache"] == '{"at": 1, "profile": {}}'
    storage.clear(store)
    assert storage.load(store) == dict.fromkeys(storage.ALL_KEYS)
    if backing is not None:
        assert backing.items == {}


@pytest.mark.parametrize("name, store, backing", adapters(), ids=lambda v: str(v)[:15])
def test_replace_copies_another_tabs_values_exactly(name: str, store: Any, backing: Any) -> None:
    storage.save(store, stored())
    storage.save_profile(store, "cached")
    other = {**stored(token="x.y.z", access="access-2"), "profile_cache": None}
    storage.replace(store, other)
    assert storage.load(store) == other
    storage.replace(store, {})
    assert storage.load(store) == dict.fromkeys(storage.ALL_KEYS)


def test_web_storage_writes_plain_strings_under_the_contract_keys() -> None:
    web = FakeWebStorage()
    storage.save(storage.WebStorage(web, is_none), stored(token="t.t.t"))
    assert web.items == {
        "id_token": "t.t.t",
        "access_token": "access-1",
        "expires_at": "1800007200",
    }


def test_lockr_storage_uses_lockrs_own_format() -> None:
    backing = FakeWebStorage()
    storage.save(storage.LockrStorage(FakeLockr(backing), is_none), stored(token="t.t.t"))
    assert backing.items["id_token"] == '{"data": "t.t.t"}'


def test_js_null_is_not_mistaken_for_a_value() -> None:
    web = FakeWebStorage(missing=JS_NULL)
    assert storage.WebStorage(web, is_none).get("id_token") is None


def test_odd_values_written_by_others_are_read_as_unreadable_text() -> None:
    backing = FakeWebStorage()
    lockr = FakeLockr(backing)
    store = storage.LockrStorage(lockr, is_none)
    lockr.set("expires_at", 1800000000)
    lockr.set("id_token", {"nested": "object"})
    lockr.set("access_token", True)
    assert store.get("expires_at") == "1800000000"
    assert store.get("id_token") == ""
    assert store.get("access_token") is None


def test_kind_comes_from_config_with_local_storage_by_default() -> None:
    assert storage.kind_from_config({}) == "localStorage"
    assert storage.kind_from_config({"storage": None}) == "localStorage"
    for kind in storage.KINDS:
        assert storage.kind_from_config({"storage": kind}) == kind
    with pytest.raises(ValueError, match="cookies"):
        storage.kind_from_config({"storage": "cookies"})


def test_create_wraps_what_the_window_provides() -> None:
    local, session_ = FakeWebStorage(), FakeWebStorage()
    window = Obj(localStorage=local, sessionStorage=session_, Lockr=FakeLockr(local))
    for kind, backing in [("localStorage", local), ("sessionStorage", session_), ("lockr", local)]:
        store = storage.create(kind, window, is_none)
        store.set("id_token", kind)
        assert kind in backing.items["id_token"]
    assert isinstance(storage.create("memory", window), storage.MemoryStorage)
    assert local.items["id_token"] != session_.items["id_token"]


class FullWebStorage(FakeWebStorage):
    """Takes `room` more items, then throws as a full localStorage does."""

    def __init__(self, room: int) -> None:
        super().__init__()
        self.room = room

    def setItem(self, key: str, value: Any) -> None:
        if self.room == 0:
            raise RuntimeError("QuotaExceededError")
        self.room -= 1
        super().setItem(key, value)


def test_a_session_that_does_not_fit_is_not_saved_in_part() -> None:
    backing = FullWebStorage(room=1)  # the id_token fits, the access token does not
    store = storage.WebStorage(backing, is_none)
    values = {"id_token": "i", "access_token": "a", "expires_at": "1"}
    with pytest.raises(RuntimeError, match="refused to save the session"):
        storage.save(store, values)
    assert backing.items == {}
