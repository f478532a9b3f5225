"""The CUDA paths give the CPU's numbers (issue 17). Marked ``cuda``; skipped without a GPU.

Run on a GPU machine with ``python -m pytest -m cuda -s tests/test_cuda.py``: each test prints the
largest difference it saw, so a run documents how close the paths are, not only that they pass.

Tolerances, fixed before the first GPU run:
- ``pairwise_mi`` is float64 on both paths and the same algorithm: 1e-9 nats.
- Fisher: per-example gradients in float32 on both devices, summed in a different order; the
  matrix products of a convolution may use TF32 on CUDA (PyTorch's default for cuDNN): relative
  1e-4 for an MLP, 2e-3 for a CNN.
- Trained quantities (decoders, prequential codes, d_p): float32 training whose kernels differ
  between devices, so trajectories drift apart slowly; compared after short trainings, within
  1% (or 0.02 bits).
- ``deterministic``: two same-seed runs of a batch-norm CNN are bit-identical, and so are a run
  and the same run stopped and continued from its state.
"""

import math

import numpy as np
import pytest
import torch
from scipy.stats import ks_2samp

from infolib.coding import model_information, prequential_codelength
from infolib.config import deterministic
from infolib.data import checkerboard
from infolib.distance import information_distance, output_kl, penultimate
from infolib.fisher import fisher_diagonal, fisher_logdet, fisher_matrix, fisher_trace
from infolib.models import mlp, small_cnn, small_resnet
from infolib.neurons import pairwise_mi
from infolib.train import (
    BlockTraining,
    TrainingState,
    cross_entropy_sum,
    fit,
    fit_early_stopping,
)
from infolib.usable import usable_information, usable_information_many

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]


def report(name, cpu, cuda):
    cpu, cuda = np.asarray(cpu, dtype=float), np.asarray(cuda, dtype=float)
    absolute = float(np.nanmax(np.abs(cpu - cuda)))
    scale = float(np.nanmax(np.abs(cpu)))
    print(f"\n[cuda vs cpu] {name}: max |diff| {absolute:.3g} (max |cpu| {scale:.3g}, "
          f"relative {absolute / scale if scale else math.nan:.3g})")


