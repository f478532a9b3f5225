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
# # Usable information and minimal representations in the checkerboard task
#
# Kleinman, Achille, Idnani and Kao {cite}`kleinman2021usable` ask what a network trained with SGD
# keeps in its hidden layers. They measure the **usable information** that a representation $Z$
# holds about a label $Y$: how much a trained decoder can read out,
#
# $$ I_u(Z;Y) = H(Y) - \mathcal{L}_{CE}\big(p(y|z), q(y|z)\big) \qquad \text{(the paper's eq. 1)} $$
#
# where $\mathcal{L}_{CE}$ is the cross-entropy of a decoder $q(y|z)$ on held-out samples. A
# decoder that learns nothing scores $\mathcal{L}_{CE} = H(Y)$ and $I_u = 0$; one that predicts $Y$
# perfectly scores $I_u = H(Y)$. Because a decoder's cross-entropy cannot be below $H(Y|Z)$, the
# best possible one's (up to sampling error), $I_u$ is a lower bound on Shannon's $I(Z;Y)$ (the
# paper's appendix A.1), but it is
# well defined for deterministic networks, where Shannon's information between input and layer is
# degenerate.
#
# **The checkerboard (CB) task.** A checkerboard has a dominant color $c$ out of $n$; $n$
# targets carry the $n$ colors in a random order; the network must output the **direction** of the
# target whose color is $c$. The network sees the noisy color and the targets' colors, and is
# trained only on the direction. Color is needed to compute the direction, but once the direction
# is known the color is irrelevant: a *minimal sufficient* representation in the last layer holds
# $\log_2 n$ bits about the direction and none about the color. The paper's claim: **SGD from a
# random initialization finds such minimal representations, and a network pre-trained to output
# the color does not.**
#
# This chapter reproduces the paper's Fig. 2 with its architectures and hyper-parameters (appendix
# B.3 to B.5) and tests its claims for n = 10 and 20 colors over several seeds. Two companion
# chapters take the rest of the checkerboard part: [the controls](usable_information_controls.ipynb)
# decide the n = 2 claims with at least 8 solved runs per initialization and read them with two
# other decoders, and [pre-training](usable_information_pretraining.ipynb) reproduces Fig. 6 and 7.


# %% tags=["parameters"]
profile = "cpu"  # "smoke" (seconds), "cpu" (the published book), "gpu" (more seeds, dense curves)
seed = 0  # first seed; runs use seed, seed + 1, ...
device = "auto"  # "auto", "cpu" or "cuda"
# None: take the profile's value
tasks = None  # which of the paper's Fig. 2 panels to run
n_seeds = None  # training runs per task, a dict {"Fig. 2a": 4, ...}
epochs = None  # training epochs per run (paper: 100)
eval_epochs = None  # epochs at which usable information is measured
data_fraction = None  # fraction of the paper's number of training samples
decoder_samples = None  # fresh CB samples per evaluation (paper: 5,000, a quarter to train)
decoder_epochs = None  # decoder training epochs (paper: 100)

# %%
PROFILES = {
    "smoke": dict(
        tasks=["Fig. 2a", "Fig. 2b", "Fig. 2c"],
        n_seeds={"Fig. 2a": 2, "Fig. 2b": 1, "Fig. 2c": 1},
        epochs=4,
        eval_epochs=[0, 2, 4],
        data_fraction=0.04,
        decoder_samples=300,
        decoder_epochs=3,
    ),
    "cpu": dict(
        tasks=["Fig. 2a", "Fig. 2b", "Fig. 2c"],
        n_seeds={"Fig. 2a": 8, "Fig. 2b": 5, "Fig. 2c": 5},
        epochs=100,
        eval_epochs=[0, 10, 20, 50, 100],
        data_fraction=1.0,
        decoder_samples=5000,
        decoder_epochs=100,
    ),
    "gpu": dict(
        tasks=["Fig. 2a", "Fig. 2b", "Fig. 2c"],
        n_seeds={"Fig. 2a": 8, "Fig. 2b": 8, "Fig. 2c": 8},
        epochs=100,
        eval_epochs=list(range(0, 101, 5)),
        data_fraction=1.0,
        decoder_samples=5000,
        decoder_epochs=100,
    ),
}

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import Markdown, display
from tqdm import tqdm  # text bars: papermill runs have no widgets

from infolib.checkerboard_report import (
    information_frame, outcome, plot_information, plot_last_layer, runs_note, values_at,
)
from infolib.checkerboard_runs import TASKS, measured, solved, trained
from infolib.claims import Claims, all_of, contrast, summarize, threshold
from infolib.config import resolve, resolve_device, seeds
from infolib.usable import usable_information_many

