"""Placeholder secrets are refused outside development."""

import pytest
from pydantic import ValidationError

from matching.settings import Settings

REAL = "x" * 40


def test_development_accepts_placeholders() -> None:
    assert Settings(environment="development").data_key.get_secret_value()


@pytest.mark.parametrize("environment", ["test", "production"])
def test_placeholders_refused_outside_development(environment: str) -> None:
    with pytest.raises(ValidationError, match="MATCHING_DATA_KEY"):
        Settings(environment=environment)


def test_short_secret_refused() -> None:
    with pytest.raises(ValidationError, match="at least"):
        Settings(environment="production", data_key="short", hash_key=REAL)


def test_equal_secrets_refused() -> None:
    with pytest.raises(ValidationError, match="must differ"):
        Settings(environment="production", data_key=REAL, hash_key=REAL)


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCHING_DATABASE_URL", "sqlite:///elsewhere.db")
    monkeypatch.setenv("MATCHING_WEIGHTS__SKILLS", "0.5")
    settings = Settings()
    assert settings.database_url == "sqlite:///elsewhere.db"
    # The scoring core's weights, normalised to sum 1 as they are read.
    assert settings.weights.skills == pytest.approx(0.5 / 1.2)
