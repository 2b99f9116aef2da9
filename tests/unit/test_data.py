"""Data loading: hash check, local override, real download over loopback, offline message."""

from __future__ import annotations

import functools
import http.server
import shutil
import socket
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wine_serving import data
from wine_serving.errors import DataUnavailableError
from wine_serving.process.ports import LOOPBACK


@pytest.fixture()
def real_csv() -> Path:
    import os

    return Path(os.environ["WINE_QUALITY_CSV"])


def test_override_is_loaded_and_validated(workspace, real_csv):
    frame = data.load_wine_quality(workspace)
    assert frame.shape == (1599, 12)
    assert list(frame.columns) == [*data.FEATURES, data.TARGET]
    assert data.sha256_of(real_csv) == data.SHA256


def test_wrong_hash_is_refused(workspace, tmp_path, monkeypatch, real_csv):
    tampered = tmp_path / "winequality-red.csv"
    content = real_csv.read_bytes().replace(b"7.4;0.7;", b"7.5;0.7;", 1)
    tampered.write_bytes(content)
    monkeypatch.setenv(data.CSV_ENV, str(tampered))
    with pytest.raises(DataUnavailableError, match="sha256"):
        data.load_wine_quality(workspace)


def test_override_naming_no_file_is_explained(workspace, tmp_path, monkeypatch):
    monkeypatch.setenv(data.CSV_ENV, str(tmp_path / "nope.csv"))
    with pytest.raises(DataUnavailableError, match="does not name a file"):
        data.wine_quality_csv(workspace)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def test_offline_without_copy_says_what_to_do(workspace, monkeypatch):
    # The internet cannot exist here: point both UCI addresses at a closed loopback port.
    port = _closed_port()
    monkeypatch.delenv(data.CSV_ENV, raising=False)
    monkeypatch.setattr(data, "CSV_URL", f"http://{LOOPBACK}:{port}/winequality-red.csv")
    monkeypatch.setattr(data, "ZIP_URL", f"http://{LOOPBACK}:{port}/wine+quality.zip")
    with pytest.raises(DataUnavailableError) as info:
        data.load_wine_quality(workspace)
    message = str(info.value)
    assert "export WINE_QUALITY_CSV=" in message
    assert "sha256" in message


@pytest.fixture()
def loopback_site(tmp_path, real_csv):
    """A real HTTP server on 127.0.0.1 standing in for UCI."""
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(real_csv, site / "winequality-red.csv")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a, **k: None
    httpd = http.server.ThreadingHTTPServer((LOOPBACK, 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield site, f"http://{LOOPBACK}:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_download_is_checked_and_cached(workspace, monkeypatch, loopback_site):
    site, base = loopback_site
    monkeypatch.delenv(data.CSV_ENV, raising=False)
    monkeypatch.setattr(data, "CSV_URL", f"{base}/winequality-red.csv")
    path = data.wine_quality_csv(workspace)
    assert path == workspace.data_dir / data.FILE_NAME
    assert data.sha256_of(path) == data.SHA256
    (site / "winequality-red.csv").unlink()  # a second call must not need the network
    assert data.wine_quality_csv(workspace) == path


def test_download_with_wrong_bytes_is_refused(workspace, monkeypatch, loopback_site):
    site, base = loopback_site
    (site / "winequality-red.csv").write_text("not;the;data\n")
    monkeypatch.delenv(data.CSV_ENV, raising=False)
    monkeypatch.setattr(data, "CSV_URL", f"{base}/winequality-red.csv")
    with pytest.raises(DataUnavailableError, match="hash"):
        data.wine_quality_csv(workspace)
    assert not (workspace.data_dir / data.FILE_NAME).exists()


def test_zip_fallback(workspace, monkeypatch, loopback_site, real_csv):
    import zipfile

    site, base = loopback_site
    with zipfile.ZipFile(site / "wine+quality.zip", "w") as archive:
        archive.write(real_csv, "winequality-red.csv")
    (site / "winequality-red.csv").unlink()
    monkeypatch.delenv(data.CSV_ENV, raising=False)
    monkeypatch.setattr(data, "CSV_URL", f"{base}/winequality-red.csv")
    monkeypatch.setattr(data, "ZIP_URL", f"{base}/wine+quality.zip")
    assert data.sha256_of(data.wine_quality_csv(workspace)) == data.SHA256


@pytest.mark.parametrize("damage", ["drop_row", "rename", "text"])
def test_validation_refuses_damaged_frames(damage):
    frame = pd.DataFrame(np.ones((1599, 12)), columns=[*data.FEATURES, data.TARGET])
    if damage == "drop_row":
        frame = frame.iloc[1:]
    elif damage == "rename":
        frame = frame.rename(columns={"pH": "ph"})
    else:
        frame["alcohol"] = "x"
    with pytest.raises(DataUnavailableError):
        data.validate_wine_frame(frame)


def test_split_reproduces_the_seed(workspace):
    frame = data.load_wine_quality(workspace)
    train_x, test_x, train_y, test_y = data.split_wine_quality(frame)
    assert (len(train_x), len(test_x)) == (1199, 400)
    assert list(train_y.columns) == ["quality"] and "quality" not in test_x.columns
    # The seed's own procedure, written out independently.
    from sklearn.model_selection import train_test_split

    np.random.seed(40)
    train, test = train_test_split(frame)
    assert list(test_x.index) == list(test.index)
    # ...and it does not depend on calls made before it.
    np.random.seed(1)
    assert list(data.split_wine_quality(frame)[1].index) == list(test.index)