settings = resolve(
    PROFILES,
    profile,
    chapter="usable_information",
    tasks=tasks,
    n_seeds=n_seeds,
    epochs=epochs,
    eval_epochs=eval_epochs,
    data_fraction=data_fraction,
    decoder_samples=decoder_samples,
    decoder_epochs=decoder_epochs,
)
torch_device = resolve_device(device)
sns.set_theme(context="notebook", style="whitegrid")
settings

# %% [markdown]
# ## The estimator on a case with a known answer
#
# `infolib.usable` trains a decoder $q(y|z)$ on a quarter of the samples and reports, in bits,
# $I_u(Z;Y) = H(Y) - \mathcal{L}_{CE}$ on the other three quarters, $H(Y)$ the entropy of the
# held-out labels. Its decoder is finite (an architecture, a training budget, a few hundred
# training samples), so its cross-entropy can only be worse than the best possible one, the
# conditional entropy $H(Y|Z)$: up to sampling noise, $I_u$ is a **lower bound** on Shannon's
# $I(Z;Y) = H(Y) - H(Y|Z)$.
#
# Three tasks where $I(Z;Y)$ is known. $Z$ is the one-hot code of a class $c$ drawn uniformly from
# $K = 4$ (as the checkerboard's colors are one-hot), and the label $Y$ is
#
# - **independent** of $Z$ (uniform on the $K$ classes): $I(Z;Y) = 0$;
# - **$c$ itself**, a deterministic function of $Z$: $I(Z;Y) = H(Y) = \log_2 K$;
# - **$c$ with label noise**: with probability $\varepsilon$ replaced by a uniform draw from the $K$
#   classes. Then $Y$ is still uniform and $p(y = c \mid z) = 1 - \varepsilon + \varepsilon / K$,
#   so $I(Z;Y) = \log_2 K - H(Y|Z)$ with $H(Y|Z)$ the entropy of that distribution.
#
# Two decoders, each trained with `infolib`'s defaults (30 epochs of SGD, learning rate 0.05,
# momentum 0.9; the chapter's own decoders below use plain SGD) on 250 of 1,000 samples (200 to
# fit, 50 to choose the epoch): the paper's MLP decoder architecture, which this chapter uses
# (128-64-32 units, batch-norm, dropout 0.7), and a linear decoder (`hidden=()`), for which the
# best decoder of these tasks is in reach (its logits can be $\log p(y|z)$ exactly). The reader
# should see the independent labels near zero (slightly negative is sampling noise), the
# deterministic labels near $\log_2 K$, and the noisy labels below their exact value: the gap is
# the price of a finite, regularized decoder, and it is larger for the paper's heavily
# regularized MLP.

# %%
K_DEMO, N_DEMO, NOISE_DEMO = 4, 1_000, 0.5
demo_rng = np.random.default_rng(0)
c_demo = demo_rng.integers(0, K_DEMO, size=N_DEMO)
z_demo = np.eye(K_DEMO)[c_demo]  # one-hot codes of the classes
demo_labels = {
    "independent of Z": demo_rng.integers(0, K_DEMO, size=N_DEMO),
    "deterministic, Y = c": c_demo,
    f"c with label noise, eps = {NOISE_DEMO}": np.where(
        demo_rng.random(N_DEMO) < NOISE_DEMO, demo_rng.integers(0, K_DEMO, size=N_DEMO), c_demo),
}
p_right = 1 - NOISE_DEMO + NOISE_DEMO / K_DEMO
noisy_conditional = np.array([p_right] + [NOISE_DEMO / K_DEMO] * (K_DEMO - 1))
usable_checks = pd.DataFrame({
    "exact I(Z;Y)": [0.0, math.log2(K_DEMO),
                     math.log2(K_DEMO) + (noisy_conditional * np.log2(noisy_conditional)).sum()],
}, index=list(demo_labels))
for name, hidden in (("MLP decoder (paper's)", (128, 64, 32)), ("linear decoder", ())):
    usable_checks[name] = usable_information_many(
        [z_demo] * len(demo_labels), list(demo_labels.values()), hidden=hidden, epochs=30,
        seed=0, device=torch_device,
    )
for name in ("MLP decoder (paper's)", "linear decoder"):
    usable_checks[f"{name} - exact"] = usable_checks[name] - usable_checks["exact I(Z;Y)"]
usable_checks.round(3)

# %% [markdown]
# ## The experiments, as in the paper's appendix B.5
#
# Two fully connected ReLU networks: *Small FC* with hidden layers of 10, 7, 5, 4 and 3 units,
# and *Medium FC* with 100, 20, 20 and 20. Each is trained with SGD at a constant learning rate on
# 90% of the samples to output the direction; the other 10% measure validation accuracy. The input
# is the checkerboard's one-hot color plus Gaussian noise (std 0.1), followed by the $n$ targets'
# one-hot colors, so it has $n + n^2$ entries. This is appendix B.4's encoding, used here for every
# $n$; the paper's Fig. 1b describes another input for $n = 2$ ("the proportion of green and red
# squares on the checkerboard, as well as two scalars denoting the colors of the left and right
# target"), which may make its $n = 2$ task harder than ours.


