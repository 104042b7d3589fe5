"""The monitoring's settings are checked at startup, like every other (config.py)."""

from __future__ import annotations

import pytest

from comments import create_app
from config import ConfigError, DevelopmentConfig, ProductionConfig, TestingConfig


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("METRICS_ALLOWED_NETWORKS", ["10.0.0.1/8"], "METRICS_ALLOWED_NETWORKS: '10.0.0.1/8' is not a network"),
        ("METRICS_ALLOWED_NETWORKS", ["localhost"], "METRICS_ALLOWED_NETWORKS: 'localhost' is not a network"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT must be json or text"),
    ],
)
def test_a_malformed_monitoring_setting_stops_the_start(tmp_path, setting, value, message):
    with pytest.raises(ConfigError, match=message):
        create_app(TestingConfig, SQLALCHEMY_DATABASE_URI="sqlite://", INSTANCE_PATH=tmp_path, **{setting: value})


def test_production_logs_json_and_development_text():
    assert (ProductionConfig.LOG_FORMAT, DevelopmentConfig.LOG_FORMAT) == ("json", "text")
    assert ProductionConfig.METRICS_ALLOWED_NETWORKS == ["127.0.0.1/32", "::1/128"]
