"""The app refuses to start without the compiled Japanese catalog (issue 13, item 6): the .mo files are built
(`pybabel compile -d translations`), not committed, and without them Flask-Babel would quietly show every page
in English, the message ids."""

from __future__ import annotations

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from comments import create_app
from comments.extensions import babel
from config import ConfigError, ProductionConfig, TestingConfig
from tests.unit.test_config import production_settings

CATALOG = "ja/LC_MESSAGES/messages.mo"


@pytest.mark.parametrize("config", [TestingConfig, ProductionConfig], ids=["testing", "production"])
def test_no_compiled_catalog_no_start(tmp_path, config):
    settings = production_settings(tmp_path) if config is ProductionConfig else {"SQLALCHEMY_DATABASE_URI": "sqlite://"}
    (tmp_path / "translations" / "ja" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "translations" / "ja" / "LC_MESSAGES" / "messages.po").write_text("", encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        create_app(config, **settings, BABEL_TRANSLATION_DIRECTORIES=str(tmp_path / "translations"))
    message = str(refused.value)
    assert f"{tmp_path / 'translations' / CATALOG} is missing" in message
    assert "pybabel compile -d translations" in message


@pytest.fixture
def catalogs_loaded_afresh():
    """Flask-Babel keeps the catalogs it loaded by language alone, on the one Babel object every app of this
    process shares: this test's app must load its own, and the apps after it the real one again."""
    with create_app(TestingConfig, SQLALCHEMY_DATABASE_URI="sqlite://").app_context():
        cache = babel.domain_instance.cache
    kept = dict(cache)
    cache.clear()
    yield
    cache.clear()
    cache.update(kept)


def test_the_catalog_is_read_from_the_folder_the_setting_names(tmp_path, catalogs_loaded_afresh):
    catalog = Catalog(locale="ja")
    catalog.add("Too large to accept", "テスト用の訳")
    (tmp_path / "ja" / "LC_MESSAGES").mkdir(parents=True)
    with (tmp_path / CATALOG).open("wb") as compiled:
        write_mo(compiled, catalog)
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI="sqlite://", BABEL_TRANSLATION_DIRECTORIES=str(tmp_path))
    page = app.test_client().get("/errors/too-large")
    assert page.status_code == 413
    assert "<h1>テスト用の訳</h1>" in page.get_data(as_text=True)
