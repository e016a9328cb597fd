import json

import pytest

from toetsbatterij.config import load_config
from toetsbatterij.errors import ConfigurationError


def test_layers_in_order(tmp_path):
    inst = tmp_path / "config.json"
    inst.write_text(json.dumps({"SECRET_KEY": "from-file", "LOGIN_MAX_FAILURES": 7}))
    cfg = load_config(inst, environ={"TOETSBATTERIJ_LOGIN_MAX_FAILURES": "9",
                                     "TOETSBATTERIJ_SESSION_COOKIE_SECURE": "false"},
                      overrides={"LIVE_POLL_SECONDS": 1})
    assert cfg["SECRET_KEY"] == "from-file"
    assert cfg["LOGIN_MAX_FAILURES"] == 9
    assert cfg["SESSION_COOKIE_SECURE"] is False
    assert cfg["LIVE_POLL_SECONDS"] == 1
    assert cfg["WTF_CSRF_TIME_LIMIT"] >= 8 * 3600


@pytest.mark.parametrize("layer", ["file", "env", "override"])
def test_unknown_key_is_an_error(tmp_path, layer):
    inst = tmp_path / "config.json"
    inst.write_text(json.dumps({"SECRET_KEY": "x", **({"SECRET_KYE": 1} if layer == "file" else {})}))
    env = {"TOETSBATTERIJ_DATABSE_URL": "x"} if layer == "env" else {}
    over = {"TIMEZONE_": "x"} if layer == "override" else None
    with pytest.raises(ConfigurationError):
        load_config(inst, environ=env, overrides=over)


def test_missing_secret_is_an_error(tmp_path):
    with pytest.raises(ConfigurationError):
        load_config(tmp_path / "none.json", environ={})


def test_bad_env_value(tmp_path):
    with pytest.raises(ConfigurationError):
        load_config(None, environ={"TOETSBATTERIJ_SECRET_KEY": "x",
                                   "TOETSBATTERIJ_LOGIN_MAX_FAILURES": "vijf"})
