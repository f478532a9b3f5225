"""Datasets and synthetic tasks, offline first.

- :func:`fashion_mnist`: the real Fashion-MNIST (70,000 28x28 grey images, 10 classes), read from a
  local copy of the standard idx files (checksums verified), never needing the network when the
  Debian package ``dataset-fashion-mnist`` or a copy under ``$INFOLIB_DATA`` / ``./data`` exists.
- :func:`checkerboard`: the n-target checkerboard (CB) task of Kleinman et al. (ICLR 2021, B.4).
- :func:`color_by_label`, :func:`flip_binary_labels` and :func:`shuffle_labels`: the pieces of the
  two memorization tasks of Bansal et al. (NeurIPS 2022): a color that spuriously gives the label
  away, Colored MNIST's label noise, and partly shuffled labels (assembled in
  :mod:`infolib.memorization`).
- :func:`digits` (scikit-learn's 8x8 digits, shipped with scikit-learn) and :func:`mnist1d`
  (Greydanus's MNIST-1D, generated locally): small 10-class tasks that need no download.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import math
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from infolib.checks import integer, one_of, random_seed, real

__all__ = [
    "FASHION_MNIST_CLASSES",
    "Checkerboard",
    "DataError",
    "checkerboard",
    "color_by_label",
    "digits",
    "fashion_mnist",
    "flip_binary_labels",
    "mnist1d",
    "redraw_labels",
    "shuffle_labels",
]

# --------------------------------------------------------------------------------------------
# Fashion-MNIST
# --------------------------------------------------------------------------------------------

FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

#: Where the Debian package ``dataset-fashion-mnist`` installs the four gzipped idx files.
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")

#: The files of each split: (images, labels), each either raw or with a ``.gz`` suffix.
_SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

#: SHA-256 of the DECOMPRESSED content (re-gzipped copies, e.g. Debian's, differ as .gz bytes).
_SHA256 = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}

#: idx magic numbers: 0x0000 | type code 0x08 (unsigned byte) | number of dimensions.
_IDX_MAGIC = {3: 0x00000803, 1: 0x00000801}


class DataError(ValueError):
    """A dataset file exists but is corrupt (wrong checksum, bad gzip, bad idx header)."""


def _download_with_torchvision(root: Path) -> Path:
    """Download Fashion-MNIST with torchvision into ``root``; return the folder of the idx files.

    torchvision writes ``root/FashionMNIST/raw/*-ubyte`` (and the ``.gz`` files). Raises whatever
    torchvision raises (no network, torchvision missing); the caller turns that into guidance.
    """
    import torchvision

    torchvision.datasets.FashionMNIST(root=str(root), train=True, download=True)
    return Path(root) / "FashionMNIST" / "raw"


def _find(directory: Path, name: str) -> Path | None:
    """The file ``name`` (raw, preferred) or ``name.gz`` in ``directory``, or None."""
    for candidate in (directory / name, directory / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _split_paths(directory: Path, split: str) -> tuple[Path, Path] | None:
    """(images, labels) paths of ``split`` in ``directory`` when both exist, else None."""
    paths = [_find(directory, name) for name in _SPLIT_FILES[split]]
    if any(path is None for path in paths):
        return None
    return paths[0], paths[1]


def _parse_idx(data: bytes, ndim: int, source: str) -> np.ndarray:
    """Parse idx bytes (big-endian int32 magic, then ``ndim`` int32 sizes, then uint8 values)."""
    header = 4 * (1 + ndim)
    if len(data) < header:
        raise DataError(f"{source}: {len(data)} bytes is too short for an idx{ndim} header")
    magic, *dims = np.frombuffer(data, dtype=">i4", count=1 + ndim).tolist()
    if magic != _IDX_MAGIC[ndim]:
        raise DataError(
            f"{source}: idx magic number is {magic:#010x}, expected {_IDX_MAGIC[ndim]:#010x} "
            f"(unsigned bytes, {ndim} dimension(s))"
        )
    count = math.prod(dims)
    if len(data) - header != count:
        raise DataError(
            f"{source}: header announces dims {dims} ({count} values), "
            f"file holds {len(data) - header} values"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


#: How to fix a corrupt file, for the DataError messages.
_REPLACE_ADVICE = (
    "delete or replace it and call again (once it is deleted, fashion_mnist() looks for another "
    "copy or downloads one, and lists every way to provide the files if it finds none); for the "
    "Debian package's copy: sudo apt-get install --reinstall dataset-fashion-mnist."
)


@functools.lru_cache(maxsize=8)
def _load_verified(path: str, stamp: tuple[int, int]) -> torch.Tensor:
    """Decompress, SHA-256-check and parse one idx file; cached per (path, mtime, size).

    The stamp makes a replaced file be read again; exceptions are not cached by lru_cache.
    The returned uint8 tensor is private to the cache: callers must convert (copy) it.
    """
    name = Path(path).name.removesuffix(".gz")
    with open(path, "rb") as handle:
        raw = handle.read()
    if path.endswith(".gz"):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as error:  # BadGzipFile is an OSError
            raise DataError(
                f"Fashion-MNIST file {path} is not a valid gzip file "
                f"({type(error).__name__}: {error}): it is truncated or corrupt; " + _REPLACE_ADVICE
            ) from error
    actual = hashlib.sha256(raw).hexdigest()
    expected = _SHA256[name]
    if actual != expected:
        raise DataError(
            f"Fashion-MNIST file {path} failed its checksum: SHA-256 of the decompressed "
            f"content of {name} is expected to be {expected}, got {actual}. The file is corrupt "
            "or not the canonical release: " + _REPLACE_ADVICE
        )
    ndim = 3 if "images" in name else 1
    return torch.from_numpy(_parse_idx(raw, ndim, path).copy())


def _stamp(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_mtime_ns, info.st_size


def _candidate_dirs() -> list[tuple[str, Path]]:
    """Directories searched when ``root`` is not given, in order, with how each was chosen."""
    candidates = []
    env = os.environ.get("INFOLIB_DATA", "")
    if env:
        base = Path(env).expanduser()
        candidates += [("$INFOLIB_DATA/fashion-mnist", base / "fashion-mnist")]
        candidates += [("$INFOLIB_DATA", base)]
    candidates += [("./data/fashion-mnist", Path.cwd() / "data" / "fashion-mnist")]
    candidates += [("Debian package dataset-fashion-mnist", Path(DEBIAN_DIR))]
    return candidates


def _download_dir() -> Path:
    """Where torchvision downloads to and is looked for: ``$INFOLIB_DATA`` if set, else ./data.

    ``make`` sets ``INFOLIB_DATA`` to the repository's ./data, so a download made at the root is
    found again by chapters, which run in book/chapters.
    """
    env = os.environ.get("INFOLIB_DATA", "")
    return Path(env).expanduser() if env else Path.cwd() / "data"


def _try_torchvision(target: Path, split: str) -> tuple[tuple[Path, Path] | None, str]:
    """Files of ``split`` from an earlier or a new torchvision download into ``target``.

    Returns (paths, "") or (None, a line for the error message). Folders that a failed download
    created and left empty are removed, so that a failed attempt leaves no trace.
    """
    raw_dir = target / "FashionMNIST" / "raw"
    paths = _split_paths(raw_dir, split)  # an earlier download
    if paths is not None:
        return paths, ""
    new_dirs = [d for d in (raw_dir, raw_dir.parent, target) if not d.exists()]
    try:
        paths = _split_paths(_download_with_torchvision(target), split)
        reason = "finished without the files"
    except Exception as error:  # no network, no torchvision: fall through to the guidance
        reason = f"failed: {type(error).__name__}: {' '.join(str(error).split())}"
    if paths is not None:
        return paths, ""
    for directory in new_dirs:
        try:
            directory.rmdir()  # only if empty
        except OSError:
            pass
    return None, f"{raw_dir}  (torchvision download into {target}: {reason})"


def _not_found_message(split: str, searched: list[str]) -> str:
    images, labels = _SPLIT_FILES[split]
    files = ", ".join(name for pair in _SPLIT_FILES.values() for name in pair)
    lines = [
        f"Fashion-MNIST {split!r} split not found: need {images} and {labels} "
        "(raw or gzipped .gz) in one directory. Searched:",
        *(f"  - {entry}" for entry in searched),
        "Provide the data in any one of these ways:",
        f"  1. sudo apt-get install dataset-fashion-mnist   (installs the files into {DEBIAN_DIR})",
        "  2. export INFOLIB_DATA=/path   with the four files in /path or in /path/fashion-mnist",
        f"  3. put the four files in ./data/fashion-mnist   (under the working directory, "
        f"now {Path.cwd()})",
        "  4. pass root='/path/to/files' to fashion_mnist()",
        "  5. with network access: leave root=None and torchvision downloads them into "
        "$INFOLIB_DATA if set, else ./data (torchvision.datasets.FashionMNIST(root=..., "
        "download=True))",
        f"The four files: {files}.",
    ]
    return "\n".join(lines)


def fashion_mnist(split: str = "train", *, root=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Fashion-MNIST images and labels, from a local copy of the idx files, checksums verified.

    Returns ``(x, y)``: ``x`` float32 of shape (N, 1, 28, 28), pixel value / 255 in [0, 1];
    ``y`` int64 of shape (N,), class index in 0..9 (names in :data:`FASHION_MNIST_CLASSES`).
    N = 60,000 for ``split="train"``, 10,000 for ``split="test"``.

    Where the files are looked for: ``root`` only, when given; otherwise
    ``$INFOLIB_DATA/fashion-mnist``, ``$INFOLIB_DATA``, ``./data/fashion-mnist``,
    :data:`DEBIAN_DIR` (Debian package ``dataset-fashion-mnist``), then torchvision's download
    into ``$INFOLIB_DATA`` (if set) or ``./data``. Each file may be raw or ``.gz``; the SHA-256
    of its decompressed content must match the canonical release (:class:`DataError` otherwise).
    Raises ``FileNotFoundError`` listing every way to provide the data when no copy is found.
    Parsed files are cached in memory (each hashed once per process); every call returns new
    tensors.
    Cost: about 1 s for the first train load, 0.1-0.3 s after (the float32 copy).
    """
    one_of("split", split, _SPLIT_FILES)
    if root is not None:
        if not isinstance(root, str | os.PathLike):
            raise TypeError(
                f"root must be a path (str or os.PathLike) or None, got {type(root).__name__}"
            )
        candidates = [("root=", Path(root).expanduser())]
    else:
        candidates = _candidate_dirs()

    searched = []
    paths = None
    for label, directory in candidates:
        paths = _split_paths(directory, split)
        if paths is not None:
            break
        state = "missing files" if directory.is_dir() else "no such directory"
        searched.append(f"{directory}  ({label}: {state})")

    if paths is None and root is None:
        paths, note = _try_torchvision(_download_dir(), split)
        if paths is None:
            searched.append(note)

    if paths is None:
        raise FileNotFoundError(_not_found_message(split, searched))

    images_path, labels_path = paths
    images = _load_verified(str(images_path), _stamp(images_path))
    labels = _load_verified(str(labels_path), _stamp(labels_path))
    if images.shape[0] != labels.shape[0] or tuple(images.shape[1:]) != (28, 28):
        raise DataError(
            f"Fashion-MNIST {split!r}: images {tuple(images.shape)} in {images_path} do not match "
            f"labels {tuple(labels.shape)} in {labels_path}; expected (N, 28, 28) and (N,)"
        )
    x = images.to(torch.float32).div_(255.0).unsqueeze(1)
    y = labels.to(torch.int64)
    return x, y


# --------------------------------------------------------------------------------------------
# The n-target checkerboard task
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkerboard:
    """Samples of the n-target checkerboard task.

    ``x``: float32 (n_samples, n + n*n): the checkerboard's noisy one-hot color (columns 0..n-1),
    then target j's one-hot color in columns n + j*n .. n + (j+1)*n - 1.
    ``direction``: int64 (n_samples,), the target whose color is the checkerboard's.
    ``color``: int64 (n_samples,), the checkerboard's dominant color.
    """

    x: torch.Tensor
    direction: torch.Tensor
    color: torch.Tensor
    n_colors: int


def checkerboard(
    n_colors: int, n_samples: int, *, noise: float = 0.1, seed: int = 0
) -> Checkerboard:
    """Sample the n-target checkerboard (CB) task (Kleinman et al., ICLR 2021, appendix B.4).

    Per sample: the checkerboard color c ~ Uniform{0..n-1}, given as one-hot(c) + N(0, noise^2)
    noise; the n targets get the n colors in a uniformly random permutation pi (target j has color
    pi(j)), each as a noiseless one-hot; x = [one-hot(c) + noise, one-hot(pi(0)), ...,
    one-hot(pi(n-1))]. Labels: ``color`` = c and ``direction`` = pi^{-1}(c), the target with the
    checkerboard's color. Direction and color are independent and uniform, so
    H(direction) = H(color) = log2(n) bits, and direction is a function of x (for small noise).
    Same ``seed``, same data. Cost: O(n_samples * n^2) memory and time, vectorized.
    """
    n = integer("n_colors", n_colors, minimum=2)
    n_samples = integer("n_samples", n_samples, minimum=1)
    noise = real("noise", noise, minimum=0)
    generator = torch.Generator().manual_seed(random_seed("seed", seed))
    color = torch.randint(n, (n_samples,), generator=generator)
    # argsort of i.i.d. uniforms is a uniformly random permutation per row: target j -> color
    target_colors = torch.rand(n_samples, n, generator=generator).argsort(dim=1)
    direction = (target_colors == color[:, None]).to(torch.int64).argmax(dim=1)

    x = torch.zeros(n_samples, n + n * n)
    x[torch.arange(n_samples), color] = 1.0
    if noise > 0:
        x[:, :n] += noise * torch.randn(n_samples, n, generator=generator)
    x[:, n:].view(n_samples, n, n).scatter_(2, target_colors[:, :, None], 1.0)
    return Checkerboard(x=x, direction=direction, color=color, n_colors=n)


# --------------------------------------------------------------------------------------------
# Memorization tasks (Bansal et al., NeurIPS 2022, appendix B.1 and B.5)
# --------------------------------------------------------------------------------------------


def _chosen(n: int, fraction: float, generator: torch.Generator) -> torch.Tensor:
    """Indices of round(fraction * n) samples drawn without replacement."""
    return torch.randperm(n, generator=generator)[: round(fraction * n)]


def color_by_label(
    images: torch.Tensor, labels: torch.Tensor, alpha: float, *, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Color grey ``images`` (N, 1, H, W) red or green; return (images (N, 2, H, W), color).

    Colored MNIST as in Bansal et al. (B.1), after Arjovsky et al. (2019): binary ``labels`` 0/1;
    a random fraction ``alpha`` of the images (exactly round(alpha * N)) gets the label's color
    (0 -> green, 1 -> red), the others a color drawn uniformly at random, independent of the label.
    So the color agrees with the label on a fraction alpha + (1 - alpha) / 2 of the images in
    expectation; ``alpha = 0`` colors everything at random (the evaluation sets). Channel 0 is red
    and channel 1 green: an image's pixels go to its color's channel, the other channel is zero.
    ``color`` (N,) is 1 for red, 0 for green. Same ``seed``, same coloring.
    """
    alpha = real("alpha", alpha, minimum=0, maximum=1)
    if images.ndim != 4 or images.shape[1] != 1:
        raise ValueError(f"images must have shape (N, 1, H, W), got {tuple(images.shape)}")
    if labels.shape != (len(images),):
        raise ValueError(f"labels must have shape ({len(images)},), got {tuple(labels.shape)}")
    if not bool(((labels == 0) | (labels == 1)).all()):
        raise ValueError("labels must be binary (0 or 1)")
    generator = torch.Generator().manual_seed(random_seed("seed", seed))
    color = torch.randint(2, (len(images),), generator=generator)
    follows = _chosen(len(images), alpha, generator)
    color[follows] = labels[follows].to(color.dtype)
    red = color.to(images.dtype)[:, None, None, None]
    return torch.cat([images * red, images * (1 - red)], dim=1), color


def flip_binary_labels(labels: torch.Tensor, fraction: float, *, seed: int = 0) -> torch.Tensor:
    """A copy of binary ``labels`` (0/1) with a random ``fraction`` of them flipped (y -> 1 - y).

    Exactly round(fraction * N) positions are chosen. The label noise of Colored MNIST (Arjovsky
    et al., 2019, and Bansal et al.'s code: 25%, in training and evaluation sets alike), which
    makes the digit a worse predictor of the label (75%) than a color that always agrees with it.
    Same ``seed``, same flips.
    """
    fraction = real("fraction", fraction, minimum=0, maximum=1)
    if (labels.ndim != 1 or labels.dtype == torch.bool or labels.is_floating_point()
            or not bool(((labels == 0) | (labels == 1)).all())):
        raise ValueError("labels must be a 1-D integer tensor of binary labels (0 or 1), got "
                         f"dtype {labels.dtype}, shape {tuple(labels.shape)}")
    generator = torch.Generator().manual_seed(random_seed("seed", seed))
    flipped = labels.clone()
    chosen = _chosen(len(labels), fraction, generator)
    flipped[chosen] = 1 - flipped[chosen]
    return flipped


def shuffle_labels(labels: torch.Tensor, fraction: float, *, seed: int = 0) -> torch.Tensor:
    """A copy of ``labels`` whose entries at a random ``fraction`` of positions are permuted.

    Shuffled MNIST as Bansal et al.'s text (B.5, "shuffled") reads literally; their code redraws
    the labels instead (:func:`redraw_labels`, which the book uses). Exactly round(fraction * N)
    positions are chosen and their labels randomly permuted among themselves, so the label
    histogram is unchanged while the chosen labels no longer depend on their inputs (some land on
    their own label by chance).
    ``fraction = 1`` shuffles every label. Same ``seed``, same shuffle.
    """
    fraction = real("fraction", fraction, minimum=0, maximum=1)
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-D, got shape {tuple(labels.shape)}")
    generator = torch.Generator().manual_seed(random_seed("seed", seed))
    chosen = _chosen(len(labels), fraction, generator)
    shuffled = labels.clone()
    shuffled[chosen] = labels[chosen[torch.randperm(len(chosen), generator=generator)]]
    return shuffled


def redraw_labels(labels: torch.Tensor, fraction: float, *, n_classes: int,
                  seed: int = 0) -> torch.Tensor:
    """A copy of ``labels`` whose entries at a random ``fraction`` of positions are redrawn
    uniformly from 0 .. n_classes - 1.

    Shuffled MNIST as Bansal et al.'s code builds it (``make_shuffled_environment``: a fraction
    beta of the training labels replaced by uniformly random ones; their paper's text says
    "shuffled", which :func:`shuffle_labels` reads as a permutation). Exactly round(fraction * N)
    positions are chosen (the code draws each position with probability beta); a redrawn label
    equals the old one with probability 1 / n_classes, so about fraction * (1 - 1 / n_classes) of
    the labels change. Unlike a permutation, the label histogram moves towards uniform. Same
    ``seed``, same labels.
    """
    fraction = real("fraction", fraction, minimum=0, maximum=1)
    n_classes = integer("n_classes", n_classes, minimum=2)
    if labels.ndim != 1 or labels.dtype == torch.bool or labels.is_floating_point():
        raise ValueError("labels must be a 1-D integer tensor, got dtype "
                         f"{labels.dtype}, shape {tuple(labels.shape)}")
    if n_classes - 1 > torch.iinfo(labels.dtype).max:  # a redrawn label would wrap around
        raise ValueError(f"labels of dtype {labels.dtype} cannot hold the classes 0 .. "
                         f"{n_classes - 1}: convert them first (labels.long())")
    if len(labels) and not bool(((labels >= 0) & (labels.long() < n_classes)).all()):
        raise ValueError(f"labels must lie in 0 .. {n_classes - 1} (n_classes={n_classes})")
    generator = torch.Generator().manual_seed(random_seed("seed", seed))
    chosen = _chosen(len(labels), fraction, generator)
    redrawn = labels.clone()
    redrawn[chosen] = torch.randint(n_classes, (len(chosen),), generator=generator).to(labels.dtype)
    return redrawn


# --------------------------------------------------------------------------------------------
# Small offline 10-class tasks
# --------------------------------------------------------------------------------------------


def digits() -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's handwritten digits: x (1797, 1, 8, 8) float32 in [0, 1], y (1797,) int64.

    The UCI optical digits test set as shipped inside scikit-learn (no download); pixel counts
    0-16 are divided by 16.
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = torch.tensor(bunch.images / 16.0, dtype=torch.float32)[:, None]
    return x, torch.tensor(bunch.target, dtype=torch.int64)


def mnist1d(n_samples: int = 5000, *, seed: int = 42) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST-1D (Greydanus, 2020), generated locally: x (n, 1, 40) float32, y (n,) int64.

    The package's own generator (``mnist1d.data.make_dataset``) with its default arguments except
    ``num_samples`` and ``seed`` (the package's default data set is ``seed=42``, 5,000 samples);
    the train/test split of the package is undone: all ``n_samples`` are returned, in the
    generator's shuffled order, standardized as the package does. The generator makes
    ``n_samples // 10`` of each class, so ``n_samples`` must be a multiple of 10 (another would
    silently return fewer). The generator seeds Python's and numpy's global random state; both
    are restored afterwards. Nothing is downloaded.
    """
    import random

    from mnist1d.data import get_dataset_args, make_dataset

    n_samples = integer("n_samples", n_samples, minimum=10)
    if n_samples % 10:
        raise ValueError(f"n_samples must be a multiple of 10 (the generator makes n_samples // 10 "
                         f"of each of the 10 classes), got {n_samples}")
    seed = random_seed("seed", seed)
    args = get_dataset_args()
    args.num_samples, args.seed, args.train_split = n_samples, seed, 1.0
    python_state, numpy_state = random.getstate(), np.random.get_state()
    try:
        data = make_dataset(args)
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)
    x = torch.tensor(data["x"], dtype=torch.float32)[:, None]
    return x, torch.tensor(data["y"], dtype=torch.int64)
