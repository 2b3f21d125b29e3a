"""Issuing and checking tokens: RS256 via PyJWT, the JWKS, discovery, and `POST /oauth/token`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import TYPE_CHECKING, Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .errors import BadInput, oauth_error, read_json, text_field
from .store import Store, User, iso_time

if TYPE_CHECKING:
    from .tenant import Tenant

SUPPORTED_SCOPES = ("openid", "profile", "email")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class Signer:
    """The tenant's RSA key: signs tokens, publishes the JWKS, verifies its own tokens."""

    def __init__(self, private_key: rsa.RSAPrivateKey) -> None:
        self._private = private_key
        public_jwk = json.loads(RSAAlgorithm.to_jwk(private_key.public_key()))
        # RFC 7638 thumbprint as the key id.
        canonical = json.dumps(
            {"e": public_jwk["e"], "kty": "RSA", "n": public_jwk["n"]},
            separators=(",", ":"),
            sort_keys=True,
        )
        self.kid = b64url(hashlib.sha256(canonical.encode("ascii")).digest())
        self._jwk = {
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": public_jwk["n"],
            "e": public_jwk["e"],
        }

    @classmethod
    def load_or_create(cls, store: Store, now: float) -> Signer:
        saved = store.signing_key()
        if saved is not None:
            key = serialization.load_pem_private_key(saved[1].encode("ascii"), password=None)
            if isinstance(key, rsa.RSAPrivateKey):
                return cls(key)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        signer = cls(key)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")
        store.save_signing_key(signer.kid, pem, now)
        return signer

    def jwks(self) -> dict[str, Any]:
        return {"keys": [dict(self._jwk)]}

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(
            claims, self._private, algorithm="RS256", headers={"kid": self.kid, "typ": "JWT"}
        )

    def verify(self, token: str, *, audience: str, issuer: str, now: float) -> dict[str, Any]:
        """The claims of one of our own tokens; `jwt.InvalidTokenError` if not valid at `now`."""
        claims: dict[str, Any] = jwt.decode(
            token,
            self._private.public_key(),
            algorithms=["RS256"],
            audience=audience,
            issuer=issuer,
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
        )
        exp = claims.get("exp")
        if not isinstance(exp, int) or exp <= now:
            raise jwt.ExpiredSignatureError("Signature has expired")
        return claims


