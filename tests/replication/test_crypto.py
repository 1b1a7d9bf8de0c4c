"""Agent passwords: encrypted with the data directory's key, tamper-evident."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from repo_server.errors import InvalidValue
from repo_server.replication.crypto import KEY_FILE, PasswordCipher


def test_protect_round_trips_and_is_randomised(tmp_path: Path) -> None:
    cipher = PasswordCipher.load_or_create(str(tmp_path))
    first, second = cipher.protect("s3cret ünïcode"), cipher.protect("s3cret ünïcode")
    assert first != second
    assert PasswordCipher.is_protected(first)
    assert cipher.unprotect(first) == cipher.unprotect(second) == "s3cret ünïcode"
    assert "s3cret" not in first


def test_the_key_file_is_private_and_reused(tmp_path: Path) -> None:
    protected = PasswordCipher.load_or_create(str(tmp_path)).protect("pw")
    assert os.stat(tmp_path / KEY_FILE).st_mode & 0o777 == 0o600
    assert PasswordCipher.load_or_create(str(tmp_path)).unprotect(protected) == "pw"


def test_tampered_or_foreign_values_are_refused(tmp_path: Path) -> None:
    cipher = PasswordCipher.load_or_create(str(tmp_path / "a"))
    other = PasswordCipher.load_or_create(str(tmp_path / "b"))
    protected = cipher.protect("pw")
    with pytest.raises(InvalidValue):
        other.unprotect(protected)
    flipped = protected[:-3] + ("A" if protected[-3] != "A" else "B") + protected[-2:]
    with pytest.raises(InvalidValue):
        cipher.unprotect(flipped)
    with pytest.raises(InvalidValue):
        cipher.unprotect("{v1:!!}")


def test_a_value_in_clear_is_returned_as_it_is(tmp_path: Path) -> None:
    assert PasswordCipher.load_or_create(str(tmp_path)).unprotect("plain") == "plain"
