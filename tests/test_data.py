"""Tests of infolib.data: the checkerboard task and the offline Fashion-MNIST loader."""

import gzip
import shutil
import zlib

import numpy as np
import pytest
import torch
from scipy.stats import chi2_contingency

from infolib import data

# --------------------------------------------------------------------------------------------
# checkerboard
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 10])
def test_checkerboard_shapes_dtypes_and_ranges(n):
    cb = data.checkerboard(n, 500, seed=1)
    assert cb.n_colors == n
    assert cb.x.shape == (500, n + n * n) and cb.x.dtype == torch.float32
    assert cb.direction.shape == (500,) and cb.direction.dtype == torch.int64
    assert cb.color.shape == (500,) and cb.color.dtype == torch.int64
    for labels in (cb.direction, cb.color):
        assert labels.min() >= 0 and labels.max() <= n - 1
    assert torch.isfinite(cb.x).all()


@pytest.mark.parametrize("n", [2, 10])
def test_checkerboard_encodes_color_and_direction(n):
    cb = data.checkerboard(n, 2000, noise=0.0, seed=3)
    board = cb.x[:, :n]
    assert torch.equal(board.sum(dim=1), torch.ones(2000))
    assert torch.equal(board.argmax(dim=1), cb.color)
    targets = cb.x[:, n:].reshape(2000, n, n)  # (sample, target j, color one-hot)
    assert torch.equal(targets.sum(dim=2), torch.ones(2000, n))  # each target: one color
    assert torch.equal(targets.sum(dim=1), torch.ones(2000, n))  # each color: one target
    target_colors = targets.argmax(dim=2)
    assert torch.equal(target_colors[torch.arange(2000), cb.direction], cb.color)


def test_checkerboard_noise_is_only_on_the_board():
    clean = data.checkerboard(4, 3000, noise=0.0, seed=5)
    noisy = data.checkerboard(4, 3000, noise=0.1, seed=5)
    assert torch.equal(clean.x[:, 4:], noisy.x[:, 4:])
    assert torch.equal(clean.color, noisy.color)
    assert torch.equal(clean.direction, noisy.direction)
    residual = noisy.x[:, :4] - clean.x[:, :4]
    assert abs(residual.mean().item()) < 0.01
    assert residual.std().item() == pytest.approx(0.1, rel=0.05)
    assert torch.equal(noisy.x[:, :4].argmax(dim=1), noisy.color)  # 0.1 noise keeps the argmax


def test_checkerboard_direction_and_color_independent_and_uniform():
    n, samples = 2, 20_000
    cb = data.checkerboard(n, samples, seed=0)
    joint = torch.zeros(n, n)
    joint.index_put_((cb.direction, cb.color), torch.ones(samples), accumulate=True)
    joint /= samples
    product = joint.sum(dim=1, keepdim=True) * joint.sum(dim=0, keepdim=True)
    assert (joint - product).abs().max() < 0.02
    assert chi2_contingency((joint * samples).numpy())[1] > 0.001
    assert (joint.sum(dim=0) - 1 / n).abs().max() < 0.02
    assert (joint.sum(dim=1) - 1 / n).abs().max() < 0.02

    cb10 = data.checkerboard(10, samples, seed=0)
    table = np.zeros((10, 10))
    np.add.at(table, (cb10.direction.numpy(), cb10.color.numpy()), 1)
    assert chi2_contingency(table)[1] > 0.001
    assert np.abs(table.sum(axis=0) / samples - 0.1).max() < 0.02
    assert np.abs(table.sum(axis=1) / samples - 0.1).max() < 0.02


def test_checkerboard_seed():
    a, b = data.checkerboard(5, 300, seed=7), data.checkerboard(5, 300, seed=7)
    assert torch.equal(a.x, b.x) and torch.equal(a.direction, b.direction)
    assert torch.equal(a.color, b.color)
    c = data.checkerboard(5, 300, seed=8)
    assert not torch.equal(a.x, c.x)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n_colors=1, n_samples=10), "n_colors"),
        (dict(n_colors=0, n_samples=10), "n_colors"),
        (dict(n_colors=2, n_samples=0), "n_samples"),
        (dict(n_colors=2, n_samples=10, noise=-0.1), "noise"),
        (dict(n_colors=2, n_samples=10, noise=float("nan")), "noise"),
        (dict(n_colors=2, n_samples=10, noise=float("inf")), "noise"),
    ],
)
def test_checkerboard_bad_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.checkerboard(**kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n_colors=2.5, n_samples=10), "n_colors"),
        (dict(n_colors=True, n_samples=10), "n_colors"),
        (dict(n_colors=2, n_samples="10"), "n_samples"),
        (dict(n_colors=2, n_samples=10, noise="0.1"), "noise"),
        (dict(n_colors=2, n_samples=10, seed=0.5), "seed"),
    ],
)
def test_checkerboard_bad_types(kwargs, match):
    with pytest.raises(TypeError, match=match):
        data.checkerboard(**kwargs)