# %%
pd.DataFrame(TASKS).T.loc[list(settings.tasks)]


# %% [markdown]
# **Training.** The seeds of a task are trained together as one batched network
# (`infolib.checkerboard_runs.train_group`, through `infolib.ensemble.fit_together`): each network
# keeps its own data set, initialization, mini-batch order and SGD steps, and equals the network
# trained alone up to floating-point rounding (tested in `tests/test_checkerboard_runs.py`). It
# is what lets this chapter run at the paper's full size on two CPU cores.
#
# **Measuring usable information.** At each evaluation epoch we run the network on fresh CB samples
# (5,000 at the `cpu` profile, drawn once per run and independent of the training data) and record
# every hidden layer. For each layer and each label (direction, color) a decoder is trained on a
# quarter of them (1,250) and its cross-entropy measured on the rest (3,750), as in appendix B.3:
# hidden layers of 128, 64 and 32 units with batch-norm, Leaky-ReLU (slope 0.2) and dropout
# (p = 0.7), 100 epochs of SGD at the paper's decoder learning rate (0.05 for Small FC, 0.5 for
# Medium FC; B.3's last sentence gives these rates, which are also the trained networks' rates in
# B.5, so it may describe those and leave the decoder's unstated).
#
# Where the paper is silent or differs we chose, and say so here:
#
# - *Dropout p = 0.7* is read as the probability of dropping a unit (PyTorch's convention).
# - *Plain SGD* without momentum for the decoder, at the paper's learning rate, batch size 64.
# - *One probe set, early stopping.* B.3 draws 1,250 new training samples at every decoder epoch
#   and does not mention early stopping. We draw one set and hold out a fifth of the decoder's
#   training samples to keep each decoder's best epoch: without it a decoder overfits and an
#   uninformative representation scores clearly below zero (about $-3$ bits for a 100-dimensional
#   random one). The [controls chapter](usable_information_controls.ipynb) reads the final
#   representations with B.3's literal protocol and with a linear probe as well.
# - *$H(Y)$* is the entropy of the held-out labels; the paper uses the known uniform $\log_2 n$
#   (the plug-in entropy falls short of it by about $(n - 1) / (2 S \ln 2)$ bits for $S$ labels:
#   0.004 bit at $n$ = 20 and $S$ = 3,750).
# - *No clipping.* The paper sets negative estimates to zero (its Fig. 12). We plot the raw values:
#   how far below zero they go shows the estimator's noise level.
# - All decoders of one run (every evaluation epoch, layer and label) are trained at once as one
#   batched network by `infolib.usable.usable_information_many`; each is still an independent
#   decoder with its own weights, batch statistics and early stopping.

# %%
SEEDS = seeds(seed, max(settings.n_seeds[task] for task in settings.tasks))


def seeds_of(task):
    """The training seeds of a task: the first `n_seeds[task]` of `SEEDS`."""
    return SEEDS[:settings.n_seeds[task]]


# %% tags=["remove-stderr"]
fig2, fig2_frames = {}, []
for task in tqdm(settings.tasks, desc="Fig. 2 tasks"):
    fig2[task] = trained(settings, task, seeds_of(task), epochs=settings.epochs,
                         eval_at=settings.eval_epochs, device=torch_device)
    measurements = [measured(settings, task, run, epochs=settings.eval_epochs,
                             device=torch_device)
                    for run in tqdm(fig2[task], desc=task) if solved(run)]
    fig2_frames.append(information_frame(fig2[task], measurements, task=task))
fig2_frame = pd.concat(fig2_frames, ignore_index=True)


# %% [markdown]
# **Not every run learns the task.** Before looking at information, the final validation accuracy of
# every run. Small FC is narrow (its last layers have 4 and 3 ReLU units): from PyTorch's default
# initialization some runs never leave chance level (accuracy 0.5 for n = 2); the
# [controls chapter](usable_information_controls.ipynb) counts how often, beside a Glorot
# initialization. The paper does not report failed runs. A network that has not learned the task
# has no sufficient representation to be minimal, so the figures and claims below use the runs
# that solved the task (final validation accuracy of at least 0.9) and say how many those are.

# %%
pd.DataFrame({task: {f"seed {run['seed']}": run["val_accuracy"][-1] for run in runs}
              for task, runs in fig2.items()}).T.round(3)


