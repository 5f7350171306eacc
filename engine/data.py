"""Finding, reading and validating the real Fashion-MNIST in its original IDX `.gz` form.

Search order: an explicit directory (`--data-dir` or `FMNIST_DATA`), Keras's cache
(`~/.keras/datasets/fashion-mnist`), the Debian/Ubuntu package `dataset-fashion-mnist`
(`/usr/share/datasets/fashion-mnist`), and finally a download through
`keras.datasets.fashion_mnist`. What is read is checked (magic numbers, counts, image
size, label range, SHA-256 of the decompressed content) so a damaged file is reported
by name instead of silently training on garbage.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np

from .errors import ConfigError, DataError

CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

IMAGE_MAGIC = 2051
LABEL_MAGIC = 2049
ROWS = COLS = 28


@dataclass(frozen=True)
class IdxFile:
    name: str
    kind: str  # "images" or "labels"
    count: int
    sha256: str  # of the decompressed content


# SHA-256 of the decompressed originals (the .gz wrappers differ between mirrors).
FILES: Mapping[str, IdxFile] = {
    "train_images": IdxFile("train-images-idx3-ubyte.gz", "images", 60000,
                            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
    "train_labels": IdxFile("train-labels-idx1-ubyte.gz", "labels", 60000,
                            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
    "test_images": IdxFile("t10k-images-idx3-ubyte.gz", "images", 10000,
                           "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
    "test_labels": IdxFile("t10k-labels-idx1-ubyte.gz", "labels", 10000,
                           "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
}

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
KERAS_CACHE_DIR = Path("~/.keras/datasets/fashion-mnist")
INSTALL_HINT = (
    "Install it with `sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu), "
    "or put the four original .gz files in a directory and pass --data-dir DIR "
    "(or set FMNIST_DATA)."
)


@dataclass(frozen=True)
class Dataset:
    """Images as float32 in [0, 1] with shape (n, 28, 28); labels as uint8 in 0–9."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str = ""

    def __post_init__(self) -> None:
        if len(self.x_train) != len(self.y_train) or len(self.x_test) != len(self.y_test):
            raise DataError("Images and labels differ in count.", "Check the data set files.")


def _decompress(path: Path) -> bytes:
    try:
        with gzip.open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise DataError(f"{path} does not exist.", INSTALL_HINT) from None
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(
            f"{path} is not a readable gzip file ({exc}); it is probably truncated or corrupted.",
            f"Delete it and fetch it again. {INSTALL_HINT}",
        ) from None


def parse_idx(raw: bytes, spec: IdxFile, path: Path, verify_checksum: bool = True) -> np.ndarray:
    """Decode one decompressed IDX file, checking its header against what `spec` expects."""
    damaged = f"Delete {path.name} and fetch it again. {INSTALL_HINT}"
    header_len = 16 if spec.kind == "images" else 8
    if len(raw) < header_len:
        raise DataError(f"{path} is too short to be an IDX file ({len(raw)} bytes).", damaged)
    magic, count = int.from_bytes(raw[0:4], "big"), int.from_bytes(raw[4:8], "big")
    expected_magic = IMAGE_MAGIC if spec.kind == "images" else LABEL_MAGIC
    if magic != expected_magic:
        raise DataError(
            f"{path} has magic number {magic}, expected {expected_magic} for an IDX {spec.kind} file.",
            damaged,
        )
    if count != spec.count:
        raise DataError(f"{path} holds {count} {spec.kind}, expected {spec.count}.", damaged)
    if spec.kind == "images":
        rows, cols = int.from_bytes(raw[8:12], "big"), int.from_bytes(raw[12:16], "big")
        if (rows, cols) != (ROWS, COLS):
            raise DataError(f"{path} has {rows}×{cols} images, expected {ROWS}×{COLS}.", damaged)
        expected_len = header_len + count * ROWS * COLS
    else:
        expected_len = header_len + count
    if len(raw) != expected_len:
        raise DataError(
            f"{path} has {len(raw)} bytes of data, expected {expected_len}; it is truncated or padded.",
            damaged,
        )
    if verify_checksum:
        digest = hashlib.sha256(raw).hexdigest()
        if digest != spec.sha256:
            raise DataError(
                f"{path} does not match the original Fashion-MNIST (SHA-256 {digest[:12]}…, "
                f"expected {spec.sha256[:12]}…); it is corrupted or a different data set.",
                damaged,
            )
    array = np.frombuffer(raw, dtype=np.uint8, offset=header_len)
    if spec.kind == "images":
        return array.reshape(count, ROWS, COLS)
    if array.max(initial=0) > 9:
        raise DataError(f"{path} has labels outside 0–9.", damaged)
    return array