def test_checkerboard_is_frozen():
    cb = data.checkerboard(2, 4)
    with pytest.raises(AttributeError):
        cb.n_colors = 3


# --------------------------------------------------------------------------------------------
# Fashion-MNIST
# --------------------------------------------------------------------------------------------

DEBIAN = data.DEBIAN_DIR
needs_debian = pytest.mark.skipif(
    not DEBIAN.is_dir(),
    reason=f"{DEBIAN} is absent (install the Debian package dataset-fashion-mnist)",
)
TEST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No data anywhere: empty INFOLIB_DATA, empty cwd, no Debian dir, a failing download."""
    empty = tmp_path / "empty"
    empty.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("INFOLIB_DATA", str(empty))
    monkeypatch.chdir(work)
    monkeypatch.setattr(data, "DEBIAN_DIR", tmp_path / "no-debian")

    def no_network(root):
        (root / "FashionMNIST" / "raw").mkdir(parents=True)  # as torchvision does, then fails
        raise OSError("no network in this test")

    monkeypatch.setattr(data, "_download_with_torchvision", no_network)
    return tmp_path


def _copy_test_split(directory):
    directory.mkdir(parents=True, exist_ok=True)
    for name in TEST_FILES:
        shutil.copy(DEBIAN / name, directory / name)
    return directory


@needs_debian
def test_fashion_mnist_debian_copy():
    for split, n in (("train", 60_000), ("test", 10_000)):
        x, y = data.fashion_mnist(split, root=DEBIAN)
        assert x.shape == (n, 1, 28, 28) and x.dtype == torch.float32
        assert y.shape == (n,) and y.dtype == torch.int64
        assert x.min() == 0.0 and x.max() == 1.0
        assert torch.equal(y.bincount(minlength=10), torch.full((10,), n // 10))
    assert len(data.FASHION_MNIST_CLASSES) == 10
    assert data.FASHION_MNIST_CLASSES[0] == "T-shirt/top"
    assert data.FASHION_MNIST_CLASSES[9] == "Ankle boot"


@needs_debian
def test_fashion_mnist_found_in_debian_dir_by_default(offline, monkeypatch):
    monkeypatch.setattr(data, "DEBIAN_DIR", DEBIAN)
    x, y = data.fashion_mnist("test")
    assert x.shape == (10_000, 1, 28, 28) and y.shape == (10_000,)


@needs_debian
def test_fashion_mnist_returns_fresh_tensors():
    x1, y1 = data.fashion_mnist("test", root=DEBIAN)
    x1.zero_()
    y1.zero_()
    x2, y2 = data.fashion_mnist("test", root=DEBIAN)
    assert x2.max() == 1.0 and y2.max() == 9


@needs_debian
def test_fashion_mnist_root_with_a_copy(tmp_path):
    _copy_test_split(tmp_path)
    x, y = data.fashion_mnist("test", root=str(tmp_path))
    reference_x, reference_y = data.fashion_mnist("test", root=DEBIAN)
    assert torch.equal(x, reference_x) and torch.equal(y, reference_y)
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        data.fashion_mnist("train", root=tmp_path)  # only the test split was copied


@needs_debian
def test_fashion_mnist_raw_files_work(tmp_path):
    for name in TEST_FILES:
        content = gzip.decompress((DEBIAN / name).read_bytes())
        (tmp_path / name.removesuffix(".gz")).write_bytes(content)
    x, y = data.fashion_mnist("test", root=tmp_path)
    assert x.shape == (10_000, 1, 28, 28) and y.shape == (10_000,)


@needs_debian
@pytest.mark.parametrize("subfolder", ["fashion-mnist", "."])
def test_fashion_mnist_infolib_data(offline, monkeypatch, subfolder):
    base = offline / "store"
    _copy_test_split(base / subfolder)
    monkeypatch.setenv("INFOLIB_DATA", str(base))
    x, _ = data.fashion_mnist("test")
    assert x.shape == (10_000, 1, 28, 28)


@needs_debian
def test_fashion_mnist_cwd_data(offline):
    _copy_test_split(offline / "work" / "data" / "fashion-mnist")
    x, _ = data.fashion_mnist("test")
    assert x.shape == (10_000, 1, 28, 28)


@needs_debian
def test_fashion_mnist_download_fallback_is_used(offline, monkeypatch):
    calls = []

    def fake_download(root):
        calls.append(root)
        return _copy_test_split(root / "FashionMNIST" / "raw")

    monkeypatch.setattr(data, "_download_with_torchvision", fake_download)
    x, _ = data.fashion_mnist("test")
    assert x.shape == (10_000, 1, 28, 28)
    assert calls == [offline / "empty"]  # $INFOLIB_DATA, where make points it
    data.fashion_mnist("test")  # already downloaded: found without calling torchvision again
    assert len(calls) == 1


def test_fashion_mnist_downloads_into_dot_data_without_infolib_data(offline, monkeypatch):
    monkeypatch.delenv("INFOLIB_DATA")
    calls = []

    def recording_download(root):
        calls.append(root)
        raise OSError("no network in this test")

    monkeypatch.setattr(data, "_download_with_torchvision", recording_download)
    with pytest.raises(FileNotFoundError, match="no network in this test"):
        data.fashion_mnist("test")
    assert calls == [offline / "work" / "data"]


@needs_debian
@pytest.mark.parametrize("compressed", [True, False])
def test_fashion_mnist_corrupt_file_fails_checksum(tmp_path, compressed):
    _copy_test_split(tmp_path)
    labels = tmp_path / "t10k-labels-idx1-ubyte.gz"
    content = bytearray(gzip.decompress(labels.read_bytes()))
    content[100] = (content[100] + 1) % 10  # a plausible but wrong label
    labels.unlink()
    if compressed:
        labels.write_bytes(gzip.compress(bytes(content)))
    else:
        (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(bytes(content))
    with pytest.raises(data.DataError, match="t10k-labels-idx1-ubyte") as info:
        data.fashion_mnist("test", root=tmp_path)
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34" in message
    assert "delete or replace" in message


def test_fashion_mnist_bad_gzip(tmp_path):
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(b"not gzip at all")
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not gzip either")
    with pytest.raises(data.DataError, match="t10k-images-idx3-ubyte.gz") as info:
        data.fashion_mnist("test", root=tmp_path)
    assert "dataset-fashion-mnist" in str(info.value)


def _write_small_test_split(directory):
    """A small synthetic t10k split: 50 images (mostly 0, some 200: compressible, so that the
    deflate stream has Huffman blocks) and 50 labels, as gzipped idx files. Returns the images
    file."""
    rng = np.random.default_rng(0)
    images = (rng.random((50, 28, 28)) < 0.3).astype(np.uint8) * 200
    labels = rng.integers(0, 10, 50, dtype=np.uint8)
    for name, dims, values in (
        ("t10k-images-idx3-ubyte.gz", [0x803, 50, 28, 28], images),
        ("t10k-labels-idx1-ubyte.gz", [0x801, 50], labels),
    ):
        content = np.array(dims, ">i4").tobytes() + values.tobytes()
        (directory / name).write_bytes(gzip.compress(content, mtime=0))
    return directory / "t10k-images-idx3-ubyte.gz"


def test_fashion_mnist_synthetic_files_fail_the_checksum_not_the_parser(tmp_path):
    _write_small_test_split(tmp_path)
    with pytest.raises(data.DataError, match="t10k-images-idx3-ubyte.gz failed its checksum"):
        data.fashion_mnist("test", root=tmp_path)


# 11: the first bytes of the deflate stream (zlib.error: invalid code lengths); the middle of the
# stream; the CRC-32 and the length in the gzip trailer (gzip.BadGzipFile)
@pytest.mark.parametrize("where", [11, "middle", -8, -1])
def test_fashion_mnist_gzip_with_a_flipped_byte(tmp_path, where):
    images = _write_small_test_split(tmp_path)
    corrupt = bytearray(images.read_bytes())
    position = len(corrupt) // 2 if where == "middle" else where
    corrupt[position] ^= 0xFF
    images.write_bytes(bytes(corrupt))
    with pytest.raises(data.DataError, match="not a valid gzip file") as info:
        data.fashion_mnist("test", root=tmp_path)
    message = str(info.value)
    assert str(images) in message
    assert "delete or replace it" in message
    assert "apt-get install --reinstall dataset-fashion-mnist" in message
    assert isinstance(info.value.__cause__, OSError | EOFError | zlib.error)


def _assert_lists_every_way(message):
    for needle in ("apt-get install dataset-fashion-mnist", "INFOLIB_DATA", "./data", "root="):
        assert needle in message


def test_fashion_mnist_missing_with_root(tmp_path, monkeypatch):
    calls = []

    def recording_download(root):
        calls.append(root)
        raise OSError("no network in this test")

    monkeypatch.setattr(data, "_download_with_torchvision", recording_download)
    with pytest.raises(FileNotFoundError) as info:
        data.fashion_mnist("test", root=tmp_path)
    _assert_lists_every_way(str(info.value))
    assert str(tmp_path) in str(info.value)
    assert calls == []  # root= given: only that directory, never torchvision's download


def test_fashion_mnist_missing_everywhere(offline):
    with pytest.raises(FileNotFoundError) as info:
        data.fashion_mnist("train")
    message = str(info.value)
    _assert_lists_every_way(message)
    for searched in (
        offline / "empty" / "fashion-mnist",
        offline / "empty",
        offline / "work" / "data" / "fashion-mnist",
        offline / "no-debian",
    ):
        assert str(searched) in message
    assert "no network in this test" in message  # the download's failure is reported
    assert not (offline / "empty" / "FashionMNIST").exists()  # a failed download leaves no folders


def test_fashion_mnist_bad_split_and_root():
    with pytest.raises(ValueError, match="split"):
        data.fashion_mnist("validation")
    with pytest.raises(TypeError, match="root"):
        data.fashion_mnist("test", root=3)


def test_parse_idx_rejects_bad_headers():
    good = np.array([0x00000801, 3], dtype=">i4").tobytes() + bytes([1, 2, 3])
    assert data._parse_idx(good, 1, "labels").tolist() == [1, 2, 3]
    bad_magic = np.array([0x00000803, 3], dtype=">i4").tobytes() + bytes([1, 2, 3])
    with pytest.raises(data.DataError, match="magic"):
        data._parse_idx(bad_magic, 1, "labels")
    with pytest.raises(data.DataError, match="dims"):
        data._parse_idx(good[:-1], 1, "labels")


# --------------------------------------------------------------------------------------------
# memorization tasks: color_by_label, shuffle_labels
# --------------------------------------------------------------------------------------------


def _grey(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 4, 4, generator=g), torch.randint(2, (n,), generator=g)


@pytest.mark.parametrize("alpha", [0.0, 0.25, 1.0])
def test_color_by_label_puts_pixels_in_the_colors_channel(alpha):
    images, labels = _grey(1000)
    colored, color = data.color_by_label(images, labels, alpha, seed=1)
    assert colored.shape == (1000, 2, 4, 4)
    red = color == 1
    assert torch.equal(colored[red, 0:1], images[red]) and (colored[red, 1] == 0).all()
    assert torch.equal(colored[~red, 1:2], images[~red]) and (colored[~red, 0] == 0).all()


@pytest.mark.parametrize("alpha", [0.0, 0.5, 0.75, 1.0])
def test_color_agrees_with_label_at_the_documented_rate(alpha):
    images, labels = _grey(20_000)
    _, color = data.color_by_label(images, labels, alpha, seed=2)
    agreement = (color == labels).float().mean().item()
    expected = alpha + (1 - alpha) / 2
    assert agreement == pytest.approx(expected, abs=0.01)
    if alpha == 1.0:
        assert agreement == 1.0


def test_color_by_label_is_seeded_and_checks_input():
    images, labels = _grey(100)
    a = data.color_by_label(images, labels, 0.5, seed=3)[1]
    assert torch.equal(a, data.color_by_label(images, labels, 0.5, seed=3)[1])
    assert not torch.equal(a, data.color_by_label(images, labels, 0.5, seed=4)[1])
    with pytest.raises(ValueError, match="alpha"):
        data.color_by_label(images, labels, 1.5)
    with pytest.raises(ValueError, match="binary"):
        data.color_by_label(images, labels + 1, 0.5)
    with pytest.raises(ValueError, match="shape"):
        data.color_by_label(images[:, 0], labels, 0.5)


@pytest.mark.parametrize("fraction", [0.0, 0.25, 1.0])
def test_shuffle_labels_permutes_exactly_the_chosen_fraction(fraction):
    labels = torch.arange(1000) % 10
    shuffled = data.shuffle_labels(labels, fraction, seed=0)
    assert torch.equal(torch.bincount(shuffled), torch.bincount(labels))  # a permutation
    changed = (shuffled != labels).float().mean().item()
    # a shuffled label stays by chance with probability ~1/10 (10 balanced classes)
    assert changed == pytest.approx(0.9 * fraction, abs=0.04)
    assert torch.equal(labels, torch.arange(1000) % 10)  # input untouched


def test_shuffle_labels_is_seeded_and_checks_input():
    labels = torch.arange(500) % 10
    a = data.shuffle_labels(labels, 0.5, seed=1)
    assert torch.equal(a, data.shuffle_labels(labels, 0.5, seed=1))
    assert not torch.equal(a, data.shuffle_labels(labels, 0.5, seed=2))
    with pytest.raises(ValueError, match="fraction"):
        data.shuffle_labels(labels, -0.1)
    with pytest.raises(ValueError, match="1-D"):
        data.shuffle_labels(labels[:, None], 0.5)


@pytest.mark.parametrize("fraction", [0.0, 0.25, 1.0])
def test_redraw_labels_redraws_the_chosen_fraction_uniformly(fraction):
    labels = torch.zeros(20_000, dtype=torch.int64)  # every label 0: a redrawn one is uniform
    redrawn = data.redraw_labels(labels, fraction, n_classes=10, seed=0)
    changed = (redrawn != labels).float().mean().item()
    assert changed == pytest.approx(0.9 * fraction, abs=0.01)  # equal to the old one w.p. 1/10
    counts = torch.bincount(redrawn[redrawn != 0], minlength=10)[1:].float()
    if fraction:  # the nine other classes equally often (binomial sd about 1.5% of a count)
        assert (counts / counts.mean() - 1).abs().max().item() < 0.1
    assert redrawn.dtype == labels.dtype and not labels.any()  # input untouched


def test_redraw_labels_is_seeded_and_checks_input():
    labels = torch.arange(500) % 10
    a = data.redraw_labels(labels, 0.5, n_classes=10, seed=1)
    assert torch.equal(a, data.redraw_labels(labels, 0.5, n_classes=10, seed=1))
    assert not torch.equal(a, data.redraw_labels(labels, 0.5, n_classes=10, seed=2))
    with pytest.raises(ValueError, match="fraction"):
        data.redraw_labels(labels, 1.5, n_classes=10)
    with pytest.raises(ValueError, match="1-D"):
        data.redraw_labels(labels[:, None], 0.5, n_classes=10)
    with pytest.raises(ValueError, match="lie in 0 .. 8"):
        data.redraw_labels(labels, 0.5, n_classes=9)
    with pytest.raises(ValueError, match="n_classes"):
        data.redraw_labels(labels, 0.5, n_classes=1)
    # uint8 labels (as the idx files store them) would wrap a redrawn label 999 to 231
    with pytest.raises(ValueError, match="cannot hold the classes 0 .. 999"):
        data.redraw_labels(torch.zeros(5, dtype=torch.uint8), 0.5, n_classes=1000)
    small = data.redraw_labels(torch.zeros(5, dtype=torch.uint8), 1.0, n_classes=256, seed=0)
    assert small.dtype == torch.uint8


# --------------------------------------------------------------------------------------------
# digits, mnist1d
# --------------------------------------------------------------------------------------------


def test_digits_shapes_range_and_balance():
    x, y = data.digits()
    assert x.shape == (1797, 1, 8, 8) and x.dtype == torch.float32
    assert 0.0 <= x.min() and x.max() == 1.0
    assert torch.equal(x * 16, (x * 16).round())  # the 0..16 grey levels over 16, not over 255
    assert torch.bincount(y).min() >= 170  # about 180 per class


def test_mnist1d_is_generated_locally_seeded_and_leaves_global_state_alone():
    import random

    random.seed(7)
    state, python_state = np.random.get_state()[1].copy(), random.getstate()
    x, y = data.mnist1d(500, seed=1)
    assert np.array_equal(np.random.get_state()[1], state)
    assert random.getstate() == python_state
    assert x.shape == (500, 1, 40) and y.shape == (500,)
    assert set(y.tolist()) == set(range(10))
    assert abs(x.mean().item()) < 0.05 and abs(x.std().item() - 1) < 0.05
    again, _ = data.mnist1d(500, seed=1)
    other, _ = data.mnist1d(500, seed=2)
    assert torch.equal(x, again) and not torch.equal(x, other)
    with pytest.raises(ValueError, match="n_samples"):
        data.mnist1d(5)
    # the generator makes n // 10 of each class: 1,005 would silently give 1,000
    with pytest.raises(ValueError, match="multiple of 10"):
        data.mnist1d(1005)


# --------------------------------------------------------------------------------------------
# numpy scalars
# --------------------------------------------------------------------------------------------


def test_numpy_scalars_are_accepted_as_arguments():
    a = data.checkerboard(np.int64(3), np.int32(40), noise=np.float32(0.1), seed=np.uint8(2))
    b = data.checkerboard(3, 40, noise=float(np.float32(0.1)), seed=2)
    assert a.n_colors == 3 and type(a.n_colors) is int
    assert torch.equal(a.x, b.x) and torch.equal(a.direction, b.direction)
    images, labels = _grey(50)
    assert torch.equal(
        data.color_by_label(images, labels, np.float64(0.5), seed=np.int64(1))[1],
        data.color_by_label(images, labels, 0.5, seed=1)[1],
    )
    assert torch.equal(
        data.shuffle_labels(labels, np.float32(0.5), seed=np.int16(3)),
        data.shuffle_labels(labels, 0.5, seed=3),
    )
    with pytest.raises(TypeError, match="seed must be an int"):
        data.shuffle_labels(labels, 0.5, seed=1.5)
    with pytest.raises(TypeError, match="alpha must be a number"):
        data.color_by_label(images, labels, "0.5")
    with pytest.raises(ValueError, match="noise must be a finite number"):
        data.checkerboard(2, 10, noise=np.float64("nan"))


def test_options_after_the_data_are_keyword_only():
    labels = torch.tensor([0, 1, 0, 1])
    images = torch.zeros(4, 1, 2, 2)
    for call in (
        lambda: data.checkerboard(2, 10, 0.1),
        lambda: data.color_by_label(images, labels, 0.5, 1),
        lambda: data.shuffle_labels(labels, 0.5, 1),
        lambda: data.mnist1d(100, 1),
        lambda: data.fashion_mnist("test", DEBIAN),
    ):
        with pytest.raises(TypeError, match="positional argument"):
            call()


@pytest.mark.parametrize("fraction", [0.0, 0.25, 1.0])
def test_flip_binary_labels_flips_exactly_the_fraction(fraction):
    labels = torch.randint(0, 2, (1001,), generator=torch.Generator().manual_seed(0))
    flipped = data.flip_binary_labels(labels, fraction, seed=3)
    assert int((flipped != labels).sum()) == round(fraction * 1001)
    assert torch.equal(flipped[flipped != labels], 1 - labels[flipped != labels])
    assert torch.equal(flipped, data.flip_binary_labels(labels, fraction, seed=3))
    assert fraction in (0.0, 1.0) or not torch.equal(
        flipped, data.flip_binary_labels(labels, fraction, seed=4)
    )


def test_flip_binary_labels_checks_input():
    with pytest.raises(ValueError, match="binary"):
        data.flip_binary_labels(torch.tensor([0, 2]), 0.5)
    with pytest.raises(ValueError, match="integer tensor"):  # not torch's NotImplementedError
        data.flip_binary_labels(torch.tensor([True, False]), 0.5)
    with pytest.raises(ValueError, match="fraction"):
        data.flip_binary_labels(torch.tensor([0, 1]), 1.5)