# %% [markdown]
# ## Fig. 2a-c: usable direction and color information across layers and epochs
#
# One figure per task of the paper's Fig. 2: {numref}`fig-usable-information-2a` (Small FC,
# n = 2), {numref}`fig-usable-information-2b` (Medium FC, n = 10) and
# {numref}`fig-usable-information-2c` (Medium FC, n = 20). Each has two panels, one per label;
# each line is one hidden layer (darker: deeper), the mean over the runs that solved the task with
# a band from the lowest to the highest run (a band of one standard deviation would cross the
# possible range where one run differs from the rest). The dashed line is the most there is to know,
# $H = \log_2 n$ bits. The title above each figure gives the task's hyper-parameters and how many
# runs it shows; where no run solved a task, the figure says so instead.
#
# `plot_fig2` draws one task with `infolib.checkerboard_report.plot_information`.

# %% tags=["hide-input"]
def plot_fig2(task):
    """The usable information of one Fig. 2 task, titled with its network and hyper-parameters."""
    spec = TASKS[task]
    frame = fig2_frame[fig2_frame.task == task] if task in fig2 else fig2_frame.iloc[:0]
    if not frame.solved.any():  # draw the reason, so that the numbered figure exists
        why = ("not run at this profile" if task not in fig2
               else f"none of its {len(fig2[task])} runs solved the task: nothing to plot")
        fig, ax = plt.subplots(figsize=(8, 1.2))
        ax.text(0.5, 0.5, f"{task}: {why}", ha="center", va="center")
        ax.axis("off")
        plt.show()
        return
    plot_information(
        frame,
        f"{task}: {spec['net']}, n = {spec['n_colors']}, batch {spec['batch_size']}, "
        f"lr {spec['lr']}",
        n_colors=spec["n_colors"], subtitle=runs_note(fig2[task]).replace("are used", "are shown"),
    )


# %% tags=["hide-input"] mystnb={"figure": {"name": "fig-usable-information-2a", "caption": "The paper's Fig. 2a: Small FC (hidden layers of 10, 7, 5, 4 and 3 units) on the checkerboard with n = 2 colors. Usable information in bits about the direction (left) and the color (right) in each hidden layer against the training epoch. Lines: the mean over the runs that solved the task, one line per layer (darker: deeper); bands: the range of those runs, lowest to highest. Dashed: log2 n bits; solid: zero."}, "image": {"alt": "Two line plots of usable information against epoch for the five hidden layers of Small FC with 2 colors, direction on the left and color on the right, each with a dashed line at 1 bit."}}
plot_fig2("Fig. 2a")

# %% tags=["hide-input"] mystnb={"figure": {"name": "fig-usable-information-2b", "caption": "The paper's Fig. 2b: Medium FC (hidden layers of 100, 20, 20 and 20 units) on the checkerboard with n = 10 colors. Usable information in bits about the direction (left) and the color (right) in each hidden layer against the training epoch. Lines: the mean over the runs that solved the task, one line per layer (darker: deeper); bands: the range of those runs, lowest to highest. Dashed: log2 10 bits; solid: zero."}, "image": {"alt": "Two line plots of usable information against epoch for the four hidden layers of Medium FC with 10 colors, direction on the left and color on the right, each with a dashed line at log2 10 bits."}}
plot_fig2("Fig. 2b")

# %% tags=["hide-input"] mystnb={"figure": {"name": "fig-usable-information-2c", "caption": "The paper's Fig. 2c: Medium FC (hidden layers of 100, 20, 20 and 20 units) on the checkerboard with n = 20 colors. Usable information in bits about the direction (left) and the color (right) in each hidden layer against the training epoch. Lines: the mean over the runs that solved the task, one line per layer (darker: deeper); bands: the range of those runs, lowest to highest. Dashed: log2 20 bits; solid: zero."}, "image": {"alt": "Two line plots of usable information against epoch for the four hidden layers of Medium FC with 20 colors, direction on the left and color on the right, each with a dashed line at log2 20 bits."}}
plot_fig2("Fig. 2c")

# %% [markdown]
# The table gives the final values (last epoch) per layer, mean ± sd over the runs that solved the
# task, in bits.

# %%
final_epoch = settings.epochs


def final_table(frame):
    """Final usable information per task, layer and label over the runs that solved the task."""
    final = frame[(frame.epoch == final_epoch) & frame.solved]
    return final.pivot_table(
        index=["task", "layer"], columns="label", values="bits",
        aggfunc=lambda v: f"{np.mean(v):.2f} ± {np.std(v, ddof=1) if len(v) > 1 else 0:.2f}",
    )


final_table(fig2_frame)

# %% [markdown]
# **Reading the figures.** The paper (sec. 4.1): *"In deeper layers, there was a decrease in usable
# color information, corresponding to more minimal representations. After training, the asymptotic
# representation in the last layer contained zero usable color information and 1 bit of usable
# direction information"* (n = 2), and for n = 10 and 20 *"decreasing usable color information in
# deeper layers, and nearly zero color information in the last layer's representation"*, with
# direction information high in every layer. Compare the right-hand panels of
# {numref}`fig-usable-information-2a` to {numref}`fig-usable-information-2c`: the first hidden
# layers (light) keep the color; by the paper, the last (dark) ends near zero.

