"""infolib.geometry against known answers: Isomap recovers Euclidean configurations, Procrustes
keeps distances, the fidelity counts detours, and malformed matrices are errors."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from infolib.geometry import (  # noqa: E402
    cyclic_seed_pairs,
    distance_matrix,
    embedding_fidelity,
    isomap_embedding,
    pairwise_distances,
    plot_distance_matrix,
    plot_embedding,
    procrustes_aligned,
    seed_floor,
    zero_diagonal,
    zoo_distances,
    zoo_pairs,
)


def points(n=7, dims=3, seed=0):
    return np.random.default_rng(seed).normal(size=(n, dims))


def test_pairwise_distances_by_hand():
    d = pairwise_distances([[0, 0], [3, 4], [0, 1]])
    np.testing.assert_allclose(d, [[0, 5, 1], [5, 0, np.sqrt(18)], [1, np.sqrt(18), 0]])


@pytest.mark.parametrize("n, dims", [(7, 3), (12, 3), (5, 2)])
def test_isomap_recovers_euclidean_points_up_to_a_rigid_motion(n, dims):
    truth = points(n, dims)
    embedded = isomap_embedding(pairwise_distances(truth), n_components=dims)
    np.testing.assert_allclose(pairwise_distances(embedded), pairwise_distances(truth),
                               atol=1e-10)
    fidelity = embedding_fidelity(pairwise_distances(truth), embedded)
    assert fidelity["median_error"] < 1e-10 and fidelity["shortcuts"] == 0
    assert fidelity["pairs"] == n * (n - 1) // 2


def test_isomap_in_fewer_dimensions_than_the_points_loses_distance():
    truth = points(7, 3)
    flat = isomap_embedding(pairwise_distances(truth), n_components=1)
    assert embedding_fidelity(pairwise_distances(truth), flat)["median_error"] > 0.05


def test_fidelity_counts_the_pairs_with_a_shorter_detour():
    d = np.array([[0, 1, 1, 1], [1, 0, 5, 1], [1, 5, 0, 1], [1, 1, 1, 0.0]])
    # d(1, 2) = 5 > d(1, 0) + d(0, 2) = 2: one pair breaks the triangle inequality
    fidelity = embedding_fidelity(d, isomap_embedding(d))
    assert fidelity["shortcuts"] == 1
    assert fidelity["largest_error"] > 0.5  # the embedding draws (1, 2) near its detour, not 5


def test_fidelity_needs_one_embedded_row_per_point():
    truth = points(5, 3)
    d = pairwise_distances(truth)
    # a sixth row used to be ignored: errors 0 for a matrix that is not the one embedded
    with pytest.raises(ValueError, match="embedding has 6 points .* distances has 5"):
        embedding_fidelity(d, np.vstack([truth, [[100.0, 100.0, 100.0]]]))
    with pytest.raises(ValueError, match="embedding has 4 points"):
        embedding_fidelity(d, truth[:4])
    with pytest.raises(ValueError, match="embedding must be 2-D"):
        embedding_fidelity(d, truth[:, 0])


def test_procrustes_keeps_distances_and_undoes_a_rotation():
    reference = points(7, 3)
    rotation, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(3, 3)))
    moved = reference @ rotation + 4.0
    aligned = procrustes_aligned(moved, reference)
    np.testing.assert_allclose(aligned, reference, atol=1e-10)
    noisy = moved + np.random.default_rng(2).normal(scale=0.1, size=moved.shape)
    np.testing.assert_allclose(pairwise_distances(procrustes_aligned(noisy, reference)),
                               pairwise_distances(noisy), atol=1e-10)
    with pytest.raises(ValueError, match="shape"):
        procrustes_aligned(reference[:5], reference)


@pytest.mark.parametrize("bad, message", [
    (np.ones((3, 4)), "square"),
    (np.zeros((2, 2)), "at least 3"),
    (np.array([[0, 1, np.nan], [1, 0, 1], [np.nan, 1, 0]]), "NaN"),
    (np.array([[0, 1, 2], [1, 0, 1], [1, 1, 0.0]]), "symmetric"),
    (np.array([[0, -1, 1], [-1, 0, 1], [1, 1, 0.0]]), "non-negative"),
    (np.array([[1, 1, 1], [1, 0, 1], [1, 1, 0.0]]), "diagonal"),
])
def test_malformed_distances_are_errors(bad, message):
    with pytest.raises(ValueError, match=message):
        isomap_embedding(bad)


def test_n_components_must_fit():
    with pytest.raises(ValueError, match="n_components"):
        isomap_embedding(pairwise_distances(points(4)), n_components=4)


@pytest.mark.parametrize("seeds, pairs", [
    ([5], []), ([5, 6], [(5, 6)]), ([0, 1, 2], [(0, 1), (1, 2), (2, 0)]),
    ([3, 4, 5, 6], [(3, 4), (4, 5), (5, 6), (6, 3)]),
])
def test_cyclic_seed_pairs(seeds, pairs):
    assert cyclic_seed_pairs(seeds) == pairs
    with pytest.raises(ValueError, match="distinct"):
        cyclic_seed_pairs([1, 1, 2])


def test_distance_matrix_is_symmetric_and_complete():
    pairs = pd.DataFrame(dict(a=["x", "x", "y"], b=["y", "z", "z"], d_p=[1.0, 2.0, 3.0]))
    matrix = distance_matrix(pairs, ["x", "y", "z"])
    assert matrix.loc["z", "x"] == 2.0 and matrix.loc["y", "z"] == 3.0
    assert np.isnan(matrix.loc["x", "x"])
    np.testing.assert_array_equal(zero_diagonal(matrix), [[0, 1, 2], [1, 0, 3], [2, 3, 0]])
    with pytest.raises(ValueError, match="missing"):
        distance_matrix(pairs.iloc[:2], ["x", "y", "z"])
    with pytest.raises(ValueError, match="twice"):
        distance_matrix(pd.concat([pairs, pairs.iloc[:1]]), ["x", "y", "z"])


def test_the_figures_draw_every_point():
    names = ["a", "b", "c", "d"]
    truth = points(4, 3)
    d = pairwise_distances(truth)
    np.fill_diagonal(d, np.nan)
    matrix = pd.DataFrame(d, index=names, columns=names)
    fig, ax = plt.subplots()
    plot_distance_matrix(matrix, {n: 0.5 for n in names}, ax, title="t")
    assert len(ax.texts) == 16  # every cell annotated, the diagonal with its floor
    plt.close(fig)
    embedding = isomap_embedding(zero_diagonal(matrix))
    fig, axes = plt.subplots(1, 3)
    plot_embedding(embedding, [embedding, embedding], names,
                   {"a": "g1", "b": "g1", "c": "g2", "d": "g2"}, axes)
    assert all(len(ax.collections) == 4 * 3 for ax in axes)  # 4 large + 2 x 4 small points
    assert [t.get_text() for t in axes[-1].get_legend().get_texts()] == ["g1", "g2"]
    plt.close(fig)


def test_seed_floor_is_the_mean_of_the_pairs_a_seed_starts():
    pairs = pd.DataFrame(dict(a=["x", "y", "x", "y", "x", "y"], seed_a=[0, 0, 1, 1, 2, 2],
                              seed_b=[1, 1, 2, 2, 0, 0], d_p=[1.0, 3.0, 5.0, 7.0, 9.0, 11.0]))
    assert [seed_floor(pairs, s) for s in (0, 1, 2)] == [2.0, 6.0, 10.0]
    two_seeds = pairs.iloc[:2]  # one pair per point, (0, 1): both seeds get it
    assert seed_floor(two_seeds, 0) == seed_floor(two_seeds, 1) == 2.0
    assert np.isnan(seed_floor(pairs.iloc[:0], 0))


def test_zoo_pairs_are_the_pairs_within_each_seed_then_the_seed_pairs():
    pairs = zoo_pairs(["x", "y", "z"], [0, 1, 2], "task")
    assert pairs[:3] == [("task", "x", 0, "y", 0), ("task", "x", 0, "z", 0),
                         ("task", "y", 0, "z", 0)]
    assert sum(p[0] == "task" for p in pairs) == 3 * 3
    assert [p for p in pairs if p[0] == "seed"][:3] == [("seed", "x", 0, "x", 1),
                                                        ("seed", "x", 1, "x", 2),
                                                        ("seed", "x", 2, "x", 0)]
    assert len(pairs) == 9 + 9
    assert [p[0] for p in zoo_pairs(["x", "y"], [5], "zoo")] == ["zoo"]  # one seed: no floor
    with pytest.raises(ValueError, match="seed pairs"):
        zoo_pairs(["x", "y"], [0, 1], "seed")
    with pytest.raises(ValueError, match="distinct"):
        zoo_pairs(["x", "x"], [0, 1], "zoo")


def test_zoo_distances_reads_the_pairs_per_seed():
    names, seeds = ["x", "y", "z"], [0, 1, 2]
    # d_p: 10 per seed, plus b's position for a task pair (so each pair of a seed differs)
    rows = pd.DataFrame([dict(kind=kind, a=a, seed_a=sa, b=b, seed_b=sb,
                              d_p=10.0 * sa + 2 + (names.index(b) if kind == "task" else 0))
                         for kind, a, sa, b, sb in zoo_pairs(names, seeds, "task")])
    zoo = zoo_distances(rows, names, seeds, "task")
    assert len(zoo.pairs) == 9 and len(zoo.seed_pairs) == 9
    assert zoo.matrices[1].loc["z", "x"] == 10 + 2 + 2  # seed 1's pair (x, z)
    pd.testing.assert_frame_equal(zoo.mean,
                                  (zoo.matrices[0] + zoo.matrices[1] + zoo.matrices[2]) / 3)
    assert zoo.floor.to_dict() == {"x": 12.0, "y": 12.0, "z": 12.0}  # mean of 2, 12 and 22
    one = zoo_distances(rows[rows.kind == "task"], names, seeds, "task")
    assert one.floor.isna().all()  # no seed pairs: no floor


def test_labels_are_pushed_away_from_the_nearest_points():
    from infolib.geometry import away_from_neighbours

    # two close points and a far one: the close pair's labels point away from each other
    directions = away_from_neighbours([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0]])
    np.testing.assert_allclose(np.linalg.norm(directions, axis=1), 1.0)
    assert directions[0, 0] < -0.9 and directions[1, 0] > 0.9
    np.testing.assert_allclose(directions[2], [np.sqrt(0.5)] * 2, atol=0.05)  # away from both
    # symmetric: a point in the middle of a row is pushed by both sides equally and goes up-right
    middle = away_from_neighbours([[-1.0, 0.0], [0.0, 0.0], [1.0, 0.0]])
    np.testing.assert_allclose(middle[1], [np.sqrt(0.5)] * 2)
    np.testing.assert_allclose(away_from_neighbours([[2.0, 3.0]]), [[np.sqrt(0.5)] * 2])
    with pytest.raises(ValueError, match="shape"):
        away_from_neighbours(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="finite"):
        away_from_neighbours([[0.0, np.nan], [1.0, 1.0]])