def read_idx_dir(directory: Path, verify_checksums: bool = True) -> Dataset:
    """Read and validate the four files in `directory`; pixels scaled to [0, 1] float32."""
    directory = Path(directory)
    arrays = {}
    for key, spec in FILES.items():
        path = directory / spec.name
        arrays[key] = parse_idx(_decompress(path), spec, path, verify_checksums)
    scale = np.float32(1.0 / 255.0)
    return Dataset(
        x_train=arrays["train_images"].astype(np.float32) * scale,
        y_train=arrays["train_labels"].copy(),
        x_test=arrays["test_images"].astype(np.float32) * scale,
        y_test=arrays["test_labels"].copy(),
        source=str(directory),
    )


def _has_all_files(directory: Path) -> bool:
    return all((directory / spec.name).is_file() for spec in FILES.values())


def candidate_dirs(data_dir: str | os.PathLike | None = None) -> list[tuple[str, Path]]:
    """Where to look, in order, as (label, path) pairs."""
    found: list[tuple[str, Path]] = []
    explicit = data_dir or os.environ.get("FMNIST_DATA")
    if explicit:
        label = "--data-dir" if data_dir else "FMNIST_DATA"
        if not isinstance(explicit, (str, os.PathLike)):
            raise DataError(f"The data directory ({label}) must be a path, got {explicit!r}.", INSTALL_HINT)
        found.append((label, Path(explicit).expanduser()))
    found.append(("Keras cache", KERAS_CACHE_DIR.expanduser()))
    found.append(("Debian package", DEBIAN_DIR))
    return found


def locate(data_dir: str | os.PathLike | None = None) -> Path | None:
    """The first directory holding all four files, or None (an explicit one must exist)."""
    for label, directory in candidate_dirs(data_dir):
        if label in ("--data-dir", "FMNIST_DATA"):
            if not directory.is_dir():
                raise DataError(f"The data directory {directory} ({label}) {_what_is(directory)}.", INSTALL_HINT)
            if not _has_all_files(directory):
                missing = [s.name for s in FILES.values() if not (directory / s.name).is_file()]
                raise DataError(
                    f"The data directory {directory} ({label}) lacks {', '.join(missing)}.", INSTALL_HINT
                )
            return directory
        if _has_all_files(directory):
            return directory
    return None


def _what_is(path: Path) -> str:
    """Why a path is not a usable directory: "does not exist" only when that is true."""
    if path.is_file():
        return "is a file, not a directory"
    if path.exists():
        return "is not a directory"
    return "does not exist"


def check_data_dir(data_dir: str | os.PathLike | None) -> None:
    """Refuse an explicit data directory that is not one, before any run starts.

    Raises a `ConfigError` on field "data_dir" so that a front end names the option or
    variable that set it; the files inside are checked when they are read.
    """
    if data_dir in (None, ""):
        return
    if not isinstance(data_dir, (str, os.PathLike)):
        raise ConfigError("data_dir", f"The data directory must be a path, got {data_dir!r}.")
    directory = Path(data_dir).expanduser()
    if directory.suffix.lower() == ".npz" and directory.is_file():
        return  # a prepared subset (see data_npz.py)
    if not directory.is_dir():
        raise ConfigError("data_dir", f"The data directory {directory} {_what_is(directory)}.", INSTALL_HINT)


def download_with_keras() -> Path:
    """Fetch the data through Keras into its cache; raise a clear DataError when offline."""
    from ._tf import quieten_tensorflow_logs

    quieten_tensorflow_logs()
    try:
        import keras

        keras.datasets.fashion_mnist.load_data()
    except Exception as exc:
        raise DataError(
            f"Fashion-MNIST is not on this machine and downloading it through Keras failed ({exc}).",
            INSTALL_HINT,
        ) from None
    directory = KERAS_CACHE_DIR.expanduser()
    if not _has_all_files(directory):
        raise DataError(f"Keras reported a download but {directory} lacks the files.", INSTALL_HINT)
    return directory


def load_fashion_mnist(
    data_dir: str | os.PathLike | None = None, allow_download: bool = True, verify_checksums: bool = True
) -> Dataset:
    """Find and read the real data set (see the module docstring for the search order)."""
    directory = locate(data_dir)
    if directory is None:
        if not allow_download:
            searched = ", ".join(str(p) for _, p in candidate_dirs(data_dir))
            raise DataError(f"Fashion-MNIST was not found (searched {searched}).", INSTALL_HINT)
        directory = download_with_keras()
    return read_idx_dir(directory, verify_checksums)


def write_idx_gz(path: Path, array: np.ndarray, kind: str) -> None:
    """Write an IDX `.gz` file (used by tests to make small or damaged data sets)."""
    array = np.asarray(array, dtype=np.uint8)
    magic = IMAGE_MAGIC if kind == "images" else LABEL_MAGIC
    header = magic.to_bytes(4, "big") + len(array).to_bytes(4, "big")
    if kind == "images":
        header += array.shape[1].to_bytes(4, "big") + array.shape[2].to_bytes(4, "big")
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.tobytes())

