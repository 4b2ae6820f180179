"""Session keys: none written in the code; the embedded profile makes an owner-only key file once and keeps
using it; production refuses to run without a strong key; tokens carry the id of the key that signed them,
so a rotated key keeps verifying while it is kept and its tokens are refused once it is removed."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from itsdangerous import URLSafeTimedSerializer
from pydantic import SecretStr

from geometry.errors import ConfigurationError
from manufacturing.accounts.errors import AuthenticationError
from manufacturing.accounts.keys import (
    SigningKey,
    key_file,
    read_key_file,
    retire_old_keys,
    rotate_key_file,
    session_keyring,
)
from manufacturing.accounts.roles import Role
from manufacturing.accounts.service import Principal
from manufacturing.accounts.tokens import issue_token, token_claims
from manufacturing.settings import Settings
from tests.conftest import REPO_ROOT

ADMIN = Principal(1, "admin@example.com", Role.ADMIN, None, 1)
KEY_A = "Qm9yZWQgb2YgY29uc3RhbnQga2V5cz8gR29vZCwgdGhpcyBvbmUgaXMgcmFuZG9t"
KEY_B = "T25lIG1vcmUga2V5LCBsb25nIGVub3VnaCBhbmQgbWFkZSBvZiBtYW55IHN5bWJvbHM"
POSTGRES = "postgresql+psycopg://cspms@db-host:5432/cspms"


def test_no_source_file_holds_the_former_development_key() -> None:
    former = "dev-only-" + "change-me"  # split, so this file is not a hit itself
    sources = [p for top in ("manufacturing", "web", "benchmarks", "docs") for p in (REPO_ROOT / top).rglob("*.*")
               if p.suffix in {".py", ".md", ".toml"} and "node_modules" not in p.parts]  # fmt: skip
    assert [str(p) for p in sources if former in p.read_text(errors="ignore")] == []


def test_a_token_signed_with_the_former_development_key_is_refused(settings: Settings) -> None:
    forged = URLSafeTimedSerializer("dev-only-" + "change-me", salt="cspms.session.v1").dumps({"a": 1, "v": 1})
    dev = SigningKey.of("dev-only-" + "change-me")
    relabelled = f"{dev.kid}." + URLSafeTimedSerializer(dev.secret, salt="cspms.session.v2").dumps({"a": 1, "v": 1})
    for token in (forged, relabelled):
        with pytest.raises(AuthenticationError):
            token_claims(settings, token)
    assert token_claims(settings, issue_token(settings, ADMIN)) == (1, 1)


def test_the_embedded_profile_makes_an_owner_only_key_file_once_and_reuses_it(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var")
    assert not key_file(settings).exists()
    token = issue_token(settings, ADMIN)
    path = key_file(settings)
    assert path == (tmp_path / "var" / "session_keys").resolve()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    (key,) = read_key_file(path)
    assert len(key) >= 43
    # Another process (a new settings object, a restart) reads the same key: its sessions stay valid.
    again = Settings(var_dir=tmp_path / "var")
    assert session_keyring(again).current == SigningKey.of(key)
    assert token_claims(again, token) == (1, 1)
    assert read_key_file(path) == [key]
    # Another var folder is another key.
    assert session_keyring(Settings(var_dir=tmp_path / "other")).current.kid != SigningKey.of(key).kid
    os.chmod(path, 0o640)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        session_keyring(again)


@pytest.mark.parametrize("production", [{"database_url": POSTGRES}, {"profile": "production"}])
def test_production_has_no_key_file_and_refuses_weak_keys(tmp_path: Path, production: dict) -> None:
    settings = Settings(var_dir=tmp_path / "var", **production)
    with pytest.raises(ConfigurationError, match="CSPMS_SECRET_KEY") as refused:
        session_keyring(settings)
    assert refused.value.details == {"setting": "secret_key"}
    assert not key_file(settings).exists()
    for weak in ("dev-only-" + "change-me", "short-but-random-Xk2", "change-me" * 6):
        with pytest.raises(ConfigurationError, match="not a strong key"):
            session_keyring(settings.model_copy(update={"secret_key": SecretStr(weak)}))
    strong = settings.model_copy(update={"secret_key": SecretStr(KEY_A)})
    assert session_keyring(strong).current == SigningKey.of(KEY_A)
    with pytest.raises(ConfigurationError, match="CSPMS_SECRET_KEY"):
        rotate_key_file(settings)


def test_serve_refuses_to_start_in_production_without_a_key(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSPMS_")}
    env.update(CSPMS_VAR_DIR=str(tmp_path / "var"), CSPMS_PROFILE="production")
    done = subprocess.run([sys.executable, "-m", "web.cli", "serve", "--port", "1"], env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode != 0
    assert "CSPMS_SECRET_KEY" in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_a_rotated_key_verifies_while_it_is_kept_and_its_tokens_are_refused_once_removed(tmp_path: Path) -> None:
    before = Settings(var_dir=tmp_path / "var", secret_key=SecretStr(KEY_A))
    old_token = issue_token(before, ADMIN)
    assert old_token.startswith(SigningKey.of(KEY_A).kid + ".")
    rotated = before.model_copy(update={"secret_key": SecretStr(KEY_B), "secret_keys_old": SecretStr(KEY_A)})
    assert token_claims(rotated, old_token) == (1, 1)
    new_token = issue_token(rotated, ADMIN)
    assert new_token.startswith(SigningKey.of(KEY_B).kid + ".")
    retired = rotated.model_copy(update={"secret_keys_old": SecretStr("")})
    assert token_claims(retired, new_token) == (1, 1)
    with pytest.raises(AuthenticationError):
        token_claims(retired, old_token)
    # A token relabelled with the current key's id does not verify either.
    with pytest.raises(AuthenticationError):
        token_claims(retired, SigningKey.of(KEY_B).kid + old_token[8:])


def test_rotating_and_retiring_the_key_file(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var")
    first = session_keyring(settings).current
    old_token = issue_token(settings, ADMIN)
    keyring = rotate_key_file(settings)
    assert keyring.current != first and keyring.verify_only == (first,)
    assert stat.S_IMODE(key_file(settings).stat().st_mode) == 0o600
    assert token_claims(settings, old_token) == (1, 1)  # kept: still verifies
    new_token = issue_token(settings, ADMIN)
    assert new_token.startswith(keyring.current.kid + ".")
    assert retire_old_keys(settings) == (first.kid,)
    assert session_keyring(settings).kids == (keyring.current.kid,)
    with pytest.raises(AuthenticationError):
        token_claims(settings, old_token)
    assert token_claims(settings, new_token) == (1, 1)
