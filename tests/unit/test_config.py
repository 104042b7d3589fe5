"""Settings come from the environment, and production refuses to start without its secrets."""

import pytest

from comments import create_app
from comments.crypto import ContactKeyError, new_key_entry
from config import ConfigError, DevelopmentConfig, ProductionConfig, env, normalise_database_url


def test_production_needs_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", None)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(ProductionConfig, INSTANCE_PATH=tmp_path)


def test_production_needs_a_database_url(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        create_app(ProductionConfig, SECRET_KEY="x" * 40, CONTACT_DATA_KEYS=new_key_entry(), INSTANCE_PATH=tmp_path)


def test_production_needs_a_contact_data_key_and_makes_none(monkeypatch, tmp_path):
    monkeypatch.setattr(ProductionConfig, "CONTACT_DATA_KEYS", None)
    with pytest.raises(ConfigError, match="CONTACT_DATA_KEYS"):
        create_app(ProductionConfig, SECRET_KEY="x" * 40, INSTANCE_PATH=tmp_path)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ContactKeyError, match="32 bytes"):
        create_app(
            ProductionConfig,
            SECRET_KEY="x" * 40,
            CONTACT_DATA_KEYS="k1:too-short",
            SQLALCHEMY_DATABASE_URI="sqlite://",
            INSTANCE_PATH=tmp_path,
        )


def test_development_makes_its_secrets_once_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.setattr(DevelopmentConfig, "SECRET_KEY", None)
    monkeypatch.setattr(DevelopmentConfig, "CONTACT_DATA_KEYS", None)
    first = create_app(DevelopmentConfig, INSTANCE_PATH=tmp_path, SQLALCHEMY_DATABASE_URI="sqlite://")
    again = create_app(DevelopmentConfig, INSTANCE_PATH=tmp_path, SQLALCHEMY_DATABASE_URI="sqlite://")
    assert first.config["SECRET_KEY"] == again.config["SECRET_KEY"] and len(first.config["SECRET_KEY"]) > 40
    assert first.config["CONTACT_DATA_KEYS"] == again.config["CONTACT_DATA_KEYS"]
    assert (tmp_path / "contact_data_keys").stat().st_mode & 0o077 == 0


def test_env_reads_types_and_says_what_is_wrong(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "yes")
    assert env("SOME_FLAG", False, cast=bool) is True
    monkeypatch.setenv("SOME_FLAG", "perhaps")
    with pytest.raises(ConfigError, match="SOME_FLAG must be true or false"):
        env("SOME_FLAG", False, cast=bool)
    monkeypatch.setenv("SOME_NUMBER", "ten")
    with pytest.raises(ConfigError, match="SOME_NUMBER"):
        env("SOME_NUMBER", 1, cast=int)
    monkeypatch.setenv("SOME_NUMBER", "")
    assert env("SOME_NUMBER", 7, cast=int) == 7


def test_postgres_urls_use_psycopg_3():
    assert normalise_database_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalise_database_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalise_database_url("sqlite:///x") == "sqlite:///x"