def images(n=48, seed=0):
    return torch.randn(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("n_samples", [2_000, 10_000])
def test_pairwise_mi_on_cuda_equals_the_compiled_kernel(n_samples):
    rng = np.random.default_rng(3)
    acts = rng.normal(size=(n_samples, 24))
    acts[:, 1] = np.maximum(acts[:, 0] + 0.5 * acts[:, 1], 0)  # dependent, with ties at 0
    acts[:, 2] = np.round(acts[:, 2])  # many ties: the window is often not enough
    acts[:, 3] = 1.0  # constant: exactly 0
    cpu = pairwise_mi(acts, device="cpu")
    cuda = pairwise_mi(acts, device="cuda")
    report(f"pairwise_mi S={n_samples}", cpu, cuda)
    np.testing.assert_allclose(cuda, cpu, rtol=0, atol=1e-9 / math.log(2))


@pytest.mark.parametrize("mode", ["expected", "empirical", "sampled"])
def test_fisher_on_cuda_equals_cpu_for_an_mlp(mode):
    model = mlp(20, (16, 8), 4, seed=0)
    x = torch.randn(64, 20, generator=torch.Generator().manual_seed(1))
    y = torch.randint(0, 4, (64,), generator=torch.Generator().manual_seed(2))
    options = dict(mode=mode, y=y if mode == "empirical" else None, mc_samples=2, seed=5,
                   chunk_size=16, progress=False)
    for name, function in [("trace", fisher_trace), ("diagonal", fisher_diagonal),
                           ("matrix", fisher_matrix)]:
        cpu = function(model, x, device="cpu", **options)
        cuda = function(model, x, device="cuda", **options)
        report(f"fisher_{name} MLP {mode}", cpu, cuda)
        np.testing.assert_allclose(cuda, cpu, rtol=1e-4, atol=1e-7 * np.max(np.abs(cpu)))
    cpu = fisher_logdet(model, x, damping=1e-4, device="cpu", **options)
    cuda = fisher_logdet(model, x, damping=1e-4, device="cuda", **options)
    report(f"fisher_logdet MLP {mode}", cpu, cuda)
    assert cuda == pytest.approx(cpu, rel=1e-4)


def test_fisher_trace_on_cuda_equals_cpu_for_a_cnn():
    model, x = small_cnn(seed=0), images()
    cpu = fisher_trace(model, x, device="cpu", progress=False)
    cuda = fisher_trace(model, x, device="cuda", progress=False)
    report("fisher_trace small_cnn", cpu, cuda)
    # without TF32 (infolib.config.full_precision): 4.7e-9 and 2.7e-7 on an H200; with it 1.6e-4
    assert cuda == pytest.approx(cpu, rel=1e-6)
    cpu = fisher_diagonal(model, x, device="cpu", progress=False)
    cuda = fisher_diagonal(model, x, device="cuda", progress=False)
    report("fisher_diagonal small_cnn", cpu, cuda)
    np.testing.assert_allclose(cuda, cpu, rtol=1e-5, atol=1e-5 * cpu.max())


def test_early_stopping_on_cuda_takes_data_on_the_cpu():
    x, y = coding_data(n=300)
    models = {device: mlp(10, (32,), 4, seed=0) for device in ("cpu", "cuda")}
    for device, model in models.items():
        fit_early_stopping(model, x, y, train=BlockTraining(max_epochs=5), seed=0, device=device)
    cpu, cuda = (torch.nn.utils.parameters_to_vector(models[d].parameters()).detach().cpu()
                 for d in ("cpu", "cuda"))
    report("fit_early_stopping parameters", cpu, cuda)
    torch.testing.assert_close(cuda, cpu, rtol=1e-4, atol=1e-5)


def test_cross_entropy_of_a_cuda_model_takes_data_on_the_cpu():
    """A model trained on CUDA and evaluated on images kept on the CPU (as a training callback
    does): the same sum as the model on the CPU, to float32 rounding."""
    x = images(64, seed=5)
    y = torch.randint(0, 10, (64,), generator=torch.Generator().manual_seed(6))
    model = small_cnn(1, 10, seed=0).eval()
    cpu = cross_entropy_sum(model, x, y)
    cuda = cross_entropy_sum(model.to("cuda"), x, y)
    report("cross_entropy_sum, CPU data (nats)", cpu, cuda)
    assert cuda == pytest.approx(cpu, rel=1e-4)


def test_usable_information_on_cuda_equals_cpu():
    """The dropout masks are drawn on the CPU, so the two devices train the same decoders."""
    task = checkerboard(3, 1_500, seed=0)
    zs = [task.x, task.x[:, :3], torch.randn(1_500, 4, generator=torch.Generator().manual_seed(0))]
    ys = [task.direction, task.color, task.color]
    options = dict(hidden=(32, 16), epochs=8, seed=1)
    cpu = usable_information_many(zs, ys, device="cpu", **options)
    cuda = usable_information_many(zs, ys, device="cuda", **options)
    report("usable_information_many", cpu, cuda)
    np.testing.assert_allclose(cuda, cpu, atol=0.02)
    cpu = usable_information(zs[0], ys[0], device="cpu", **options)
    cuda = usable_information(zs[0], ys[0], device="cuda", **options)
    report("usable_information (one decoder)", cpu, cuda)
    assert cuda == pytest.approx(cpu, abs=0.02)


def coding_data(n=600, seed=0):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 10, generator=generator)
    y = (x[:, :3].sum(dim=1) > 0).long() + 2 * (x[:, 3] > 0.5).long()
    return x, y


