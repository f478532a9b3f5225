# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Information distance as a tool: the geometry of tasks
#
# The paper's sec. 4.1 {cite:p}`anonymous2021distance` draws two maps with $d_p$ and Isomap: one
# of network architectures, which {doc}`information_distance_geometry` takes offline, and one of
# **datasets**: "on each dataset, a model is trained to represent the input-output function of
# the task", $d_p$ is computed between those functions, and "in the nine large datasets of VTAB,
# datasets cluster largely according to the three categories proposed in VTAB (natural,
# specialized, and structured)" (Fig. 4, top; app. B.3: ResNet-56 trained from scratch, $k$ =
# 10,000).
#
# None of the 13 VTAB datasets is available offline, so the claims about them (which dataset is
# near which) are recorded as not testable in {doc}`information_distance_geometry`. What can be
# tested is the **principle** the picture is read with: that $d_p$ between the functions of
# different tasks groups tasks of one kind together. Four of the paper's nine large datasets are
# already tasks of this form: dSprites-location and dSprites-orientation are the same images with
# two labels, and so are SmallNORB-azimuth and SmallNORB-elevation. This chapter builds such a
# zoo of **tasks on the same Fashion-MNIST images**, in two families of our own making, labelled
# as such:
#
# - **what the object is** (standing for VTAB's natural images, whose labels name objects): the
#   garment, its kind, the half of the class list it is in;
# - **where and how much ink** (standing for VTAB's structured tasks, whose labels are geometric
#   quantities such as location, orientation, azimuth and elevation): the image's ink, its
#   vertical spread and its horizontal spread, each cut into deciles.
#
# Because every task labels the same images with 10 outputs, $d_p$'s KL code is defined between
# every pair of networks, which for VTAB's different label spaces the paper does not explain.

# %% tags=["parameters"]
profile = "cpu"  # "smoke" (seconds), "cpu" (the published book), "gpu" (more seeds and data)
seed = 0  # first seed; runs use seed, seed + 1, ...
device = "auto"  # "auto", "cpu" or "cuda"
# None: take the profile's value
n_seeds = None  # trainings of every task (replicates of the whole zoo)
n_train = None  # training images, the same for every task
k = None  # test images coded by d_p, the same for every pair
epochs = None  # training epochs of every network (fixed: no early stopping)

# %%
PROFILES = {
    "smoke": dict(n_seeds=1, n_train=200, k=50, epochs=1),
    "cpu": dict(n_seeds=4, n_train=2_000, k=400, epochs=10),
    "gpu": dict(n_seeds=5, n_train=20_000, k=10_000, epochs=30),
}

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch
from IPython.display import Markdown, display
from tqdm import tqdm  # text bars: papermill runs have no widgets

from infolib.cache import cached
from infolib.claims import Claims, contrast, seed_differences, unchanged_by
from infolib.config import resolve, resolve_device, seeds
from infolib.data import FASHION_MNIST_CLASSES, fashion_mnist
from infolib.distance import step_floor_distance
from infolib.fingerprint import data_digest
from infolib.geometry import (
    away_from_neighbours,
    embedding_fidelity,
    isomap_embedding,
    plot_distance_matrix,
    plot_embedding,
    procrustes_aligned,
    seed_floor,
    zero_diagonal,
    zoo_distances,
    zoo_pairs,
)
from infolib.models import small_cnn
from infolib.train import cached_network, fit_and_score

settings = resolve(
    PROFILES,
    profile,
    chapter="information_distance_tasks",
    n_seeds=n_seeds,
    n_train=n_train,
    k=k,
    epochs=epochs,
)
torch_device = resolve_device(device)
sns.set_theme(context="notebook", style="whitegrid")
SEEDS = seeds(seed, settings.n_seeds)
x_all, y_all = fashion_mnist("train")
x_test_all, y_test_all = fashion_mnist("test")
settings

# %% [markdown]
# ## Six tasks on one set of images
#
# The three "what" tasks are functions of the garment class $y$:
#
# - **garment**: $y$ itself, 10 classes;
# - **kind**: 4 classes: tops (T-shirt, pullover, coat, shirt), trousers and dresses, footwear
#   (sandal, sneaker, ankle boot), bags;
# - **halves**: 2 classes, $y \le 4$ against $y \ge 5$ (the class split that
#   {doc}`information_distance` uses as a different task).
#
# The three "where and how much" tasks are functions of the pixels $x_{ij} \in [0, 1]$ (row $i$,
# column $j$), each cut into 10 classes at the deciles of its value over the 60,000 training
# images (fixed before any training):
#
# - **ink**: the mean intensity $\bar{x}$;
# - **height**: the vertical spread of the ink, the standard deviation of the row index $i$
#   under the weights $x_{ij}$;
# - **width**: the same for the column index $j$.
#
# Every network has 10 outputs; a task with fewer classes leaves the others unused, and training
# pushes their probability down (exercise 2 measures how far).
#
# **Which output a class uses is arbitrary**, and $d_p$ is not blind to it: the code from one
# network to another pays for moving probability between outputs, so the garment network's
# output 0 (T-shirt) and the halves network's output 0 ("first half") meet in every $d_p$
# between them, as VTAB's label indices would if the paper compared its networks output by output
# (it does not say how). So the whole zoo is trained twice: with
# the natural outputs above (class $c$ on output $c$) and with **shuffled** outputs (each task's
# classes on a fixed random permutation of the 10 outputs, one per task; the same initialization
# and mini-batch order).

