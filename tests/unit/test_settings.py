"""Settings files: written where MLServer looks, refused when MLServer would fail."""

from __future__ import annotations

import json

import pytest

from wine_serving.settings import (
    MLFLOW_RUNTIME,
    SettingsError,
    model_settings,
    prepare_repository,
    server_settings,
    validate_model_settings,
    write_model_settings,
    write_server_settings,
)


def test_server_settings_bind_loopback(tmp_path):
    path = write_server_settings(tmp_path, server_settings(9000, 9001, 9002))
    content = json.loads(path.read_text())
    assert content == {"debug": True, "host": "127.0.0.1", "http_port": 9000,
                       "grpc_port": 9001, "metrics_port": 9002}


def test_model_settings_go_into_a_folder_named_after_the_model(tmp_path):
    path = write_model_settings(tmp_path, model_settings("wine-classifier", "models:/X/1"))
    assert path == tmp_path / "wine-classifier" / "model-settings.json"
    content = json.loads(path.read_text())
    assert content["implementation"] == MLFLOW_RUNTIME
    assert content["parameters"] == {"uri": "models:/X/1"}


@pytest.mark.parametrize(("content", "words"), [
    ({"name": "m", "implementation": "mlserver_mlflow.MLflowRuntim", "parameters": {"uri": "x"}},
     "MLflowRuntim"),
    ({"name": "m", "implementation": MLFLOW_RUNTIME}, "no parameters.uri"),
    ({"name": "m", "implementation": MLFLOW_RUNTIME, "parameters": {}}, "no parameters.uri"),
])
def test_broken_model_settings_are_refused(tmp_path, content, words):
    with pytest.raises(SettingsError, match=words):
        write_model_settings(tmp_path, content)
    assert not (tmp_path / "m").exists()


def test_broken_server_settings_are_refused(tmp_path):
    with pytest.raises(SettingsError, match="http_port"):
        write_server_settings(tmp_path, {"http_port": "eighty"})


def test_a_misspelt_server_setting_is_refused_not_ignored(tmp_path):
    """MLServer's own model would accept it and do nothing (extra="ignore")."""
    from mlserver.settings import Settings

    assert Settings.model_validate({"parallel_worker": 4}).parallel_workers != 4
    with pytest.raises(SettingsError, match=r"unknown key\(s\) \['parallel_worker'\]"):
        write_server_settings(tmp_path, {**server_settings(1, 2, 3), "parallel_worker": 4})
    assert not (tmp_path / "settings.json").exists()


def test_prepare_repository_removes_stale_models_only(tmp_path):
    write_model_settings(tmp_path, model_settings("old", "models:/Old/1"))
    (tmp_path / "notes.txt").write_text("keep me")
    prepare_repository(tmp_path, server_settings(1, 2, 3), [model_settings("new", "models:/N/1")])
    assert not (tmp_path / "old").exists()
    assert (tmp_path / "new" / "model-settings.json").is_file()
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_validated_object_is_mlservers_own(tmp_path):
    parsed = validate_model_settings(model_settings("wine", "models:/X/1"))
    from mlserver.settings import ModelSettings

    assert isinstance(parsed, ModelSettings)
    assert parsed.parameters.uri == "models:/X/1"