def test_prequential_codes_on_cuda_equal_cpu():
    x, y = coding_data()
    train = BlockTraining(max_epochs=4)
    model = mlp(10, (32,), 4, seed=0)
    options = dict(train=train, seed=3, progress=False)
    cpu = prequential_codelength(model, x, y, device="cpu", **options)
    cuda = prequential_codelength(model, x, y, device="cuda", **options)
    report("prequential_codelength (bits)", float(cpu), float(cuda))
    assert float(cuda) == pytest.approx(float(cpu), rel=0.01)

    trained = mlp(10, (32,), 4, seed=0)
    fit(trained, x, y, epochs=5, batch_size=32, lr=0.05, momentum=0.9, seed=0, device="cpu",
        progress=False)
    x_new, y_new = coding_data(seed=1)
    cpu = model_information(model, trained, x_new, y_new, device="cpu", **options)
    cuda = model_information(model, trained, x_new, y_new, device="cuda", **options)
    report("model_information (bits)", float(cpu), float(cuda))
    assert float(cuda) == pytest.approx(float(cpu), rel=0.01, abs=1.0)


def test_distance_measures_on_cuda_equal_cpu():
    x, _ = coding_data(n=400)
    model_a, model_b = mlp(10, (32,), 4, seed=0), mlp(10, (32,), 4, seed=1)
    cpu, cuda = (output_kl(model_a, model_b, x, device=d) for d in ("cpu", "cuda"))
    report("output_kl", cpu, cuda)
    assert cuda == pytest.approx(cpu, rel=1e-5)
    cpu, cuda = penultimate(model_a, x, device="cpu"), penultimate(model_a, x, device="cuda")
    report("penultimate", cpu, cuda)
    assert cuda.device.type == "cpu"
    np.testing.assert_allclose(cuda.numpy(), cpu.numpy(), rtol=1e-5, atol=1e-6)
    options = dict(train=BlockTraining(max_epochs=4), seed=2, progress=False)
    cpu = information_distance(model_a, model_b, x, device="cpu", **options)
    cuda = information_distance(model_a, model_b, x, device="cuda", **options)
    report("information_distance (bits)", float(cpu), float(cuda))
    assert float(cuda) == pytest.approx(float(cpu), rel=0.01, abs=1.0)


def test_deterministic_makes_two_cuda_runs_bit_identical():
    x = images(256, seed=3)
    y = torch.randint(0, 10, (256,), generator=torch.Generator().manual_seed(4))

    def run():
        model = small_resnet(1, 10, widths=(8, 16), seed=0)
        fit(model, x, y, epochs=2, batch_size=32, lr=0.05, momentum=0.9, weight_decay=5e-4,
            seed=0, device="cuda", progress=False)
        return torch.nn.utils.parameters_to_vector(model.parameters()).detach().cpu()

    with deterministic("cuda"):
        first, second = run(), run()
    difference = float((first - second).abs().max())
    print(f"\n[cuda] deterministic: max |diff| between two runs {difference}")
    assert torch.equal(first, second)
    assert not torch.are_deterministic_algorithms_enabled()  # restored after the block


def test_a_cuda_run_continued_from_its_state_is_one_run():
    """fit(state=...) on CUDA: dropout draws from the CUDA generator, which the state carries;
    under deterministic kernels, 2 + 2 epochs give the weights of 4 bit for bit."""
    x = images(256, seed=5)
    y = torch.randint(0, 10, (256,), generator=torch.Generator().manual_seed(6))
    arguments = dict(batch_size=32, lr=1e-3, optimizer="adam", seed=2, device="cuda",
                     progress=False)

    def network():
        return small_cnn(input_size=28, hidden=16, dropout=0.5, batch_norm=True, seed=0)

    with deterministic("cuda"):
        whole = network()
        fit(whole, x, y, epochs=4, **arguments)
        state = TrainingState()
        fit(network(), x, y, epochs=2, state=state, **arguments)
        continued = network()
        fit(continued, x, y, epochs=2, state=state, **arguments)
    first, second = (torch.nn.utils.parameters_to_vector(m.parameters()).detach().cpu()
                     for m in (whole, continued))
    print(f"\n[cuda] continued run: max |diff| from one run {float((first - second).abs().max())}")
    assert state.cuda_rng is not None and torch.equal(first, second)


