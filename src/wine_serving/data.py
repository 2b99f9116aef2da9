"""The UCI red-wine quality data: downloaded once, hash-checked, validated (every notebook).

The seed reads the CSV straight from a URL on every run; that breaks offline and
silently accepts a changed file. Here the bytes are checked against the sha256 the
tutorial was written with, so every number in the notebooks is reproducible.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd

from wine_serving.errors import DataUnavailableError
from wine_serving.workspace import Workspace, get_workspace

CSV_ENV = "WINE_QUALITY_CSV"
FILE_NAME = "winequality-red.csv"
SHA256 = "4a402cf041b025d4566d954c3b9ba8635a3a8a01e039005d97d6a710278cf05e"
CSV_URL = (
    "https://archive.ics.uci.edu/ml/machine-learning-databases/wine-quality/winequality-red.csv"
)
ZIP_URL = "https://archive.ics.uci.edu/static/public/186/wine+quality.zip"
SOURCE = "UCI Machine Learning Repository, Wine Quality (red), CC BY 4.0"
FEATURES: tuple[str, ...] = (
    "fixed acidity", "volatile acidity", "citric acid", "residual sugar", "chlorides",
    "free sulfur dioxide", "total sulfur dioxide", "density", "pH", "sulphates", "alcohol",
)
TARGET = "quality"
EXPECTED_ROWS = 1599
SPLIT_SEED = 40


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_hash(path: Path) -> Path:
    actual = sha256_of(path)
    if actual != SHA256:
        raise DataUnavailableError(
            f"{path} has sha256 {actual}, expected {SHA256}. The file is not the UCI "
            "red-wine CSV this tutorial was written for; delete it and download it again."
        )
    return path


def _offline_message(cause: Exception) -> str:
    return (
        f"Could not download the wine-quality data ({type(cause).__name__}: {cause}).\n"
        "Without internet access, get winequality-red.csv onto this machine (from\n"
        f"  {CSV_URL}\n"
        f"or the zip {ZIP_URL}) and point the tutorial at it:\n"
        f"  export {CSV_ENV}=/path/to/winequality-red.csv\n"
        "The file is checked against its sha256 either way."
    )


def _download(target_dir: Path) -> Path:
    """Fetch the CSV with pooch; fall back to the zip that UCI also serves."""
    import pooch

    try:
        return Path(pooch.retrieve(CSV_URL, known_hash=f"sha256:{SHA256}",
                                   fname=FILE_NAME, path=target_dir, progressbar=False))
    except ValueError:
        raise  # hash mismatch: pooch deleted the bad file; do not mask it with the zip
    except Exception as first:  # any network failure leads to the fallback
        try:
            members = pooch.retrieve(ZIP_URL, known_hash=None, fname="wine+quality.zip",
                                     path=target_dir, progressbar=False,
                                     processor=pooch.Unzip(members=[FILE_NAME]))
        except Exception:
            raise DataUnavailableError(_offline_message(first)) from first
        return _check_hash(Path(members[0]))


def wine_quality_csv(ws: Workspace | None = None) -> Path:
    """Path to a verified copy of the CSV: the local override, the cache, or a download."""
    override = os.environ.get(CSV_ENV)
    if override:
        path = Path(override).expanduser()
        if not path.is_file():
            raise DataUnavailableError(f"{CSV_ENV}={override} does not name a file.")
        return _check_hash(path)
    ws = ws or get_workspace()
    cached = ws.data_dir / FILE_NAME
    if cached.is_file() and sha256_of(cached) == SHA256:
        return cached
    try:
        return _download(ws.data_dir)
    except ValueError as exc:
        raise DataUnavailableError(f"Downloaded file failed its hash check: {exc}") from exc


def validate_wine_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Refuse anything but 1,599 rows of the 11 features plus ``quality``, all numeric."""
    expected = [*FEATURES, TARGET]
    if list(frame.columns) != expected:
        raise DataUnavailableError(f"Unexpected columns {list(frame.columns)}; expected {expected}.")
    if len(frame) != EXPECTED_ROWS:
        raise DataUnavailableError(f"Expected {EXPECTED_ROWS} rows, found {len(frame)}.")
    non_numeric = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if non_numeric:
        raise DataUnavailableError(f"Non-numeric columns: {non_numeric}.")
    return frame


def load_wine_quality(ws: Workspace | None = None) -> pd.DataFrame:
    """The red-wine DataFrame exactly as UCI publishes it (``;``-separated)."""
    return validate_wine_frame(pd.read_csv(wine_quality_csv(ws), sep=";"))


def split_wine_quality(
    frame: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The seed's split: ``np.random.seed(40)`` then ``train_test_split`` defaults (75/25).

    Returns ``train_x, test_x, train_y, test_y`` with ``y`` as one-column frames, as
    in the seed. The global seed is what the seed relies on, so it is reproduced.
    """
    from sklearn.model_selection import train_test_split

    np.random.seed(SPLIT_SEED)
    train, test = train_test_split(frame)
    return (train.drop(columns=[TARGET]), test.drop(columns=[TARGET]),
            train[[TARGET]], test[[TARGET]])