# %%
STEP = 0.05  # bits: a layer-to-layer change of the mean color smaller than this is "level"
NEAR_ZERO, NEAR_FULL = 0.1, 0.9  # "near zero" / "near log2 n": fractions of log2 n, fixed a priori


def reading(frame):
    """What the figures show, in numbers from this run, per task (means over the solved runs):
    the last and first layers' final direction and color, the color of every layer (a step
    counts as a fall when it drops by more than STEP bits), the same drop in the untrained network
    (epoch 0), and how the last layer's color moves between epoch 20 and the end."""
    lines = []
    for task in settings.tasks:
        sub = frame[(frame.task == task) & frame.solved]
        if sub.empty:
            lines.append(f"- {task}: no run solved the task.")
            continue
        n = TASKS[task]["n_colors"]
        color = sub[sub.label == "color"].groupby(["layer", "epoch"])["bits"].mean().unstack()
        final = sub[sub.epoch == final_epoch].groupby(["layer", "label"])["bits"].mean()
        last = sub["layer"].max()
        steps = np.diff(color[final_epoch].to_numpy())
        text = (f"- {task} (n = {n}, log2 n = {math.log2(n):.2f} bits, "
                f"{sub['seed'].nunique()} solved runs): direction {final[(1, 'direction')]:.2f} "
                f"bits in the first layer, {final[(last, 'direction')]:.2f} in the last; color "
                f"by layer {', '.join(f'{v:.2f}' for v in color[final_epoch])} "
                f"({color.loc[last, final_epoch] / math.log2(n):.0%} of log2 n in the last): it "
                f"falls by more than {STEP} bits at {(steps < -STEP).sum()} of the {last - 1} "
                f"steps from one layer to the next, rises by more at {(steps > STEP).sum()}.")
        if 0 in color.columns:
            text += (f" Untrained (epoch 0), color already falls from {color.loc[1, 0]:.2f} bits "
                     f"in the first layer to {color.loc[last, 0]:.2f} in the last (a drop of "
                     f"{color.loc[1, 0] - color.loc[last, 0]:.2f} bits; after training "
                     f"{color.loc[1, final_epoch] - color.loc[last, final_epoch]:.2f}).")
        if 20 in color.columns and final_epoch > 20:
            runs = (sub[(sub.label == "color") & sub["last"]]
                    .pivot_table(index="seed", columns="epoch", values="bits"))
            change = runs[final_epoch] - runs[20]
            text += (f" The last layer's color goes from {color.loc[last, 20]:.3f} bits at epoch "
                     f"20 to {color.loc[last, final_epoch]:.3f} at the end, falling in "
                     f"{(change < 0).sum()} of {len(change)} runs.")
        lines.append(text)
    return "\n".join(lines)


print(reading(fig2_frame))

# %% [markdown]
# **What we see** (the numbers above are this run's). Where *direction* is more usable in the last
# layer than in the first, usable information is not bound by the data-processing inequality:
# later layers can make the direction easier to read. Where *color falls with depth* at every step
# from one layer to the next, the representation becomes more minimal layer by layer, as the paper
# says; the untrained network's drop shows how much of that the random ReLU layers do before any
# training. A late compression phase, the paper's transient ("irrelevant information is encoded in
# the early transient dynamics ... before being later discarded"), would show as the last layer's
# color falling after epoch 20 in most runs. Whether the last layer is *minimal* (near zero color)
# is what the claims below decide for n = 10 and 20; the line below gives n = 2.

# %%
if "Fig. 2a" in settings.tasks and fig2_frame[fig2_frame.task == "Fig. 2a"].solved.any():
    n2_last = values_at(fig2_frame[fig2_frame.task == "Fig. 2a"], label="color", layer="last",
                        epoch=final_epoch)
    display(Markdown(
        f"**n = 2**: the last layer keeps {summarize(n2_last)} of color at the end (per run "
        f"{', '.join(f'{v:.2f}' for v in n2_last)}), against the paper's zero and this book's "
        f"near-zero line of {NEAR_ZERO:.2f} bits ({NEAR_ZERO:.0%} of log2 2). The [controls "
        "chapter](usable_information_controls.ipynb) tests the n = 2 claims on more runs."))
else:
    display(Markdown("**n = 2**: no Small FC run solved the task at this profile; the [controls "
                     "chapter](usable_information_controls.ipynb) tests the n = 2 claims."))

# %% [markdown]
# ## Fig. 2d: the last layer of Small FC during training
#
# The three units of Small FC's last hidden layer on probe samples, at a few epochs of the first
# run that solved the task ({numref}`fig-usable-information-2d`). Marker color: the
# checkerboard's color (red or green); marker shape: the correct direction (cross or open
# circle). A minimal sufficient representation separates crosses from circles and lets the red and
# green of each shape overlap.

