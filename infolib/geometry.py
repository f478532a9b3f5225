"""The geometry of a set of functions from their pairwise distances (Information distance paper,
sec. 4.1, Fig. 4): matrices of d_p, their Isomap embedding, and how faithful the picture is.

The paper computes d_p (:func:`infolib.distance.information_distance`) between every pair of a
set of networks and draws them in three dimensions with Isomap (Tenenbaum et al., 2000), which
links each point to its nearest neighbours, replaces each distance by the shortest path through
those links (the geodesic) and places the points by classical scaling of the geodesics. With a
handful of networks every point is linked to every other (:func:`isomap_embedding`): the geodesic
is then the distance itself wherever the triangle inequality holds, and a shorter detour where it
does not (:func:`embedding_fidelity` counts those). Networks are trained from several seeds, so
the distance between two trainings of one kind (the *seed floor*, coded on
:func:`cyclic_seed_pairs`, averaged per seed by :func:`seed_floor`) stands beside the distances
between kinds; each seed's own embedding is rotated onto the mean one
(:func:`procrustes_aligned`) to show how much of the picture is seed noise. The figures:
:func:`plot_distance_matrix` and :func:`plot_embedding`. A zoo (networks of several kinds and
seeds, each trained once: :func:`infolib.train.cached_network`) codes the pairs
:func:`zoo_pairs` lists, and :func:`zoo_distances` reads them as per-seed matrices and floors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.linalg import orthogonal_procrustes

from infolib.checks import matrix


def check_distances(distances) -> np.ndarray:
    """``distances`` as a float array, else ValueError: square, at least 3 points, finite,
    symmetric (to 1e-9 relative), non-negative, zero on the diagonal."""
    d = np.asarray(distances, dtype=float)
    if d.ndim != 2 or d.shape[0] != d.shape[1] or d.shape[0] < 3:
        raise ValueError(f"distances must be a square matrix of at least 3 points, got shape "
                         f"{d.shape}")
    if not np.isfinite(d).all():
        raise ValueError("distances hold NaN or infinite values (a pair not computed?)")
    scale = max(np.abs(d).max(), 1e-300)
    if np.abs(d - d.T).max() > 1e-9 * scale:
        raise ValueError("distances are not symmetric")
    if (d < 0).any() or np.abs(np.diag(d)).max() > 0:
        raise ValueError("distances must be non-negative with a zero diagonal")
    return d


def pairwise_distances(points) -> np.ndarray:
    """Euclidean distances between the rows of ``points`` (points x dimensions)."""
    points = np.asarray(points, dtype=float)
    return np.linalg.norm(points[:, None, :] - points[None, :, :], axis=-1)


def isomap_embedding(distances, n_components: int = 3) -> np.ndarray:
    """Isomap coordinates (points x ``n_components``, in the distances' unit) of a distance
    matrix, every point linked to every other (scikit-learn's ``Isomap`` with
    ``metric="precomputed"`` and ``n_neighbors`` = points - 1). For Euclidean distances of points
    in ``n_components`` dimensions it returns them up to a rigid motion."""
    from sklearn.manifold import Isomap  # imported here: the rest needs no scikit-learn

    d = check_distances(distances)
    if not 1 <= n_components < len(d):
        raise ValueError(f"n_components must be in [1, {len(d) - 1}], got {n_components}")
    return Isomap(n_neighbors=len(d) - 1, n_components=n_components,
                  metric="precomputed").fit_transform(d)


def procrustes_aligned(points, reference) -> np.ndarray:
    """``points`` centred, then rotated (and reflected) onto ``reference`` by orthogonal
    Procrustes and moved to its centre: the distances between the points are unchanged."""
    points, reference = np.asarray(points, float), np.asarray(reference, float)
    if points.shape != reference.shape:
        raise ValueError(f"points {points.shape} and reference {reference.shape} differ in shape")
    centred = points - points.mean(axis=0)
    rotation, _ = orthogonal_procrustes(centred, reference - reference.mean(axis=0))
    return centred @ rotation + reference.mean(axis=0)


def embedding_fidelity(distances, embedding) -> dict:
    """How far an embedding's distances are from the matrix it embeds, over the n (n - 1) / 2
    pairs: the median and largest relative error ``abs(embedded - d) / d``, and how many
    d(a, b) exceed a detour d(a, c) + d(c, b) through a third point (where the triangle
    inequality fails, Isomap's geodesic takes the detour). ``embedding``: one row per point of
    ``distances``, in the same order (``ValueError`` otherwise)."""
    d = check_distances(distances)
    embedding = matrix("embedding", embedding, columns="dimensions")
    if len(embedding) != len(d):
        raise ValueError(f"embedding has {len(embedding)} points (rows) but distances has "
                         f"{len(d)}: one row per point of the matrix, in its order")
    upper = np.triu_indices(len(d), k=1)
    if (d[upper] <= 0).any():
        raise ValueError("two distinct points at distance 0: relative errors are undefined")
    error = np.abs(pairwise_distances(embedding)[upper] - d[upper]) / d[upper]
    shortcuts = sum(d[a, b] > min(d[a, c] + d[c, b] for c in range(len(d)) if c not in (a, b))
                    for a, b in zip(*upper))
    return dict(median_error=float(np.median(error)), largest_error=float(error.max()),
                shortcuts=int(shortcuts), pairs=len(error))


def cyclic_seed_pairs(seeds: Sequence[int]) -> list[tuple[int, int]]:
    """Consecutive seeds, cyclically: [(s1, s2), (s2, s3), (s3, s1)] for three, [(s1, s2)] for
    two, none for one: each seed starts one pair, and no pair is coded twice."""
    seeds = list(seeds)
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {seeds}")
    if len(seeds) < 3:
        return [tuple(seeds)] if len(seeds) == 2 else []
    return [(s, seeds[(i + 1) % len(seeds)]) for i, s in enumerate(seeds)]


def zoo_pairs(names: Sequence[str], seeds: Sequence[int], kind: str) -> list[tuple]:
    """The pairs a zoo of networks codes, as (kind, a, seed_a, b, seed_b): within each seed every
    pair of ``names`` (labelled ``kind``), then each name's networks of consecutive seeds
    (labelled "seed", :func:`cyclic_seed_pairs`), whose distances are the seed floor."""
    names, seeds = list(names), list(seeds)
    if kind == "seed":
        raise ValueError('kind "seed" is the label of the seed pairs; name the zoo pairs otherwise')
    if len(set(names)) != len(names):
        raise ValueError(f"names must be distinct, got {names}")
    return ([(kind, a, s, b, s) for s in seeds for i, a in enumerate(names) for b in names[i + 1:]]
            + [("seed", name, s, name, t) for name in names for s, t in cyclic_seed_pairs(seeds)])


class ZooDistances(NamedTuple):
    """The coded pairs of :func:`zoo_pairs` as a chapter reads them: ``pairs`` the rows of the
    zoo pairs, ``seed_pairs`` those of the seed pairs, ``matrices`` {seed: the
    :func:`distance_matrix` of that seed's zoo pairs}, ``mean`` their mean over seeds, and
    ``floor`` each name's seed floor (the mean of its seed pairs; NaN with one seed)."""

    pairs: pd.DataFrame
    seed_pairs: pd.DataFrame
    matrices: dict
    mean: pd.DataFrame
    floor: pd.Series


def zoo_distances(rows: pd.DataFrame, names: Sequence[str], seeds: Sequence[int], kind: str,
                  value: str = "d_p") -> ZooDistances:
    """:class:`ZooDistances` of ``rows`` (one per pair of :func:`zoo_pairs`, with columns kind,
    a, b, seed_a and ``value``)."""
    pairs, seed_pairs = rows[rows["kind"] == kind], rows[rows["kind"] == "seed"]
    matrices = {s: distance_matrix(pairs[pairs["seed_a"] == s], names, value) for s in seeds}
    floor = seed_pairs.groupby("a")[value].mean().reindex(list(names))
    return ZooDistances(pairs, seed_pairs, matrices, sum(matrices.values()) / len(matrices), floor)


def seed_floor(seed_pairs: pd.DataFrame, seed: int, value: str = "d_p") -> float:
    """F_s: the mean of ``value`` over the seed pairs (rows with ``seed_a``, ``seed_b``) that
    start at ``seed``, one per point with :func:`cyclic_seed_pairs`; with two seeds the one pair
    ends at the second seed, so that seed gets it too; NaN when no pair holds the seed."""
    starting = seed_pairs[seed_pairs["seed_a"] == seed]
    if not len(starting):
        starting = seed_pairs[seed_pairs["seed_b"] == seed]
    return float(starting[value].mean()) if len(starting) else float("nan")


def distance_matrix(pairs: pd.DataFrame, names: Sequence[str], value: str = "d_p") -> pd.DataFrame:
    """The symmetric names x names frame of ``pairs`` (rows with columns ``a``, ``b`` and
    ``value``), NaN on the diagonal; ValueError if a pair is missing or given twice."""
    names = list(names)
    matrix = pd.DataFrame(np.nan, index=names, columns=names)
    for a, b, v in zip(pairs["a"], pairs["b"], pairs[value]):
        if a == b or not np.isnan(matrix.loc[a, b]):
            raise ValueError(f"pair ({a}, {b}) is {'a point with itself' if a == b else 'twice'}")
        matrix.loc[a, b] = matrix.loc[b, a] = v
    missing = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]
               if np.isnan(matrix.loc[a, b])]
    if missing:
        raise ValueError(f"{len(missing)} pairs missing, e.g. {missing[0]}")
    return matrix


def zero_diagonal(matrix: pd.DataFrame) -> np.ndarray:
    """A distance frame with NaN on its diagonal as an array with zeros there."""
    d = matrix.to_numpy(dtype=float).copy()
    np.fill_diagonal(d, 0.0)
    return d


def plot_distance_matrix(matrix: pd.DataFrame, floor: Mapping[str, float], ax, *,
                         unit: str = "bits", title: str = ""):
    """A heatmap of ``matrix`` with each cell's value, the diagonal replaced by ``floor`` (the
    seed floor of each point, NaN: empty) and outlined."""
    import seaborn as sns
    from matplotlib.patches import Rectangle

    shown = matrix.copy()
    for name in shown.index:
        shown.loc[name, name] = floor[name]
    sns.heatmap(shown, annot=True, fmt=".0f", cmap="viridis_r", square=True, ax=ax,
                cbar_kws=dict(label=f"d_p ({unit})"), annot_kws=dict(fontsize=9))
    ax.grid(False)
    for i in range(len(shown)):
        ax.add_patch(Rectangle((i, i), 1, 1, fill=False, edgecolor="black", linewidth=2))
    ax.set(xlabel="", ylabel="", title=title)


def away_from_neighbours(points) -> np.ndarray:
    """For each 2-D point, the unit direction of the push its neighbours give it,
    ``sum_j (p_i - p_j) / norm(p_i - p_j)^3`` (an inverse-square repulsion): where its label is
    least likely to cover another point or label; up and to the right where nothing pushes (one
    point, or a twin at the same place). Shape (n, 2)."""
    points = np.asarray(points, dtype=float)
    if points.ndim != 2 or points.shape[1] != 2 or not np.isfinite(points).all():
        raise ValueError(f"points must be finite, of shape (n, 2), got shape {points.shape}")
    apart = points[:, None, :] - points[None, :, :]
    cubed = np.linalg.norm(apart, axis=-1)[..., None] ** 3
    push = np.divide(apart, cubed, out=np.zeros_like(apart), where=cubed > 0).sum(axis=1)
    length = np.linalg.norm(push, axis=1)
    directions = np.tile([np.sqrt(0.5), np.sqrt(0.5)], (len(points), 1))
    directions[length > 0] = push[length > 0] / length[length > 0, None]
    return directions


def plot_embedding(mean_embedding, seed_embeddings: Sequence, names: Sequence[str],
                   groups: Mapping[str, str], axes, *, unit: str = "bits"):
    """The three 2-D projections (components 1-2, 1-3, 2-3) of a 3-D embedding on ``axes``:
    a large labelled point per name, coloured by its group, its label pushed away from its
    neighbours (:func:`away_from_neighbours`), and a small point per seed's own (aligned)
    embedding; a legend of the groups beside the last panel."""
    import seaborn as sns

    def side(component):  # 0, 1, 2: the label's side of its point along one axis
        return 0 if component < -0.4 else 2 if component > 0.4 else 1

    kinds = list(dict.fromkeys(groups[name] for name in names))
    palette = dict(zip(kinds, sns.color_palette("colorblind", len(kinds))))
    for ax, (i, j) in zip(axes, [(0, 1), (0, 2), (1, 2)]):
        for index, name in enumerate(names):
            colour = palette[groups[name]]
            for points in seed_embeddings:
                ax.scatter(points[index, i], points[index, j], color=colour, s=18, alpha=0.5)
            ax.scatter(mean_embedding[index, i], mean_embedding[index, j], color=colour, s=120,
                       edgecolor="black", label=groups[name])
        for index, (name, (dx, dy)) in enumerate(
                zip(names, away_from_neighbours(mean_embedding[:, [i, j]]))):
            ax.annotate(name, mean_embedding[index, [i, j]], fontsize=9, xytext=(10 * dx, 10 * dy),
                        textcoords="offset points", ha=("right", "center", "left")[side(dx)],
                        va=("top", "center", "bottom")[side(dy)])
        ax.margins(0.25)  # room inside the axes for the labels of the outermost points
        ax.set(xlabel=f"Isomap component {i + 1} ({unit})",
               ylabel=f"Isomap component {j + 1} ({unit})")
        ax.set_aspect("equal", adjustable="datalim")
    handles, labels = axes[0].get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    axes[-1].legend(unique.values(), unique.keys(), bbox_to_anchor=(1.02, 1), loc="upper left")