def at_hash(access_token: str) -> str:
    """OIDC `at_hash` for RS256: left half of SHA-256 of the token, base64url."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return b64url(digest[: len(digest) // 2])


def granted_scope(requested: str) -> str:
    """The requested scopes this tenant knows, in a stable order (always with `openid`)."""
    asked = set(requested.split())
    return " ".join(s for s in SUPPORTED_SCOPES if s in asked)


def picture_url(tenant: Tenant, user: User) -> str:
    if user.picture:
        return user.picture
    # ASCII letters only, as the avatar route takes: "Émile Zola" is drawn as "Z".
    letters = "".join(part[0] for part in user.name.split()[:2] if _ascii_letter(part[:1]))
    if not letters:
        letters = next((c for c in user.email if _ascii_letter(c)), "U")
    return f"{tenant.config.issuer}avatars/{letters.upper()}.svg"


def _ascii_letter(text: str) -> bool:
    return text.isascii() and text.isalpha()


def profile_claims(tenant: Tenant, user: User, scope: str) -> dict[str, Any]:
    """The OIDC standard claims `scope` allows (shared by the id_token and /userinfo)."""
    scopes = scope.split()
    claims: dict[str, Any] = {}
    if "profile" in scopes:
        claims.update(
            name=user.name,
            nickname=user.nickname,
            picture=picture_url(tenant, user),
            updated_at=iso_time(user.updated_at),
        )
    if "email" in scopes:
        claims.update(email=user.email, email_verified=user.email_verified)
    return claims


def issue_access_token(tenant: Tenant, user: User, client_id: str, scope: str) -> str:
    now = tenant.clock.seconds()
    return tenant.signer.sign(
        {
            "iss": tenant.config.issuer,
            "sub": user.user_id,
            "aud": [tenant.config.userinfo_audience],
            "azp": client_id,
            "scope": scope,
            "iat": now,
            "exp": now + tenant.lifetimes.access_token,
            "jti": secrets.token_urlsafe(12),
        }
    )


def issue_id_token(
    tenant: Tenant,
    user: User,
    client_id: str,
    *,
    scope: str,
    nonce: str | None,
    access_token: str | None,
    sid: str | None,
) -> str:
    now = tenant.clock.seconds()
    claims: dict[str, Any] = profile_claims(tenant, user, scope)
    claims.update(
        iss=tenant.config.issuer,
        sub=user.user_id,
        aud=client_id,
        iat=now,
        exp=now + tenant.lifetimes.id_token,
    )
    if sid:
        claims["sid"] = hashlib.sha256(sid.encode("ascii")).hexdigest()[:32]
    if nonce:
        claims["nonce"] = nonce
    if access_token:
        claims["at_hash"] = at_hash(access_token)
    return tenant.signer.sign(claims)


# --- routes ----------------------------------------------------------------------------


async def jwks(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    return JSONResponse(tenant.signer.jwks(), headers={"Cache-Control": "public, max-age=60"})


async def openid_configuration(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    issuer = tenant.config.issuer
    return JSONResponse(
        {
            "issuer": issuer,
            "authorization_endpoint": issuer + "authorize",
            "token_endpoint": issuer + "oauth/token",
            "userinfo_endpoint": issuer + "userinfo",
            "jwks_uri": issuer + ".well-known/jwks.json",
            "end_session_endpoint": issuer + "v2/logout",
            "response_types_supported": ["code", "token", "id_token", "token id_token"],
            "response_modes_supported": ["query", "fragment", "web_message"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["none"],
            "grant_types_supported": ["authorization_code"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": list(SUPPORTED_SCOPES),
            "claims_supported": [
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "nonce",
                "at_hash",
                "sid",
                "name",
                "nickname",
                "picture",
                "updated_at",
                "email",
                "email_verified",
            ],
        }
    )


def pkce_matches(verifier: str, challenge: str) -> bool:
    computed = b64url(hashlib.sha256(verifier.encode("ascii")).digest())
    return hmac.compare_digest(computed.encode("ascii"), challenge.encode("utf-8", "replace"))


async def oauth_token(request: Request) -> Response:
    """`grant_type=authorization_code` with PKCE, as auth0-spa-js sends it (form or JSON)."""
    tenant: Tenant = request.app.state.tenant
    try:
        data = await read_json(request, allow_form=True)
        grant_type = text_field(data, "grant_type", max_length=100)
        client_id = text_field(data, "client_id", max_length=200)
        if grant_type != "authorization_code":
            raise BadInput(400, "unsupported_grant_type", f"Unsupported grant type: {grant_type}")
        code = text_field(data, "code", max_length=200)
        verifier = text_field(data, "code_verifier", max_length=128)
        redirect_uri = text_field(data, "redirect_uri", max_length=2048, required=False)
    except BadInput as bad:
        return oauth_error(bad.status, bad.error, bad.description)
    if tenant.config.application(client_id) is None:
        return oauth_error(401, "invalid_client", f"Unknown client: {client_id}")
    if len(verifier) < 43 or not verifier.isascii():
        return oauth_error(400, "invalid_request", "code_verifier must be 43-128 characters")
    grant = tenant.store.take_authorization_code(code)
    if grant is None or grant.expires_at <= tenant.clock.now():
        return oauth_error(403, "invalid_grant", "Invalid authorization code")
    if grant.client_id != client_id or (grant.redirect_uri != redirect_uri):
        return oauth_error(403, "invalid_grant", "Invalid authorization code")
    if not pkce_matches(verifier, grant.code_challenge):
        return oauth_error(403, "invalid_grant", "Failed to verify code verifier")
    user = tenant.store.user_by_id(grant.user_id)
    if user is None or user.blocked:
        return oauth_error(403, "invalid_grant", "Invalid authorization code")
    access_token = issue_access_token(tenant, user, client_id, grant.scope)
    body: dict[str, Any] = {
        "access_token": access_token,
        "scope": grant.scope,
        "expires_in": tenant.lifetimes.access_token,
        "token_type": "Bearer",
    }
    if "openid" in grant.scope.split():
        body["id_token"] = issue_id_token(
            tenant,
            user,
            client_id,
            scope=grant.scope,
            nonce=grant.nonce,
            access_token=access_token,
            sid=None,
        )
    return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})
