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
        create_app(ProductionConfig, **{**production_settings(tmp_path), "CONTACT_DATA_KEYS": "k1:too-short"})


def production_settings(tmp_path) -> dict:
    """Everything production must have, valid; each test below takes one thing away or spoils it."""
    return {
        "SECRET_KEY": "s" * 48,
        "CONTACT_DATA_KEYS": new_key_entry(),
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://127.0.0.1:5432/postgres",
        "TRUSTED_HOSTS": ["comments.city.example"],
        "PUBLIC_BASE_URL": "https://comments.city.example",
        "MAIL_TRUSTED_AUTHSERV_ID": "mx.city.example",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
        "INSTANCE_PATH": tmp_path,
    }


def test_production_starts_with_every_setting_it_needs(tmp_path):
    app = create_app(ProductionConfig, **production_settings(tmp_path))
    assert app.config["PUBLIC_BASE_URL"] == "https://comments.city.example"


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("SECRET_KEY", "x", "SECRET_KEY is shorter than 32"),
        ("SQLALCHEMY_DATABASE_URI", "sqlite:///comments.sqlite3", "must name a PostgreSQL database"),
        ("TRUSTED_HOSTS", None, "TRUSTED_HOSTS is not set"),
        ("TRUSTED_HOSTS", [], "TRUSTED_HOSTS is not set"),
        ("PUBLIC_BASE_URL", None, "PUBLIC_BASE_URL must be the https://"),
        ("PUBLIC_BASE_URL", "http://comments.city.example", "PUBLIC_BASE_URL must be the https://"),
        ("PUBLIC_BASE_URL", "https://", "PUBLIC_BASE_URL must be the https://"),
        ("PUBLIC_BASE_URL", "https://evil.example", "not one of TRUSTED_HOSTS"),
        ("MAIL_TRUSTED_AUTHSERV_ID", None, "MAIL_INTAKE_TOKEN_ONLY=true"),
    ],
)
def test_production_refuses_to_start_without_what_keeps_it_safe(tmp_path, setting, value, message):
    with pytest.raises(ConfigError, match=message):
        create_app(ProductionConfig, **{**production_settings(tmp_path), setting: value})


def test_production_may_accept_the_token_alone_and_says_so_at_startup(tmp_path, caplog):
    settings = {**production_settings(tmp_path), "MAIL_TRUSTED_AUTHSERV_ID": None, "MAIL_INTAKE_TOKEN_ONLY": True}
    create_app(ProductionConfig, **settings)
    assert "the token in the address is the only protection" in caplog.text


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


@pytest.mark.parametrize("storage", ["memory://", None])
def test_production_refuses_limits_counted_in_each_worker_apart(tmp_path, storage):
    """memory:// counts per gunicorn worker: four workers let four times every limit through (R22, R57)."""
    with pytest.raises(ConfigError, match="RATELIMIT_STORAGE_URI=redis://"):
        create_app(ProductionConfig, **{**production_settings(tmp_path), "RATELIMIT_STORAGE_URI": storage})