# %%
KIND = (0, 1, 0, 1, 0, 2, 0, 2, 3, 2)  # garment -> top, trouser/dress, footwear, bag


def spread(x, axis):
    """The intensity-weighted standard deviation of the row (axis 0) or column (axis 1) index of
    each image of x (n x 1 x 28 x 28), in pixels."""
    images = x[:, 0].double()
    weights = images.sum(dim=2 - axis)  # ink per row (axis 0) or per column (axis 1)
    index = torch.arange(weights.shape[1], dtype=torch.float64)
    total = weights.sum(dim=1, keepdim=True)
    mean = (weights * index).sum(dim=1, keepdim=True) / total
    return ((weights * (index - mean) ** 2).sum(dim=1) / total.squeeze(1)).sqrt()


QUANTITIES = {  # task: its value per image, for the tasks cut into deciles
    "ink": lambda x: x.double().mean(dim=(1, 2, 3)),
    "height": lambda x: spread(x, axis=0),
    "width": lambda x: spread(x, axis=1),
}
DECILES = {task: [float(v) for v in np.quantile(value(x_all).numpy(), np.linspace(0.1, 0.9, 9))]
           for task, value in QUANTITIES.items()}  # plain floats: they enter the cache keys


def labels(task, x, y, order="natural"):
    """The labels of `task` for images x with garment classes y: int64, in 0..9, each class on
    the output that `output_order(task, order)` gives it."""
    if task == "garment":
        classes = y.clone()
    elif task == "kind":
        classes = torch.as_tensor(KIND)[y]
    elif task == "halves":
        classes = (y >= 5).long()
    else:
        classes = torch.as_tensor(np.digitize(QUANTITIES[task](x).numpy(), DECILES[task]))
    return output_order(task, order)[classes]


def output_order(task, order):
    """The output that each class of `task` uses: class c on output c ("natural"), or on output
    perm[c] of a fixed random permutation of the 10 outputs, one per task ("shuffled")."""
    if order == "natural":
        return torch.arange(10)
    if order == "shuffled":
        generator = torch.Generator().manual_seed(1_000 + TASKS.index(task))
        return torch.randperm(10, generator=generator)
    raise ValueError(f"order must be 'natural' or 'shuffled', got {order!r}")


TASKS = ["garment", "kind", "halves", "ink", "height", "width"]
FAMILIES = {"garment": "what", "kind": "what", "halves": "what",
            "ink": "where and how much", "height": "where and how much",
            "width": "where and how much"}
WHAT = [task for task in TASKS if FAMILIES[task] == "what"]
WHERE = [task for task in TASKS if FAMILIES[task] != "what"]
TASK_PAIRS = [(a, b) for i, a in enumerate(TASKS) for b in TASKS[i + 1:]]  # 15, unordered
OUTPUT_ORDERS = ("natural", "shuffled")  # which output each class uses (see above)

# %% [markdown]
# The labels must be what they say. Three checks with known answers: the spreads of an image
# with ink in two single pixels; the decile tasks put a tenth of the training images in each
# class; and the garment tasks agree with the class table.

# %%
two_pixels = torch.zeros(1, 1, 28, 28)
two_pixels[0, 0, 4, 10] = two_pixels[0, 0, 8, 10] = 1.0  # rows 4 and 8, column 10
print(f"two pixels 4 rows apart: height spread {spread(two_pixels, 0).item():.3f} "
      f"(expected 2), width spread {spread(two_pixels, 1).item():.3f} (expected 0)")
shares = pd.DataFrame({task: np.bincount(labels(task, x_all, y_all).numpy(), minlength=10)
                       / len(x_all) for task in TASKS}).T
print(f"decile tasks: share of the training images per class from "
      f"{shares.loc[WHERE].to_numpy().min():.3f} to {shares.loc[WHERE].to_numpy().max():.3f} "
      "(expected 0.100)")
pd.DataFrame({"garment": FASHION_MNIST_CLASSES, "kind": KIND,
              "halves": [int(c >= 5) for c in range(10)]}).set_index("garment").T

# %% [markdown]
# {numref}`fig-information-distance-tasks-examples` shows what the labels mean: for each "where
# and how much" task, test images from its lowest, middle and highest decile.

