"""Login tokens: the signed value of the `login-token` cookie.

`base64url(payload) "." base64url(HMAC-SHA256)`; the payload is `user|expiry|nonce` and the MAC
also covers a fingerprint of the user's password hash, so changing the password ends every
session of that user without any server-side token table.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Final

COOKIE_NAME: Final = "login-token"
DEFAULT_LIFETIME_S: Final = 12 * 3600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def fingerprint(password_hash: str) -> bytes:
    return hashlib.sha256(password_hash.encode("utf-8")).digest()[:16]


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: str
    expires: int


class LoginTokens:
    """Issues and checks login tokens with one secret (kept in the store's meta table)."""

    def __init__(self, secret: bytes, lifetime_s: int = DEFAULT_LIFETIME_S) -> None:
        self._secret = secret
        self.lifetime_s = lifetime_s

    def _mac(self, payload: bytes, password_hash: str) -> bytes:
        return hmac.new(
            self._secret, payload + b"\x00" + fingerprint(password_hash), hashlib.sha256
        ).digest()

    def issue(self, user_id: str, password_hash: str, now: float | None = None) -> str:
        expires = int((time.time() if now is None else now) + self.lifetime_s)
        payload = f"{user_id}|{expires}|{secrets.token_hex(8)}".encode()
        return f"{_b64(payload)}.{_b64(self._mac(payload, password_hash))}"

    @staticmethod
    def claims(token: str) -> TokenClaims | None:
        """The unverified claims of a well-formed token, or None."""
        try:
            payload_text, _ = token.split(".")
            user_id, expires, _nonce = _unb64(payload_text).decode("utf-8").split("|")
            return TokenClaims(user_id, int(expires))
        except (ValueError, UnicodeDecodeError):
            return None

    def verify(self, token: str, password_hash: str, now: float | None = None) -> bool:
        """True if the MAC matches for this password hash and the token has not expired."""
        try:
            payload_text, mac_text = token.split(".")
            payload, mac = _unb64(payload_text), _unb64(mac_text)
        except ValueError:
            return False
        claims = self.claims(token)
        if claims is None or claims.expires < (time.time() if now is None else now):
            return False
        return hmac.compare_digest(mac, self._mac(payload, password_hash))
