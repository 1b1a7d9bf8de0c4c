"""Encryption of agent transport passwords with a key kept in the data directory.

Standard library only: a stream cipher from HMAC-SHA256 in counter mode over a random 16-byte
nonce (the keystream is HMAC(enc_key, nonce || counter)), then HMAC-SHA256 over nonce and
ciphertext (encrypt-then-MAC). The two keys are derived from one random 32-byte master key in
`DATA_DIR/replication.key` (mode 0600). The protected form is AEM's `{...}` convention, so a
stored value tells at a glance whether it is encrypted: `{v1:<base64url>}`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from typing import Final

from repo_server.errors import InvalidValue

KEY_FILE: Final = "replication.key"
_PREFIX: Final = "{v1:"
_NONCE: Final = 16
_MAC: Final = 32


class PasswordCipher:
    """Protects and unprotects short secrets; tampered values raise InvalidValue."""

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) < 32:
            raise InvalidValue("the replication key must hold at least 32 bytes")
        self._enc = hmac.new(master_key, b"replication/encrypt", hashlib.sha256).digest()
        self._mac = hmac.new(master_key, b"replication/mac", hashlib.sha256).digest()

    @classmethod
    def load_or_create(cls, data_dir: str) -> PasswordCipher:
        """The cipher of `data_dir`'s key file, creating the key on first use (blocking I/O)."""
        os.makedirs(data_dir, exist_ok=True)
        path = os.path.join(data_dir, KEY_FILE)
        try:
            with open(path, "rb") as fh:
                return cls(fh.read())
        except FileNotFoundError:
            pass
        key = secrets.token_bytes(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, key)
        finally:
            os.close(fd)
        return cls(key)

    def _keystream(self, nonce: bytes, length: int) -> bytes:
        out = bytearray()
        counter = 0
        while len(out) < length:
            block = nonce + counter.to_bytes(8, "big")
            out += hmac.new(self._enc, block, hashlib.sha256).digest()
            counter += 1
        return bytes(out[:length])

    @staticmethod
    def is_protected(value: str) -> bool:
        return value.startswith(_PREFIX) and value.endswith("}")

    def protect(self, plain: str) -> str:
        data = plain.encode("utf-8")
        nonce = secrets.token_bytes(_NONCE)
        cipher = bytes(a ^ b for a, b in zip(data, self._keystream(nonce, len(data)), strict=True))
        mac = hmac.new(self._mac, nonce + cipher, hashlib.sha256).digest()
        token = base64.urlsafe_b64encode(nonce + cipher + mac).decode("ascii").rstrip("=")
        return f"{_PREFIX}{token}}}"

    def unprotect(self, value: str) -> str:
        """The plain text of a protected value; a value not in the protected form as it is."""
        if not self.is_protected(value):
            return value
        token = value[len(_PREFIX) : -1]
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            raise InvalidValue("the protected value is not valid base64") from None
        if len(raw) < _NONCE + _MAC:
            raise InvalidValue("the protected value is truncated")
        nonce, cipher, mac = raw[:_NONCE], raw[_NONCE:-_MAC], raw[-_MAC:]
        expected = hmac.new(self._mac, nonce + cipher, hashlib.sha256).digest()
        if not hmac.compare_digest(mac, expected):
            raise InvalidValue("the protected value was not made with this instance's key")
        plain = bytes(
            a ^ b for a, b in zip(cipher, self._keystream(nonce, len(cipher)), strict=True)
        )
        return plain.decode("utf-8")
