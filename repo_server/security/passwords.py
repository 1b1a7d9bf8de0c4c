"""Password hashes: scrypt (memory-hard, standard library) with salt and cost in the hash string.

Format `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt b64>$<key b64>` (the passlib layout), so the cost
can grow later while old hashes still verify. N=2^14, r=8 needs 16 MiB and about 40 ms per
hash on the dev VM: callers run it off the event loop
(`SecurityManager.hash_password`, a few at a time).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Final

LOG_N: Final = 14
BLOCK_SIZE: Final = 8
PARALLELISM: Final = 1
KEY_BYTES: Final = 32
_MAXMEM: Final = 64 * 1024 * 1024


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _derive(password: str, salt: bytes, log_n: int, r: int, p: int, size: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=1 << log_n, r=r, p=p, maxmem=_MAXMEM, dklen=size
    )


def hash_password(password: str) -> str:
    """A new salted scrypt hash string of `password` (CPU and memory heavy: not on the loop)."""
    salt = secrets.token_bytes(16)
    key = _derive(password, salt, LOG_N, BLOCK_SIZE, PARALLELISM, KEY_BYTES)
    return f"$scrypt$ln={LOG_N},r={BLOCK_SIZE},p={PARALLELISM}${_b64(salt)}${_b64(key)}"


# Verifying against this when the user is unknown keeps the answer time the same.
DUMMY_HASH: Final = (
    "$scrypt$ln=14,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
)


def verify_password(password: str, stored: str) -> bool:
    """True if `password` matches the hash string; False for a malformed one (never raises)."""
    try:
        _, scheme, params, salt_text, key_text = stored.split("$")
        if scheme != "scrypt":
            return False
        cost = dict(item.split("=", 1) for item in params.split(","))
        log_n, r, p = int(cost["ln"]), int(cost["r"]), int(cost["p"])
        if not (1 <= log_n <= 20 and 1 <= r <= 16 and 1 <= p <= 4):
            return False
        salt, key = _unb64(salt_text), _unb64(key_text)
    except (ValueError, KeyError):
        return False
    candidate = _derive(password, salt, log_n, r, p, len(key) or KEY_BYTES)
    return hmac.compare_digest(candidate, key)


def random_password() -> str:
    return secrets.token_urlsafe(18)