# %% tags=["hide-input"] mystnb={"figure": {"name": "fig-usable-information-2d", "caption": "The paper's Fig. 2d: the activations of the three units of Small FC's last hidden layer (n = 2 colors) on 600 probe samples, one 3-D scatter per evaluated epoch (panel titles), for the first run that solved the task (the title gives its seed, and says so if no run did). Red and green: the checkerboard's color; crosses and open circles: the correct direction (legend below); each panel on its own activation scale."}, "image": {"alt": "A row of 3-D scatter plots of the last hidden layer's three units at several training epochs, points colored red or green by the checkerboard's color and drawn as crosses or open circles by direction."}}
if "Fig. 2a" in fig2:
    plot_last_layer("Fig. 2a", fig2["Fig. 2a"], [0, 10, 20, final_epoch],
                    "Fig. 2d: Small FC last layer")
else:
    fig, ax = plt.subplots(figsize=(8, 1.2))
    ax.text(0.5, 0.5, "Fig. 2a (Small FC) is not run at this profile", ha="center", va="center")
    ax.axis("off")
    plt.show()

# %% [markdown]
# The paper: *"After training the crosses and dots are overlapping"* (it means the red and green
# markers of each shape), *"corresponding to nearly zero usable color information and nearly 1 bit
# of direction information."* A dead ReLU unit shows up here as a flat axis: all points at zero.
# Where red and green stay apart inside one of the clusters at the last epoch, that residual split
# is the color information the decoders find in the last layer.

# %% [markdown]
# ## Claims
#
# Each claim is tested at the final epoch on the runs that solved the task (the number of runs is
# given), with the book's shared rules. A level is compared with its threshold through the 90%
# interval of the mean over runs; a comparison of two layers through the 90% interval of the
# paired per-seed differences. The claim is reproduced when the interval lies on the claimed
# side, not reproduced when it lies on the other side, and **inconclusive** when it straddles the
# decision: more seeds might decide. The thresholds were fixed before the results: "near zero"
# color information is below 10% of $\log_2 n$; "near $\log_2 n$" direction information is above
# 90% of it. "Falls with depth" compares the first hidden layer's color information with the
# last's, run by run; "rises with depth" does the same for the direction. "Stays near zero"
# requires the last layer's interval to lie below the line at *every* evaluated epoch, and is not
# reproduced when it lies above the line at any one of them, after Holm's correction for the
# number of epochs (one statement, never "partly reproduced"). This chapter tests them for
# n = 10 and 20 (Medium FC); the paper's n = 2 claims are decided in the
# [controls chapter](usable_information_controls.ipynb) and pre-training in
# [its own chapter](usable_information_pretraining.ipynb). A claim with fewer than two solved runs
# is not tested at this profile.

# %%
claims = Claims("usable_information", paper="Kleinman et al., ICLR 2021", settings=settings,
                seeds=SEEDS, device=torch_device)



for task in [t for t in settings.tasks if TASKS[t]["n_colors"] >= 10]:
    frame = fig2_frame[fig2_frame.task == task]
    note = runs_note(fig2[task])
    n = TASKS[task]["n_colors"]
    full = math.log2(n)
    color_last = values_at(frame, label="color", layer="last", epoch=final_epoch)
    color_first = values_at(frame, label="color", layer=1, epoch=final_epoch)
    direction_last = values_at(frame, label="direction", layer="last", epoch=final_epoch)
    direction_first = values_at(frame, label="direction", layer=1, epoch=final_epoch)
    testable = len(color_last) >= 2
    minimal = all_of(
        threshold(color_last, NEAR_ZERO * full, expected="below", unit="bits",
                  label="color, last layer: mean"),
        threshold(direction_last, NEAR_FULL * full, expected="above", unit="bits",
                  label="direction, last layer: mean"),
    ) if testable else None
    claims.add(
        f"minimal-{task[-2:]}", where=task,
        statement=f"with random initialization the last layer ends with near-zero usable color "
        f"information and near log2({n}) = {full:.2f} bits of direction (the paper: 'large' "
        "direction information; 'near log2 n' is our reading of a sufficient representation)",
        **outcome(minimal, len(color_last)),
        note=f"{note}; near zero: below {NEAR_ZERO:.0%} of log2 n ({NEAR_ZERO * full:.2f} bits); "
        f"near log2 n: above {NEAR_FULL:.0%} of it ({NEAR_FULL * full:.2f} bits)",
    )
    depth = contrast(color_first, color_last, expected="greater", unit="bits",
                     label="color, first - last layer") if testable else None
    claims.add(
        f"depth-{task[-2:]}", where=task,
        statement="usable color information falls with depth (first vs last hidden layer)",
        **outcome(depth, len(color_last)), note=f"{note}; paired by run",
    )
    rises = contrast(direction_last, direction_first, expected="greater", unit="bits",
                     label="direction, last - first layer") if testable else None
    claims.add(
        f"direction-depth-{task[-2:]}", where=task,
        statement="usable direction information increases for deeper layers (first vs last "
        "hidden layer)",
        **outcome(rises, len(direction_last)), note=f"{note}; paired by run",
    )
    last_color = pd.DataFrame({epoch: values_at(frame, label="color", layer="last", epoch=epoch)
                               for epoch in settings.eval_epochs})  # seeds x epochs
    epochs_low = [threshold(last_color[epoch], NEAR_ZERO * full, expected="below", unit="bits",
                            label=f"epoch {epoch}: mean")
                  for epoch in settings.eval_epochs] if testable else []
    always_low = int((last_color < NEAR_ZERO * full).all(axis=1).sum())
    claims.add(
        f"color-low-{task[-2:]}", where=task,
        statement=f"the last layer's usable color information stays near zero (below "
        f"{NEAR_ZERO:.0%} of log2 {n}) at every evaluated epoch of training (the paper: 'it was "
        "possible', shown on one run; tested on the mean of the solved runs, a stronger reading)",
        **outcome(all_of(*epochs_low, partial=False) if epochs_low else None, len(color_last)),
        note=f"{note}; epochs {settings.eval_epochs}; one statement, every epoch must hold: not "
        "reproduced when any epoch is decided above the line (Holm's correction over the epochs); "
        f"the paper's 'it was possible', read of single runs: {always_low} of {len(last_color)} "
        "solved runs stay below the line at every evaluated epoch",
    )

