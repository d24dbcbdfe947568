"""Settings: typed, validated, one clear line naming the variable."""

import subprocess
import sys

import pytest

from dashboard.settings import DEFAULT_CACHE_TTLS, PROJECT_ROOT, Settings, SettingsError


def env(tmp_path, **extra):
    return {"INSTANCE_PATH": str(tmp_path), **extra}


def test_set001_defaults_are_the_embedded_setup(tmp_path):
    settings = Settings.from_env(env(tmp_path))
    assert settings.database_url == f"sqlite:///{tmp_path / 'meridian.db'}"
    assert settings.redis_url is None
    assert settings.url_prefix == "/"
    assert dict(settings.cache_ttls) == DEFAULT_CACHE_TTLS
    assert DEFAULT_CACHE_TTLS["optimisation"] == 900 and DEFAULT_CACHE_TTLS["monte_carlo"] == 86400
    # the generated secret is stable: every worker reads the same one
    assert len(settings.secret_key) >= 32
    assert Settings.from_env(env(tmp_path)).secret_key == settings.secret_key


def test_set002_environment_overrides(tmp_path):
    settings = Settings.from_env(
        env(
            tmp_path,
            DATABASE_URL="postgresql://u@db/meridian",
            REDIS_URL="redis://cache:6379/2",
            URL_PREFIX="/meridian/",
            SECRET_KEY="x" * 20,
            LOG_LEVEL="debug",
            CACHE_TTL_RISK="60",
        )
    )
    assert settings.database_url == "postgresql://u@db/meridian"
    assert settings.redis_url == "redis://cache:6379/2"
    assert settings.url_prefix == "/meridian/"
    assert settings.log_level == "DEBUG"
    assert settings.cache_ttls["risk"] == 60


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "mysql://x/y"),
        ("DATABASE_URL", "sqlite://relative.db"),
        ("REDIS_URL", "http://localhost"),
        ("REDIS_URL", "redis://localhost:notaport"),
        ("URL_PREFIX", "meridian"),
        ("LOG_LEVEL", "LOUD"),
        ("SECRET_KEY", "short"),
        ("CACHE_TTL_OPTIMISATION", "ten"),
        ("CACHE_TTL_TAX", "-5"),
        ("MERIDIAN_ENV", "staging"),
        ("REDIS_SOCKET_TIMEOUT", "forever"),
    ],
)
def test_set003_invalid_values_name_the_variable(tmp_path, variable, value):
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(env(tmp_path, **{variable: value}))
    assert raised.value.variable == variable
    assert variable in str(raised.value)


def test_set004_test_override_ignores_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://elsewhere/db")
    settings = Settings.for_tests(tmp_path)
    assert settings.database_url.startswith("sqlite:///")
    assert settings.testing


def test_set005_bad_setting_stops_startup_with_one_line(tmp_path):
    run = subprocess.run(
        [sys.executable, "-c", "import app"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "INSTANCE_PATH": str(tmp_path), "URL_PREFIX": "nope"},
        timeout=120,
    )
    assert run.returncode == 2
    assert (
        run.stderr.strip()
        == "meridian: invalid setting URL_PREFIX: must start and end with '/', e.g. /meridian/"
    )


def test_set006_gunicorn_config_refuses_bad_settings(tmp_path):
    gunicorn = PROJECT_ROOT / ".venv" / "bin" / "gunicorn"
    run = subprocess.run(
        [str(gunicorn), "--config", "gunicorn.conf.py", "--check-config", "app:server"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "INSTANCE_PATH": str(tmp_path), "REDIS_URL": "ftp://x"},
    )
    assert run.returncode != 0
    assert "meridian: invalid setting REDIS_URL" in run.stderr
