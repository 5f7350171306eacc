"""The Fashion-MNIST loader: search order, validation, and clear errors for bad files."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from fmnist_tui.engine import data as data_module
from fmnist_tui.engine.data import FILES, DataError, load_fashion_mnist, locate, read_idx_dir, write_idx_gz


def write_fake_set(directory: Path, train: int = 60000, test: int = 10000) -> None:
    """A data set with the right shapes but made-up content (its checksums will not match)."""
    directory.mkdir(parents=True, exist_ok=True)
    write_idx_gz(directory / FILES["train_images"].name, np.zeros((train, 28, 28), np.uint8), "images")
    write_idx_gz(directory / FILES["train_labels"].name, np.arange(train) % 10, "labels")
    write_idx_gz(directory / FILES["test_images"].name, np.zeros((test, 28, 28), np.uint8), "images")
    write_idx_gz(directory / FILES["test_labels"].name, np.arange(test) % 10, "labels")


@pytest.fixture
def no_default_locations(monkeypatch, tmp_path):
    monkeypatch.setattr(data_module, "KERAS_CACHE_DIR", tmp_path / "no-keras-cache")
    monkeypatch.setattr(data_module, "DEBIAN_DIR", tmp_path / "no-debian")


def test_missing_explicit_directory_names_it(tmp_path):
    with pytest.raises(DataError) as info:
        load_fashion_mnist(tmp_path / "nowhere")
    assert "nowhere" in info.value.message and "does not exist" in info.value.message
    assert "dataset-fashion-mnist" in info.value.hint


def test_missing_file_is_named(tmp_path):
    write_fake_set(tmp_path / "d")
    (tmp_path / "d" / FILES["test_labels"].name).unlink()
    with pytest.raises(DataError) as info:
        load_fashion_mnist(tmp_path / "d")
    assert "t10k-labels-idx1-ubyte.gz" in info.value.message


def test_nothing_found_and_no_download_is_a_clear_error(no_default_locations):
    with pytest.raises(DataError) as info:
        load_fashion_mnist(allow_download=False)
    assert "not found" in info.value.message and "--data-dir" in info.value.hint


def test_failed_download_is_a_clear_error(no_default_locations, monkeypatch):
    import keras

    def offline():
        raise OSError("Temporary failure in name resolution")

    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", offline)
    with pytest.raises(DataError) as info:
        load_fashion_mnist()
    assert "downloading it through Keras failed" in info.value.message
    assert "name resolution" in info.value.message


def test_truncated_gzip_is_reported_by_name(tmp_path):
    write_fake_set(tmp_path / "d", train=60000)
    path = tmp_path / "d" / FILES["train_images"].name
    path.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(DataError) as info:
        read_idx_dir(tmp_path / "d", verify_checksums=False)
    assert "train-images-idx3-ubyte.gz" in info.value.message
    assert "truncated or corrupted" in info.value.message


def test_wrong_magic_number(tmp_path):
    write_fake_set(tmp_path / "d")
    path = tmp_path / "d" / FILES["train_labels"].name
    raw = bytearray(gzip.decompress(path.read_bytes()))
    raw[3] = 0x99
    path.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(DataError, match="magic number"):
        read_idx_dir(tmp_path / "d", verify_checksums=False)


def test_wrong_count(tmp_path):
    write_fake_set(tmp_path / "d", train=600)
    with pytest.raises(DataError, match="holds 600 images, expected 60000"):
        read_idx_dir(tmp_path / "d", verify_checksums=False)


def test_labels_out_of_range(tmp_path):
    write_fake_set(tmp_path / "d")
    write_idx_gz(tmp_path / "d" / FILES["test_labels"].name, np.full(10000, 12), "labels")
    with pytest.raises(DataError, match="labels outside 0–9"):
        read_idx_dir(tmp_path / "d", verify_checksums=False)


def test_corrupted_content_fails_the_checksum(tmp_path):
    write_fake_set(tmp_path / "d")
    with pytest.raises(DataError) as info:
        read_idx_dir(tmp_path / "d")
    assert "does not match the original Fashion-MNIST" in info.value.message


def test_search_order_prefers_explicit_then_keras_cache(tmp_path, monkeypatch):
    keras_dir, debian_dir, explicit = tmp_path / "keras", tmp_path / "debian", tmp_path / "mine"
    for d in (keras_dir, debian_dir, explicit):
        write_fake_set(d, train=10, test=10)
    monkeypatch.setattr(data_module, "KERAS_CACHE_DIR", keras_dir)
    monkeypatch.setattr(data_module, "DEBIAN_DIR", debian_dir)
    assert locate(explicit) == explicit
    monkeypatch.setenv("FMNIST_DATA", str(explicit))
    assert locate() == explicit
    monkeypatch.delenv("FMNIST_DATA")
    assert locate() == keras_dir
    shutil.rmtree(keras_dir)
    assert locate() == debian_dir


@pytest.mark.realdata
def test_real_data_is_valid_and_scaled():
    data = load_fashion_mnist()
    assert data.x_train.shape == (60000, 28, 28) and data.x_test.shape == (10000, 28, 28)
    assert data.x_train.dtype == np.float32
    assert 0.0 == data.x_train.min() and data.x_train.max() == 1.0
    assert set(np.unique(data.y_train)) == set(range(10))
    assert np.bincount(data.y_test).tolist() == [1000] * 10


def test_explicit_data_directory_that_is_a_file_says_so(tmp_path):
    # it used to be called "does not exist", which sends the user looking for a typo
    blocker = tmp_path / "fmnist.tar"
    blocker.write_text("not a directory")
    with pytest.raises(DataError) as info:
        load_fashion_mnist(blocker)
    assert f"{blocker} (--data-dir) is a file, not a directory" in info.value.message
    assert "does not exist" not in info.value.message


def test_fmnist_data_naming_a_file_says_so(tmp_path, monkeypatch):
    blocker = tmp_path / "fmnist.tar"
    blocker.write_text("not a directory")
    monkeypatch.setenv("FMNIST_DATA", str(blocker))
    with pytest.raises(DataError, match=r"\(FMNIST_DATA\) is a file, not a directory"):
        locate()


def test_check_data_dir_refuses_early_with_a_config_error(tmp_path):
    from fmnist_tui.engine.data import check_data_dir
    from fmnist_tui.engine.errors import ConfigError

    blocker = tmp_path / "file"
    blocker.write_text("x")
    for bad, words in ((blocker, "is a file, not a directory"), (tmp_path / "nowhere", "does not exist")):
        with pytest.raises(ConfigError) as info:
            check_data_dir(bad)
        assert info.value.field == "data_dir" and str(bad) in info.value.message and words in info.value.message
    write_fake_set(tmp_path / "d", train=10, test=10)
    check_data_dir(tmp_path / "d")  # a directory passes; its files are checked when read
    check_data_dir(None)  # nothing given: the usual places are searched later


def test_data_dir_that_is_not_a_path_is_a_data_error():
    with pytest.raises(DataError, match="must be a path"):
        load_fashion_mnist(5)