# %% tags=["hide-input"] mystnb={"figure": {"name": "fig-information-distance-tasks-examples", "caption": "Fashion-MNIST test images sorted by the three 'where and how much' tasks: one row per task (ink, height and width spread), four images from its lowest decile (class 0), four from the middle (class 5) and four from its highest (class 9), each titled with its garment. The labels are geometric quantities of the image, as VTAB's structured tasks (location, orientation, azimuth, elevation) are."}, "image": {"alt": "A grid of small grey garment images in three rows, one per task, going from little to much ink, short to tall, and narrow to wide."}}
fig, axes = plt.subplots(len(WHERE), 12, figsize=(13, 3.8))
for row, task in zip(axes, WHERE):
    task_labels = labels(task, x_test_all, y_test_all)
    chosen = np.concatenate([np.flatnonzero(task_labels.numpy() == c)[:4] for c in (0, 5, 9)])
    for ax, index in zip(row, chosen):
        ax.imshow(x_test_all[index, 0], cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(FASHION_MNIST_CLASSES[y_test_all[index]], fontsize=7)
        ax.set_xticks([])
        ax.set_yticks([])
    row[0].set_ylabel(task, fontsize=10)
fig.suptitle("The structured tasks: deciles 0, 5 and 9 (four test images each)")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Training
#
# One network per task, seed and output order (natural, shuffled): the convolutional network of
# the information-distance chapters (`small_cnn` with a hidden layer of 64), trained as in
# {doc}`information_distance_geometry` on
# the same `n_train` training images for every task (drawn once from the first seed), with Adam
# (learning rate $10^{-3}$, batch 64) for a fixed number of epochs. Seed $s$ of the task listed
# $i$-th draws its initialization and mini-batch order from $s + 10{,}000\,(i + 1)$, so two tasks
# never share an initialization, as two of the paper's datasets do not. Test accuracy on 2,000
# test images, with the accuracy of always answering the task's most common class beside it.

# %%
TRAIN_ORDER = torch.randperm(len(x_all), generator=torch.Generator().manual_seed(seed))
x_train, y_train = x_all[TRAIN_ORDER[: settings.n_train]], y_all[TRAIN_ORDER[: settings.n_train]]
PROBE_ORDER = torch.randperm(len(x_test_all), generator=torch.Generator().manual_seed(seed))
probe = x_test_all[PROBE_ORDER[: settings.k]]  # the k inputs every d_p codes
x_check, y_check = x_test_all[:2_000], y_test_all[:2_000]
# the data the units read, in their keys: at `gpu` they are too large for the fingerprint
DATA_DIGEST = data_digest(x_train, y_train, x_check, y_check, probe)


def init_seed(task, run_seed):
    return run_seed + 10_000 * (1 + TASKS.index(task))


def trained(task, run_seed, order="natural"):
    """The network of `task`, seed `run_seed` and output order (trained once, cached), and its
    test accuracy."""
    init = init_seed(task, run_seed)
    key = settings.key("network", "n_train", "epochs", task=task, init_seed=init, data_seed=seed,
                       deciles=DECILES.get(task), order=order, data=DATA_DIGEST)
    return cached_network(key, lambda: small_cnn(hidden=64, seed=init), lambda: fit_and_score(
        small_cnn(hidden=64, seed=init), x_train, labels(task, x_train, y_train, order), x_check,
        labels(task, x_check, y_check, order), epochs=settings.epochs, seed=init,
        device=torch_device))


# %% tags=["remove-stderr"]
networks = pd.DataFrame([dict(task=task, seed=s, order=order,
                              test_accuracy=trained(task, s, order)[1])
                         for s in tqdm(SEEDS, desc="task seeds") for order in OUTPUT_ORDERS
                         for task in TASKS])
majority = {task: np.bincount(labels(task, x_check, y_check).numpy()).max() / len(x_check)
            for task in TASKS}
accuracy_table = networks.pivot_table(index="task", columns=["order", "seed"],
                                      values="test_accuracy").reindex(TASKS)
accuracy_table[("most common class", "")] = pd.Series(majority)
accuracy_table.round(3).rename_axis("test accuracy")

# %% [markdown]
# ## Which pairs are coded, and the claims fixed before
#
# $d_p(f_A, f_B) = \max\{L'(f_A \mid f_B), L'(f_B \mid f_A)\}$ (eq. 7) in bits, coded on the
# same $k$ test images for every pair with the coding of {doc}`information_distance_geometry`
# (first block 10, Adam at $10^{-3}$ with early stopping and a floor on the steps of small
# blocks, no learning-rate search). As there:
#
# - **task pairs**: within each seed, every pair of the 6 tasks (15 per seed);
# - **seed pairs**: for each task, its networks of consecutive seeds, cyclically: the **seed
#   floor**, how far apart two trainings of one task are.
#
# The claims, written before any distance was computed (the chapter's `smoke` run, one seed on
# 200 images, was the first), and paired over seeds with the kit's `contrast` (the 90%
# t-interval of the mean paired difference decides). For seed $s$, $D_s(a, b)$ is the task pair
# $(a, b)$ and $F_s(a)$ the seed pair of task $a$ that starts at $s$.
#
# 1. **Tasks cluster by family** (the principle behind "datasets cluster largely according to
#    the three categories proposed in VTAB", on our two families): the mean $D_s$ over the 9
#    pairs of tasks of different families exceeds the mean over the 6 pairs within a family.
# 2. **Two trainings of one task are closer, on average, than two tasks** (not the paper's: the
#    premise that its map can be read, since it draws one network per dataset): the mean over
#    tasks of the distance to the nearest other task exceeds the mean seed floor.
#
# Both are decided on the natural outputs. **Added in the second edition**, after the natural
# outputs' verdicts were known and before any network with shuffled outputs was trained: each
# claim is tested again on the shuffled outputs, and a claim whose two verdicts differ is
# recorded as inconclusive (its verdict would depend on which output each class uses).

# %%
def pair_distance(task_a, seed_a, task_b, seed_b, order):
    """d_p in bits, and its two directions, on the probe images with the coding of the
    previous chapters (infolib.distance.step_floor_distance: first block 10, a step floor,
    Adam at 1e-3), seeded by the first network's seed."""
    return step_floor_distance(trained(task_a, seed_a, order)[0],
                               trained(task_b, seed_b, order)[0], probe, seed=seed_a,
                               device=torch_device).as_record()


def pair(kind, task_a, seed_a, task_b, seed_b, order):
    """One coded pair (cached), as a row."""
    key = settings.key("pair", "n_train", "epochs", "k", a=task_a, seed_a=seed_a, b=task_b,
                       seed_b=seed_b, deciles_a=DECILES.get(task_a),
                       deciles_b=DECILES.get(task_b), data_seed=seed, order=order,
                       data=DATA_DIGEST)
    return dict(kind=kind, a=task_a, seed_a=seed_a, b=task_b, seed_b=seed_b, order=order,
                **cached(key, lambda: pair_distance(task_a, seed_a, task_b, seed_b, order)))


PAIRS = zoo_pairs(TASKS, SEEDS, "task")
print(f"{len(PAIRS)} pairs: {sum(p[0] == 'task' for p in PAIRS)} task pairs, "
      f"{sum(p[0] == 'seed' for p in PAIRS)} seed pairs")

# %% tags=["remove-stderr"]
all_pairs = pd.DataFrame([pair(*p, order) for order in OUTPUT_ORDERS
                          for p in tqdm(PAIRS, desc=f"pairs, {order} outputs")])
# for each output order: the task pairs, the seed pairs, the per-seed d_p matrices, their mean
# and the seed floors (NaN with one seed)
DISTANCES = {order: zoo_distances(all_pairs[all_pairs.order == order], TASKS, SEEDS, "task")
             for order in OUTPUT_ORDERS}
MATRICES, MEAN_MATRIX, SEED_FLOOR = (DISTANCES["natural"].matrices, DISTANCES["natural"].mean,
                                     DISTANCES["natural"].floor)

# %% [markdown]
# ## The map of tasks
#
# {numref}`fig-information-distance-tasks-matrix` is the $d_p$ matrix: off the diagonal the
# distance between two tasks' networks (mean over seeds), on the diagonal each task's seed
# floor. {numref}`fig-information-distance-tasks-isomap` is its Isomap embedding in three
# dimensions, every point linked, drawn as three 2-D projections, with each seed's own embedding
# rotated onto the mean one.

# %% tags=["hide-input"] mystnb={"figure": {"name": "fig-information-distance-tasks-matrix", "caption": "The information distance d_p in bits between networks trained on six tasks that label the same Fashion-MNIST images, three about what the object is (garment, kind, halves) and three about where and how much ink there is (ink, height, width). Off the diagonal: the distance between two tasks' networks of the same seed, the mean over seeds; on the diagonal (outlined): the seed floor, the distance between two trainings of one task from different seeds (empty with one seed)."}, "image": {"alt": "A six by six heatmap of information distances in bits between networks trained on six labelings of the same images, each cell's value written in it, the diagonal cells outlined."}}
fig, ax = plt.subplots(figsize=(7, 5.6))
plot_distance_matrix(MEAN_MATRIX, SEED_FLOOR, ax, title="d_p between tasks (diagonal: seed "
                     f"floor); {len(SEEDS)} seed(s), k = {settings.k}")
fig.tight_layout()
plt.show()

# %%
MEAN_EMBEDDING = isomap_embedding(zero_diagonal(MEAN_MATRIX))
SEED_EMBEDDINGS = [procrustes_aligned(isomap_embedding(zero_diagonal(m)), MEAN_EMBEDDING)
                   for m in MATRICES.values()]

# %% tags=["hide-input"] mystnb={"figure": {"name": "fig-information-distance-tasks-isomap", "caption": "Our stand-in for Fig. 4 (top): the 3-D Isomap embedding of the d_p matrix of the six tasks, as its three 2-D projections (components 1-2, 1-3 and 2-3); large labelled points: the embedding of the matrix averaged over seeds, coloured by family; small points: each seed's own embedding, rotated onto the large points by orthogonal Procrustes."}, "image": {"alt": "Three scatter plots, the 2-D projections of a 3-D embedding of six tasks coloured by their family, each task a large labelled point surrounded by small points, one per seed."}}
fig, axes = plt.subplots(1, 3, figsize=(16, 5))
plot_embedding(MEAN_EMBEDDING, SEED_EMBEDDINGS, TASKS, FAMILIES, axes)
fig.suptitle(f"Fig. 4 (datasets), stand-in on Fashion-MNIST: Isomap of d_p between tasks; "
             f"{len(SEEDS)} seed(s), k = {settings.k}")
fig.tight_layout()
plt.show()


# %%
def map_reading():
    """What the matrix and the embedding show, in this run's numbers."""
    upper = pd.Series({(a, b): MEAN_MATRIX.loc[a, b] for a, b in TASK_PAIRS})
    within = [FAMILIES[a] == FAMILIES[b] for a, b in upper.index]
    nearest = MEAN_MATRIX.idxmin(axis=1)
    fidelity = embedding_fidelity(zero_diagonal(MEAN_MATRIX), MEAN_EMBEDDING)
    lines = [
        f"- Closest tasks: {upper.idxmin()[0]} and {upper.idxmin()[1]} ({upper.min():.0f} bits);"
        f" farthest: {upper.idxmax()[0]} and {upper.idxmax()[1]} ({upper.max():.0f} bits).",
        f"- Within a family {upper[within].mean():.0f} bits on average, across families "
        f"{upper[[not w for w in within]].mean():.0f} bits.",
        "- Each task's nearest other task: " + ", ".join(
            f"{task} -> {nearest[task]}" + ("" if FAMILIES[task] == FAMILIES[nearest[task]]
                                            else " (other family)") for task in TASKS) + ".",
        f"- The 3-D embedding's distances differ from the mean d_p by "
        f"{fidelity['median_error']:.0%} (median; largest {fidelity['largest_error']:.0%}); "
        f"{fidelity['shortcuts']} of {fidelity['pairs']} distances exceed a detour through a "
        "third task.",
    ]
    if SEED_FLOOR.notna().all():
        lines.append(f"- Seed floors from {SEED_FLOOR.min():.0f} bits ({SEED_FLOOR.idxmin()}) to "
                     f"{SEED_FLOOR.max():.0f} ({SEED_FLOOR.idxmax()}).")
    return "\n".join(lines)


display(Markdown(map_reading()))

# %% [markdown]
# ## Does the map depend on which output a class uses?
#
# {numref}`fig-information-distance-tasks-shuffled` is the same matrix for the zoo trained with
# shuffled outputs; below it, how far the two maps agree.

# %% tags=["hide-input"] mystnb={"figure": {"name": "fig-information-distance-tasks-shuffled", "caption": "The d_p matrix of the six tasks as in the natural-output matrix above, for networks trained with each task's classes on a fixed random permutation of the 10 outputs (the same initializations, images and mini-batch orders). Off the diagonal: the mean over seeds; on the diagonal: the seed floor. Its colour scale is its own: compare the numbers in the cells with the natural-output matrix, not the colours."}, "image": {"alt": "A six by six heatmap of information distances in bits between networks trained on six labelings with shuffled output indices, each cell's value written in it."}}
SHUFFLED_MATRICES, SHUFFLED_MEAN = DISTANCES["shuffled"].matrices, DISTANCES["shuffled"].mean
fig, ax = plt.subplots(figsize=(7, 5.6))
plot_distance_matrix(SHUFFLED_MEAN, DISTANCES["shuffled"].floor,
                     ax, title=f"d_p between tasks, shuffled outputs (diagonal: seed floor); "
                     f"{len(SEEDS)} seed(s), k = {settings.k}")
fig.tight_layout()
plt.show()

# %%
natural_upper = np.array([MEAN_MATRIX.loc[a, b] for a, b in TASK_PAIRS])
shuffled_upper = np.array([SHUFFLED_MEAN.loc[a, b] for a, b in TASK_PAIRS])
ratio = shuffled_upper / natural_upper
order_agreement = pd.Series(natural_upper).corr(pd.Series(shuffled_upper), "spearman")
print(f"Over the {len(TASK_PAIRS)} task pairs (means over seeds): rank correlation of d_p with "
      f"natural and with shuffled outputs {order_agreement:+.2f}; shuffled / natural from "
      f"{ratio.min():.2f} to {ratio.max():.2f} (median {np.median(ratio):.2f}).")

# %% [markdown]
# ## What the distances follow
#
# Read after the run, not a claim fixed before it: how much do two tasks' **labels** share? The
# mutual information $I(a; b)$ between the labels of tasks $a$ and $b$ on the 60,000 training
# images (a plug-in estimate from their joint histogram, in bits) needs no network at all. The
# kind and the half are functions of the garment, so the garment's labels hold all of theirs
# ($I = H(\text{kind})$, $H(\text{half})$); the geometric tasks share some information with
# the garment (trousers are tall and narrow, bags wide) and less with each other.
# {numref}`fig-information-distance-tasks-labels` sets $d_p$ between the tasks' networks against
# it.

# %%
TRAIN_LABELS = {task: labels(task, x_all, y_all).numpy() for task in TASKS}


def label_information(task_a, task_b):
    """I(a; b) in bits between two tasks' labels on the training images (plug-in)."""
    joint = np.zeros((10, 10))
    np.add.at(joint, (TRAIN_LABELS[task_a], TRAIN_LABELS[task_b]), 1)
    joint /= joint.sum()
    outer = joint.sum(axis=1, keepdims=True) * joint.sum(axis=0, keepdims=True)
    mask = joint > 0
    return float((joint[mask] * np.log2(joint[mask] / outer[mask])).sum())


shared = pd.DataFrame([dict(a=a, b=b, same_family=FAMILIES[a] == FAMILIES[b],
                            label_information=label_information(a, b), d_p=MEAN_MATRIX.loc[a, b])
                       for a, b in TASK_PAIRS])
shared["d_p_shuffled"] = [SHUFFLED_MEAN.loc[a, b] for a, b in TASK_PAIRS]
FARTHEST_TASK = MEAN_MATRIX.mean(axis=1).idxmax()
without_farthest = shared[(shared.a != FARTHEST_TASK) & (shared.b != FARTHEST_TASK)]
LABEL_RHO = {(order, subset): rows[column].corr(rows.label_information, "spearman")
             for order, column in (("natural", "d_p"), ("shuffled", "d_p_shuffled"))
             for subset, rows in (("all", shared), ("without", without_farthest))}
print(f"rank correlation of d_p with the labels' mutual information over the {len(shared)} "
      f"pairs: {LABEL_RHO['natural', 'all']:+.2f} with natural outputs, "
      f"{LABEL_RHO['shuffled', 'all']:+.2f} with shuffled ones; without the pairs of "
      f"{FARTHEST_TASK} (the task farthest from all others) {LABEL_RHO['natural', 'without']:+.2f} "
      f"and {LABEL_RHO['shuffled', 'without']:+.2f}")

# %% tags=["hide-input"] mystnb={"figure": {"name": "fig-information-distance-tasks-labels", "caption": "For each of the 15 pairs of tasks, d_p in bits between their networks (natural outputs, the mean over seeds) against the mutual information between the two tasks' labels on the training images (bits); filled: both tasks in one family, open: one in each. Read after the run: no claim was fixed on it."}, "image": {"alt": "A scatter plot of fifteen labelled task pairs, information distance in bits against the mutual information of their labels, with filled markers for pairs within a family and open ones across families."}}
fig, ax = plt.subplots(figsize=(7.5, 5))
for within, marker in ((True, "o"), (False, "s")):
    rows = shared[shared.same_family == within]
    ax.scatter(rows.label_information, rows.d_p, s=60, marker=marker,
               facecolors="tab:blue" if within else "none", edgecolors="tab:blue",
               label="same family" if within else "different families")
# each label pushed away from its neighbours, measured in units of each axis's range (the axes
# have different units)
spots = shared[["label_information", "d_p"]].to_numpy()
pushes = away_from_neighbours((spots - spots.min(0)) / np.maximum(np.ptp(spots, 0), 1e-12))
for (x, y), (dx, dy), a, b in zip(spots, pushes, shared.a, shared.b):
    ax.annotate(f"{a}-{b}", (x, y), fontsize=8, xytext=(12 * dx, 12 * dy),
                textcoords="offset points", ha="left" if dx > 0.4 else "right" if dx < -0.4
                else "center", va="bottom" if dy > 0.4 else "top" if dy < -0.4 else "center")
ax.margins(0.15)  # room inside the axes for the outermost labels
ax.set(xlabel="I(labels of a; labels of b) on the training images (bits)",
       ylabel="d_p between the networks (bits)",
       title=f"d_p against what the labels share; {len(SEEDS)} seed(s), k = {settings.k}")
ax.legend()
fig.tight_layout()
plt.show()


# %% [markdown]
# ## Claims

# %%
def family_means(matrix):
    """The mean D_s over pairs within a family, and over pairs across families."""
    return (np.mean([matrix.loc[a, b] for a, b in TASK_PAIRS if FAMILIES[a] == FAMILIES[b]]),
            np.mean([matrix.loc[a, b] for a, b in TASK_PAIRS if FAMILIES[a] != FAMILIES[b]]))


FAMILY_MEANS = {order: np.array([family_means(DISTANCES[order].matrices[s]) for s in SEEDS]).T
                for order in OUTPUT_ORDERS}  # per order: (within, across), one value per seed


def family_result(order):
    """The family claim's test on one output order: across - within, paired over seeds."""
    within, across = FAMILY_MEANS[order]
    return contrast(across, within, expected="greater", unit="bits", digits=0,
                    label=f"mean d_p across families - within a family ({order} outputs)")


def seeds_result(order):
    """The seeds-closest claim's test on one output order: nearest other task - seed floor."""
    floor_rows, matrices = DISTANCES[order].seed_pairs, DISTANCES[order].matrices
    nearest = np.array([matrices[s].min(axis=1).mean() for s in SEEDS])
    floors = np.array([seed_floor(floor_rows, s) for s in SEEDS])  # F_s over the tasks
    return contrast(nearest, floors, expected="greater", unit="bits", digits=0,
                    label=f"mean d_p to the nearest other task - mean seed floor ({order} "
                    "outputs)")


def on_both_orders(test):
    """The natural outputs' verdict when the shuffled outputs give the same, else inconclusive."""
    return unchanged_by(test("natural"), **{"shuffled outputs": test("shuffled")})


# %%
claims = Claims("information_distance_tasks", paper="Anonymous, ICLR 2021 submission",
                settings=settings, seeds=SEEDS, device=torch_device)
STAND_IN = (f"six tasks on the same Fashion-MNIST images ({settings.n_train} training images, "
            f"k = {settings.k} test images, {len(SEEDS)} seed(s)) for VTAB's datasets; the "
            "families are ours")
def family_detail(order):
    """What the family claim's verdict rests on, for one output order: the seeds' differences
    and each family's own mean (two families pooled can behave in opposite ways)."""
    mean = DISTANCES[order].mean

    def mean_over(keep):
        return np.mean([mean.loc[a, b] for a, b in TASK_PAIRS if keep(FAMILIES[a], FAMILIES[b])])

    within, across = FAMILY_MEANS[order]
    per_family = ", ".join(f"within '{family}' {mean_over(lambda f, g: f == g == family):.0f}"
                           for family in dict.fromkeys(FAMILIES.values()))
    return (f"{order} outputs: across - within per seed "
            + seed_differences(across - within, "+.0f")
            + f"; {per_family}, across {mean_over(lambda f, g: f != g):.0f} bits")


family_claim = claims.add(
    "task-families-cluster", where="sec. 4.1, Fig. 4 (top), stand-in",
    statement="datasets cluster largely according to the three categories proposed in VTAB "
    "(tested as its principle: tasks of one kind are closer in d_p than tasks of different "
    "kinds, on two families of our own making)",
    result=on_both_orders(family_result),
    note="families: " + "; ".join(f"{f}: {', '.join(t for t in TASKS if FAMILIES[t] == f)}"
                                 for f in dict.fromkeys(FAMILIES.values())) + "; " + STAND_IN
    + "; " + "; ".join(family_detail(order) for order in OUTPUT_ORDERS),
)
if SEED_FLOOR.isna().any():
    claims.add(
        "task-seeds-closest", where="sec. 4.1 (the premise of Fig. 4)",
        statement="two trainings of one task are closer than two tasks (not stated by the "
        "paper, which shows one network per dataset)",
        measured="one seed: no seed pairs", holds=None,
        note="the seed floor needs at least two seeds per task",
    )
else:
    nearest_by_task = MEAN_MATRIX.min(axis=1)
    closer = [task for task in TASKS if SEED_FLOOR[task] < nearest_by_task[task]]
    claims.add(
        "task-seeds-closest", where="sec. 4.1 (the premise of Fig. 4)",
        statement="two trainings of one task are closer than two tasks (not stated by the "
        "paper, which shows one network per dataset)",
        result=on_both_orders(seeds_result),
        note=f"per task (means over seeds, natural outputs), the seed floor is below the nearest "
        f"other task for {len(closer)} of {len(TASKS)}" + (f" ({', '.join(closer)})"
                                                           if closer else "")
        + "; the closest task pair of each seed and order is "
        + ("farther than" if min(DISTANCES[o].matrices[s].min().min() for o in OUTPUT_ORDERS
                                 for s in SEEDS)
           > max(DISTANCES[o].seed_pairs.d_p.max() for o in OUTPUT_ORDERS)
           else "not always farther than")
        + " the largest seed floor",
    )
claims.save("information_distance_tasks.claims.json")
claims


# %% [markdown]
# ## What we see

# %%
def what_we_see():
    """The chapter's reading, in this run's numbers."""
    difference, shuffled_difference = (np.mean(FAMILY_MEANS[order][1] - FAMILY_MEANS[order][0])
                                       for order in OUTPUT_ORDERS)
    farthest = MEAN_MATRIX.mean(axis=1).idxmax()
    rho = shared.d_p.corr(shared.label_information, "spearman")
    def direction(d):
        return f"{abs(d):.0f} bits " + ("farther apart" if d > 0 else "closer")

    return (
        f"- Pairs of tasks from different families are on average {direction(difference)} than "
        f"pairs within a family (across - within = {difference:+.0f} bits, mean over "
        f"{len(SEEDS)} seed(s)): "
        + {"reproduced": "the families group the tasks (the claim is reproduced). ",
           "not reproduced": "our families are **not** what groups the tasks (the claim is not "
                             "reproduced). "}.get(family_claim.verdict,
                                                  f"the claim is {family_claim.verdict}. ")
        + f"The task farthest from all others is {farthest}.\n"
        f"- With shuffled outputs that difference is {shuffled_difference:+.0f} bits"
        + ("; the two output orders point in opposite directions"
           if np.sign(difference) != np.sign(shuffled_difference) else "")
        + "; each family's own mean is in the claim's note; the family test gives "
        f"{family_result('natural').verdict} on natural and "
        f"{family_result('shuffled').verdict} on shuffled outputs, and the two maps rank the "
        f"task pairs with a rank correlation of {order_agreement:+.2f}.\n"
        f"- Read after the run (no claim was fixed on it): the rank correlation of $d_p$ with "
        f"the information the two tasks' labels share is {rho:+.2f} over the {len(shared)} "
        f"pairs with natural outputs and {LABEL_RHO['shuffled', 'all']:+.2f} with shuffled ones "
        f"({LABEL_RHO['natural', 'without']:+.2f} and {LABEL_RHO['shuffled', 'without']:+.2f} "
        f"without the pairs of {FARTHEST_TASK}); the pairs are not independent (each task is in "
        "five). A strongly negative value on both orders would say that tasks whose answers "
        "tell much about each other have networks that are cheap to code from each other, "
        "whatever family we put them in: a caution for the paper's reading of Fig. 4, since a "
        "map of $d_p$ would then group datasets by what their labels share on common inputs "
        "rather than by categories named by how the data were made (VTAB's natural, specialized "
        "and structured).")


display(Markdown(what_we_see()))

# %% [markdown]
# ## What this chapter leaves out, and why
#
# - **VTAB itself.** Which of the paper's datasets lie near which (CIFAR-100 far from all, SVHN
#   near the 2-D shapes, the small datasets evenly spread) names datasets we do not have; those
#   claims stay not testable ({doc}`information_distance_geometry`). Our families are ours: a
#   result here says whether $d_p$ groups tasks by how their labels are made, not whether VTAB's
#   categories are the right ones.
# - **Different images per task.** VTAB's datasets differ in their images as well as their
#   labels; ours share the images, as dSprites' and SmallNORB's tasks do, so that every $d_p$ is
#   coded on one set of inputs. With different images the paper does not say on which inputs
#   $d_p$ is coded.
# - **ResNet-56 and $k$ = 10,000**: at `cpu` one small CNN per task and $k$ = 400; the `gpu`
#   profile codes 10,000 images with 20,000 training images and 5 seeds.
# - **Our choices**, made before the results: the six tasks and their two families, deciles at
#   the training set's quantiles, fixed epochs (as in the architecture zoo, where early stopping
#   kept an untrained network), and no search over coding learning rates.

# %% [markdown]
# ## Exercises
#
# Each solution runs in well under a second at every profile: it reads the chapter's networks,
# labels and matrices.
#
# ```{exercise}
# :label: ex-information_distance_tasks-1
#
# **The task far from all others.** One task's network may sit far from every other one in the
# matrix. Is that because its task is hard for the network (its test accuracy, beside the most
# common class's share), or because its labels share little with the other tasks' (the mutual
# information of the previous section)? For each task, put its mean $d_p$ to the five others
# beside both, and predict first which one explains the order.
# ```
#
# ```{solution-start} ex-information_distance_tasks-1
# :class: dropdown
# ```
#
# $d_p(f_A, f_B)$ is the larger of two codes of one network's outputs starting from the other.
# A network whose outputs the others cannot predict makes both codes long: either because its
# labels are about something the other tasks' labels do not tell (little shared information),
# or because it learned its own task badly and its outputs are noisy in ways no other network
# shares. Accuracy alone is a weak guide, because tasks differ in how many classes they have and
# how separable they are: compare each accuracy with its task's most common class.

# %% tags=["solution"]
mean_distance = MEAN_MATRIX.mean(axis=1)  # NaN diagonal skipped: the mean over the other five
mean_shared = pd.Series({task: shared[(shared.a == task) | (shared.b == task)]
                         .label_information.mean() for task in TASKS})
accuracy_of = networks[networks.order == "natural"].groupby("task").test_accuracy.mean()
far = pd.DataFrame({"mean d_p to the others (bits)": mean_distance,
                    "mean label information with the others (bits)": mean_shared,
                    "test accuracy": accuracy_of, "most common class": pd.Series(majority)})
print(f"rank correlation over the six tasks of the mean d_p with the mean label information: "
      f"{far.iloc[:, 0].corr(far.iloc[:, 1], 'spearman'):+.2f}, with the test accuracy: "
      f"{far.iloc[:, 0].corr(far.iloc[:, 2], 'spearman'):+.2f}")
far.sort_values("mean d_p to the others (bits)", ascending=False).round(3)

# %% [markdown]
# With six tasks a rank correlation is a rough guide (it moves by up to 0.3 when two neighbours
# swap); read the rows. The top row is the task far from all others: see whether it also shares the
# least with them, or is the least well learned relative to its chance level, or both.
#
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise}
# :label: ex-information_distance_tasks-2
#
# **Unused outputs.** The halves task uses 2 of the 10 outputs. How much probability does its
# network still put on the 8 others, on the probe images, and how does that compare with the
# garment network's probability on outputs 0 and 1, the 2 the halves task uses? Predict
# first: does an unused output cost $d_p$ anything?
# ```
#
# ```{solution-start} ex-information_distance_tasks-2
# :class: dropdown
# ```
#
# Trained with cross-entropy on labels 0 and 1 only, the halves network pushes the other eight
# logits down, but not to minus infinity: it leaves a little mass there, which shrinks with
# training. The KL code from the halves network to another task's network pays for moving that
# mass, and the code the other way pays for the garment network's spread over 10 classes, which
# the halves network must learn to collapse into two. Either direction costs bits that come from
# the label spaces, not from the images: part of $d_p$ between a coarse task and a fine one is
# the difference of their label entropies.

# %% tags=["solution"]
def output_mass(task, classes, run_seed=SEEDS[0]):
    """The mean probability the network of `task` puts on `classes`, over the probe images."""
    model, _ = trained(task, run_seed)
    with torch.no_grad():
        probabilities = torch.softmax(model(probe), dim=1)
    return float(probabilities[:, classes].sum(dim=1).mean())


for task, classes, what in [("halves", range(2, 10), "its 8 unused outputs"),
                            ("kind", range(4, 10), "its 6 unused outputs"),
                            ("garment", range(2), "outputs 0 and 1")]:
    print(f"{task} network (seed {SEEDS[0]}, natural outputs): mass on {what}: "
          f"{output_mass(task, list(classes)):.2e}")

# %% [markdown]
# Compare the first two lines with the third: the mass a coarse task's network leaves on outputs
# it never saw as labels, against the mass the garment network puts on outputs 0 and 1
# (T-shirts and trousers), which the halves network uses for "first half" and "second half".
# The same output means different things to the two networks, and $d_p$ measures that
# difference along with what the images mean to each.
#
# ```{solution-end}
# ```