claims.save("usable_information.claims.json")
claims

# %% [markdown]
# ## What this chapter changed, and what it left out
#
# - **Scale.** At the `cpu` profile every task runs at the paper's size (samples, epochs, batch
#   size, learning rate). Seeds: 8 for Small FC, 5 for Medium FC; the paper shows one run per panel
#   in Fig. 2 and eight random initializations per task in its Figs. 9-11 (Figs. 12-14 with
#   pre-training). Only the runs that solved the task are read by the decoders. Usable information
#   is measured at 5 epochs per run instead of a dense curve. The `gpu` profile runs 8 seeds per
#   task and every 5th epoch.
# - **Failed runs.** Runs whose final validation accuracy is below 0.9 are counted and left out of
#   the information figures and claims (see above); the paper does not mention such runs.
# - **Evaluation samples.** The paper draws fresh samples at each evaluation; we draw one fresh set
#   per run and use it at every epoch, so the curves of one run differ only by the network.
# - **The decoder**: dropout convention, plain SGD, one probe set with early stopping and no
#   clipping, as stated above; the controls chapter shows what the alternatives read.
# - The paper's image experiments (sec. 4.2-4.3) are in
#   [their own chapter](usable_information_images.ipynb), on Fashion-MNIST.

# %% [markdown]
# ## Exercises
#
# Each solution runs in seconds at every profile: it draws its own checkerboard samples
# (`infolib.data.checkerboard`) and trains a few decoders with `usable_information_many`.
#
# ```{exercise}
# :label: ex-usable_information-1
#
# **What a minimal representation holds.** For the checkerboard with $n = 10$ colors, build three
# representations by hand on 1,000 samples: the one-hot direction alone (minimal and sufficient),
# the one-hot direction and the one-hot color side by side (sufficient, not minimal), and 10
# Gaussian noise features. Predict the usable direction and color information of each, then
# measure it with a linear decoder (`hidden=()`, 30 epochs).
# ```
#
# ```{solution-start} ex-usable_information-1
# :class: dropdown
# ```
#
# Direction and color are independent and uniform, $\log_2 10$ bits each. The direction alone
# gives $\log_2 10$ bits of direction and nothing about the color; with the color beside it, both
# are fully readable; noise holds nothing. A value below zero is this small linear decoder's
# overfitting on its 200 fitting samples.

# %% tags=["solution"]
from infolib.data import checkerboard

board = checkerboard(10, 1_000, seed=0)
one_hot = np.eye(10, dtype=np.float32)
hand_made = {
    "direction (minimal)": one_hot[board.direction],
    "direction and color": np.hstack([one_hot[board.direction], one_hot[board.color]]),
    "Gaussian noise": np.random.default_rng(0).normal(size=(1_000, 10)).astype(np.float32),
}
hand_bits = usable_information_many(
    [z for z in hand_made.values() for _ in range(2)],
    [getattr(board, label) for _ in hand_made for label in ("direction", "color")],
    hidden=(), epochs=30, seed=0, device=torch_device)
print(f"log2 10 = {math.log2(10):.3f} bits")
pd.DataFrame(hand_bits.reshape(-1, 2), index=list(hand_made),
             columns=["direction (bits)", "color (bits)"]).round(3)

