import base64
import os

import pytest
from session import b64url_decode, jwt_payload, token_expiry
from unit_support import NOW, b64url, id_token, make_jwt


def test_payload_of_a_well_formed_token() -> None:
    assert jwt_payload(id_token(exp=NOW + 5, name="Ada")) == {
        "sub": "auth0|ada",
        "exp": NOW + 5,
        "iat": NOW,
        "name": "Ada",
    }


def test_payload_with_every_base64_padding_length_and_url_alphabet() -> None:
    for name in ("a", "ab", "abc", "abcd", "é?>~ü"):
        assert jwt_payload(make_jwt({"name": name}))["name"] == name


def test_b64url_decode_matches_the_standard_library() -> None:
    for size in range(0, 70):
        data = os.urandom(size)
        padded = base64.urlsafe_b64encode(data).decode()
        assert b64url_decode(padded) == data, padded
        assert b64url_decode(padded.rstrip("=")) == data, padded
        standard = base64.b64encode(data).decode().rstrip("=")
        assert b64url_decode(standard) == data, standard


@pytest.mark.parametrize("text", ["a", "abcde", "ab.d", "ab d", "abc\n", "ab*c", "é"])
def test_b64url_decode_refuses_what_is_not_base64(text: str) -> None:
    with pytest.raises((KeyError, ValueError)):
        b64url_decode(text)


def test_payload_of_each_token_is_its_own() -> None:
    # Decoded payloads are remembered per token: a different token is decoded anew.
    ada, bob = id_token(name="Ada"), id_token(name="Bob")
    assert jwt_payload(ada)["name"] == "Ada"
    assert jwt_payload(bob)["name"] == "Bob"
    assert jwt_payload(ada)["name"] == "Ada"
    assert jwt_payload("x.!!!.y") is None
    assert jwt_payload(ada)["name"] == "Ada"


def test_unicode_claims_survive() -> None:
    assert jwt_payload(make_jwt({"name": "Añda Łovelace 🧮"}))["name"] == "Añda Łovelace 🧮"


def test_garbage_gives_none_and_never_raises() -> None:
    cases = [
        None,
        42,
        b"a.b.c",
        "",
        "garbage",
        "a.b",
        "a.b.c.d",
        "..",
        "x.!!!.y",
        "x." + b64url(b"not json") + ".y",
        "x." + b64url(b"[1, 2]") + ".y",
        "x." + b64url(b'"text"') + ".y",
        "x." + b64url(b"\xff\xfe\xfd") + ".y",
        "x.eyJleHAiOjE.y",  # truncated JSON
    ]
    for token in cases:
        assert jwt_payload(token) is None, token
        assert token_expiry(token) is None, token


def test_expiry_reads_exp_as_int() -> None:
    assert token_expiry(id_token(exp=NOW + 60)) == NOW + 60
    assert token_expiry(make_jwt({"exp": 1.8e9 + 0.5})) == 1_800_000_000
    assert token_expiry(make_jwt({"exp": str(NOW)})) == NOW


def test_expiry_rejects_missing_or_odd_exp() -> None:
    for exp in [None, True, "soon", [1], {"at": 1}]:
        assert token_expiry(make_jwt({"exp": exp})) is None, exp
    assert token_expiry(make_jwt({"sub": "x"})) is None
    assert token_expiry(make_jwt(b'{"exp": NaN}')) is None
    assert token_expiry(make_jwt(b'{"exp": 1e999}')) is None


def test_tampered_payload_is_still_readable_but_not_trusted() -> None:
    # Decoding never verifies: a token with a forged payload reads fine; it is the tenant's
    # /userinfo answer (and the subject check in the rules) that rejects it.
    honest = id_token()
    head, _, sig = honest.split(".")
    forged = ".".join([head, b64url(b'{"sub": "auth0|eve", "exp": 9999999999}'), sig])
    assert jwt_payload(forged)["sub"] == "auth0|eve"