def test_fisher_toy_on_cuda():
    """Plain gradient descent (no random draws) ends at the same points on both devices (float64,
    1e-9); the random paths draw other numbers on CUDA, so their results are compared in
    distribution: the Shannon information of Gaussian posteriors within 0.05 nats of the closed
    form, and the escape times of Langevin dynamics by a two-sample Kolmogorov-Smirnov test
    (4,000 runs each, p > 0.001; on the CPU, seeds 7 and 8 give p = 0.65, and seed 8's times
    stretched by 10% give p = 7e-5). A first version
    compared two medians of 400 runs within 25% and failed on an H200 at 26% (CPU 225, CUDA 284
    steps), though 12 seeds on the CPU alone gave medians from 225 to 309: the tolerance was
    inside the test's own sampling spread."""
    from infolib import fisher_toy as toy

    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (200, 1)) + rng.standard_normal((200, 100))
    theta0 = rng.uniform(-3, 3, (200, 4))
    common = dict(batch_size=100, lr=0.002, steps=2_000, seed=1)
    cpu, cuda = toy.sgd(x, theta0, **common), toy.sgd(x, theta0, device="cuda", **common)
    report("fisher_toy.sgd full batch", cpu, cuda)
    np.testing.assert_allclose(cuda, cpu, atol=1e-9)
    noisy = toy.sgd(x, theta0, batch_size=5, lr=0.002, steps=200, seed=1, device="cuda")
    assert np.isfinite(noisy).all() and not np.allclose(noisy, theta0)
    centres = rng.normal(0, 2.0, (1000, 1)).repeat(4, axis=1)
    width = np.full(centres.shape, 0.5)
    estimate = toy.shannon_information(centres, width, seed=2, device="cuda")
    assert estimate == pytest.approx(0.5 * np.log(1 + 4.0 / 0.25), abs=0.05)
    data = rng.normal(0, 1, 100)
    data -= data.mean()
    sharp = np.full(4_000, toy.minimum_near(1e-9, 0.0))
    cpu_steps, cuda_steps = (toy.escape_steps(sharp, data, lr=0.002, temperature=0.6,
                                              max_steps=50_000, seed=7, device=d)
                             for d in ("cpu", "cuda"))
    report("fisher_toy.escape_steps median", np.median(cpu_steps), np.median(cuda_steps))
    same = ks_2samp(cpu_steps, cuda_steps)
    print(f"[cuda vs cpu] escape steps: KS statistic {same.statistic:.3f}, p {same.pvalue:.3g}")
    assert same.pvalue > 1e-3


def test_memorization_measure_of_a_cuda_model_leaves_it_on_cuda():
    """``measure`` computes the norms on a CPU copy: the caller's model stays on CUDA (it used to
    be moved in place, and the memorization chapter's colour probe then ran on the CPU), and the
    norms equal the CPU model's; the MI pairs, from float32 activations of two devices, agree within
    0.01 bits."""
    from infolib.memorization import measure

    torch.manual_seed(0)
    model, x = mlp(20, [16, 16], 3), torch.randn(300, 20)
    options = dict(mi_neurons=6, mi_samples=200, seed=1)
    cpu = measure(model, x, device="cpu", **options)
    on_cuda = model.to("cuda")
    cuda = measure(on_cuda, x, device="cuda", **options)
    assert next(on_cuda.parameters()).is_cuda
    assert cuda["norms"] == cpu["norms"]
    report("memorization.measure mi", cpu["mi"], cuda["mi"])
    np.testing.assert_allclose(cuda["mi"], cpu["mi"], rtol=0, atol=0.01)  # bits
    np.testing.assert_array_equal(cuda["layer"], cpu["layer"])