# %% [markdown]
# These are the two ends of the paper's picture: the last hidden layer of a network that found a
# minimal representation should look like the first row, one that kept the color like the second.
# The negative values also show why the paper clips at zero and why this chapter does not: a
# clipped estimate cannot show that a decoder overfits. (They are this exercise's decoder's; the
# controls chapter measures the noise of the chapter's own estimates.)
#
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise}
# :label: ex-usable_information-2
#
# **Usable to whom?** Usable information depends on the decoder. For $n = 2$, read the direction
# and the color from the raw input $x$ (2,000 samples) with a linear decoder and with the
# paper's MLP decoder; then read the direction from the checkerboard's color part alone
# (`x[:, :2]`) and from the targets' part alone (`x[:, 2:]`) with the MLP. Predict all six numbers.
# ```
#
# ```{solution-start} ex-usable_information-2
# :class: dropdown
# ```
#
# The color is a coordinate of $x$ (plus noise): both decoders read its bit. The direction is the
# target whose color matches the checkerboard's: a product of the two parts of $x$, which no
# linear function of $x$ computes, so the linear decoder reads about 0 bits and the MLP about
# 1. Each part alone is independent of the direction (the targets' colors are a random
# permutation, drawn independently of the checkerboard's color), so even the MLP reads nothing
# from either: the direction is in neither part, only in the two together.

# %% tags=["solution"]
board_2 = checkerboard(2, 2_000, seed=1)
decoder_rows = {}
for name, hidden in (("linear decoder", ()), ("paper's MLP decoder", (128, 64, 32))):
    bits = usable_information_many([board_2.x] * 2, [board_2.direction, board_2.color],
                                   hidden=hidden, epochs=30, seed=0, device=torch_device)
    decoder_rows[name] = {"direction from x": bits[0], "color from x": bits[1]}
parts = usable_information_many([board_2.x[:, :2], board_2.x[:, 2:]], [board_2.direction] * 2,
                                hidden=(128, 64, 32), epochs=30, seed=0, device=torch_device)
decoder_rows["paper's MLP decoder"].update({"direction from the color part": parts[0],
                                            "direction from the targets' part": parts[1]})
pd.DataFrame(decoder_rows).round(3)

# %% [markdown]
# Shannon's $I(x; \text{direction})$ is 1 bit whatever decoder one uses; usable information is 0 or
# 1 bit depending on it. This is why the paper fixes its decoder (appendix B.3) and why
# {doc}`usable_information_controls` reads the same representations with a linear probe as well:
# "zero usable color information" is a statement about a decoder family.
#
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise}
# :label: ex-usable_information-3
#
# **What would flip the minimality verdict?** The claim `minimal-2b` (n = 10) needs the 90%
# t-interval of the mean last-layer color information over the solved runs to lie below 10% of
# $\log_2 10$. Suppose the runs give a mean of 0.25 bits with a standard deviation of 0.05 bits
# between runs. Predict the verdict with 3 solved runs, and find how many runs the same mean and
# spread need for "reproduced"; then how large a mean flips it to "not reproduced" with 3 runs.
# ```
#
# ```{solution-start} ex-usable_information-3
# :class: dropdown
# ```
#
# The interval is the mean $\pm\, t_{0.95, r-1}\, s / \sqrt{r}$ for $r$ runs. With few runs the
# $t$ quantile is large: at $r = 3$ it is about 2.9, and the upper end can cross the line even
# when the mean is well below it. The verdict is "not reproduced" when the whole interval lies
# above the line, so its lower end must pass it.

# %% tags=["solution"]
from scipy import stats

LINE = NEAR_ZERO * math.log2(10)


def color_interval(mean, sd, runs):
    """The 90% t-interval of a mean over `runs` runs with standard deviation `sd`."""
    half = stats.t.ppf(0.95, runs - 1) * sd / math.sqrt(runs)
    return mean - half, mean + half


def verdict(low, high):
    return "reproduced" if high < LINE else "not reproduced" if low > LINE else "inconclusive"


print(f"the line: 10% of log2 10 = {LINE:.3f} bits")
interval_rows = []
for runs in (2, 3, 4, 5, 8):
    low, high = color_interval(0.25, 0.05, runs)
    interval_rows.append(dict(mean=0.25, runs=runs, low=low, high=high, verdict=verdict(low, high)))
for mean in (0.35, 0.40, 0.45):
    low, high = color_interval(mean, 0.05, 3)
    interval_rows.append(dict(mean=mean, runs=3, low=low, high=high, verdict=verdict(low, high)))
pd.DataFrame(interval_rows).round(3)

# %% [markdown]
# The same mean can be "inconclusive" with 3 runs and "reproduced" with one or two more: an
# inconclusive verdict says that more seeds might decide, not that the claim failed. The table
# also shows how far above the line the mean must be before 3 runs call it "not reproduced".
#
# ```{solution-end}
# ```
