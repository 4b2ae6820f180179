from pathlib import Path

import pytest

from geometry.errors import ConfigurationError
from manufacturing.settings import Settings, settings_reference_markdown
from tests.conftest import REPO_ROOT


def test_defaults_are_the_embedded_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in Settings.model_fields:
        monkeypatch.delenv(f"CSPMS_{name.upper()}", raising=False)
    settings = Settings()
    assert settings.uses_embedded_broker
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'var' / 'cspms.sqlite'}"
    assert settings.resolved_artifact_dir == tmp_path / "var" / "artifacts"


def test_environment_variables_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSPMS_BROKER_URL", "redis://127.0.0.1:6379/3")
    monkeypatch.setenv("CSPMS_DATABASE_URL", "postgresql+psycopg://cspms@db:5432/cspms")
    monkeypatch.setenv("CSPMS_WORKER_CONCURRENCY", "4")
    settings = Settings()
    settings.check()
    assert not settings.uses_embedded_broker
    assert settings.resolved_database_url.startswith("postgresql")
    assert settings.worker_concurrency == 4


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [("broker_url", "kafka://x", "CSPMS_BROKER_URL"), ("database_url", "mysql://x/y", "CSPMS_DATABASE_URL")],
)
def test_unusable_settings_are_named(field: str, value: str, named: str) -> None:
    with pytest.raises(ConfigurationError, match=named):
        Settings(**{field: value}).check()


def test_every_setting_is_documented() -> None:
    assert settings_reference_markdown() in (REPO_ROOT / "docs" / "settings.md").read_text()
