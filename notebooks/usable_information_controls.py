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
# # Checkerboard controls: enough solved runs, two initializations, three decoders
#
# The [checkerboard chapter](usable_information.ipynb) reproduces Fig. 2 of Kleinman, Achille,
# Idnani and Kao {cite}`kleinman2021usable`. Two things there cannot be settled with a few runs
# and one estimator, and this chapter tests them.
#
# 1. **Small FC at n = 2 often does not learn the task.** Its hidden layers are 10, 7, 5, 4 and 3
#    ReLU units wide; from PyTorch's default initialization some runs stay at chance. The paper's
#    minimality claim for n = 2 is about networks that solved the task, so it needs enough of them:
#    here the aim is 8 solved runs per arm (at most 3 groups of 8 runs are trained). The paper's
#    appendix B.1 shows that a (pre-trained) initialization changes how minimal the result is; we
#    ask the same of the random scheme, so a second arm starts from a **Glorot-uniform
#    initialization with zero biases** (Glorot and Bengio, AISTATS 2010), beside PyTorch's
#    default.
# 2. **Is the residual color in the representation or in the estimator?** The chapter's decoder is
#    the paper's MLP (appendix B.3) with one probe set and early stopping. Here the same final
#    representations are also read by a **linear probe**, by **B.3's literal protocol** (1,250 fresh
#    samples for every decoder epoch, 3,750 test samples, no early stopping) and **clipped at zero**
#    as in the paper's Fig. 12.

# %% tags=["parameters"]
profile = "cpu"  # "smoke" (seconds), "cpu" (the published book), "gpu" (more solved runs)
seed = 0  # first seed; groups use seed, seed + 1, ...
device = "auto"  # "auto", "cpu" or "cuda"
# None: take the profile's value
group_size = None  # seeds trained together in one group
min_solved = None  # solved runs wanted per initialization (n = 2)
max_groups = None  # at most this many groups per initialization
control_seeds = None  # runs of the n = 10 task (Fig. 2b) read by the three decoders
epochs = None  # training epochs per run (paper: 100)
data_fraction = None  # fraction of the paper's number of training samples
decoder_samples = None  # CB samples per decoder (paper: 5,000, a quarter to train)
decoder_epochs = None  # decoder training epochs (paper: 100)

# %%
PROFILES = {
    "smoke": dict(group_size=2, min_solved=1, max_groups=2, control_seeds=1, epochs=4,
                  data_fraction=0.04, decoder_samples=300, decoder_epochs=3),
    "cpu": dict(group_size=8, min_solved=8, max_groups=3, control_seeds=5, epochs=100,
                data_fraction=1.0, decoder_samples=5000, decoder_epochs=100),
    "gpu": dict(group_size=8, min_solved=16, max_groups=6, control_seeds=8, epochs=100,
                data_fraction=1.0, decoder_samples=5000, decoder_epochs=100),
}

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch
from IPython.display import display
from tqdm import tqdm  # text bars: papermill runs have no widgets

from infolib.checkerboard_report import information_frame, outcome, runs_note, values_at
from infolib.checkerboard_runs import TASKS, measured, network, probe, solved, trained
from infolib.claims import Claims, all_of, contrast, summarize, threshold
from infolib.config import resolve, resolve_device, seeds
from infolib.models import hidden_activations

settings = resolve(
    PROFILES,
    profile,
    chapter="usable_information_controls",
    group_size=group_size,
    min_solved=min_solved,
    max_groups=max_groups,
    control_seeds=control_seeds,
    epochs=epochs,
    data_fraction=data_fraction,
    decoder_samples=decoder_samples,
    decoder_epochs=decoder_epochs,
)
torch_device = resolve_device(device)
sns.set_theme(context="notebook", style="whitegrid")
settings

# %% [markdown]
# ## What each initialization starts from
#
# Before training anything: run 200 freshly initialized Small FC networks of each arm on 1,000
# checkerboard inputs (n = 2) and ask, per network, whether some hidden layer is **dead on every
# input** (all its ReLU units output zero, so no gradient reaches the layers below it through
# that layer), and how much the 3-unit last layer varies between inputs compared with its typical
# size (the median over units of the between-input standard deviation divided by the mean
# absolute activation; small means the biases swamp the input). Nothing here is trained: it shows
# what each arm starts from. A network with a dead layer cannot learn (exercise 1), but a live
# start does not make a run learn: below, the failed runs are checked for a dead layer at their
# first and last epochs.

# %%
INITS = {"default": "PyTorch default", "xavier": "Glorot uniform, zero biases"}
SHORT = {"default": "default", "xavier": "Glorot"}  # axis labels
NEAR_ZERO, NEAR_FULL = 0.1, 0.9  # fractions of log2 n, fixed a priori (as in the main chapter)
N_NETS, N_INPUTS = 200, 1000


def at_initialization(init):
    """Per fresh Small FC network: whether a hidden layer is dead on every input, and the last
    hidden layer's between-input spread relative to its mean absolute activation."""
    x = probe("Fig. 2a", 0, N_INPUTS).x
    dead, spread = [], []
    for net_seed in range(N_NETS):
        layers = hidden_activations(network("Fig. 2a", init=init, seed=net_seed), x)
        dead.append(any(bool((z == 0).all()) for z in layers))
        last = layers[-1]
        size = last.abs().mean(0)
        ratio = torch.where(size > 0, last.std(0) / size.clamp_min(1e-12), torch.nan)
        spread.append(float(torch.nanmedian(ratio)) if not torch.isnan(ratio).all() else np.nan)
    return np.array(dead), np.array(spread)


init_rows = {}
for init, name in INITS.items():
    dead, spread = at_initialization(init)  # network seed s is the one a run of seed s starts from
    init_rows[name] = {
        "networks with a layer dead on every input": f"{dead.mean():.0%}",
        "median spread of the last layer (sd / mean |z|), live networks":
            f"{np.nanmedian(spread[~dead]):.2f}",
    }
pd.DataFrame(init_rows).T

# %% [markdown]
# ## Enough solved runs at n = 2, from two initializations
#
# **The rule, fixed before any run:** each arm trains groups of `group_size` seeds (8 at `cpu`)
# at the paper's full size (Small FC, 10,000 samples, 100 epochs, batch 32, learning rate 0.05),
# one group after another, until `min_solved` runs (8) have solved the task (final validation
# accuracy of at least 0.9) or `max_groups` groups (3) have been trained. Every run of a group is
# kept and counted: the arm's share of solved runs is a result in itself. Both arms use the same
# seeds, so seed $s$ has the same training data in both and differs only by its initialization.
# The solved runs' first and last hidden layers are read at the final epoch with the paper's
# decoder.

# %% tags=["remove-stderr"]
SMALL = "Fig. 2a"
arms, arm_frames = {}, []
for init in tqdm(INITS, desc="initializations"):
    runs = []
    for group in range(settings.max_groups):
        group_seeds = seeds(seed + group * settings.group_size, settings.group_size)
        runs += trained(settings, SMALL, group_seeds, epochs=settings.epochs,
                        eval_at=[0, settings.epochs], init=init, device=torch_device)
        if sum(solved(r) for r in runs) >= settings.min_solved:
            break
    arms[init] = runs
    readings = [measured(settings, SMALL, r, epochs=[settings.epochs], layers=[1, 5],
                         device=torch_device) for r in tqdm(runs, desc=init) if solved(r)]
    arm_frames.append(information_frame(runs, readings, init=init))
arm_frame = pd.concat(arm_frames, ignore_index=True)

# %%
summary = pd.DataFrame({
    INITS[init]: {
        "runs trained": len(runs),
        "solved (accuracy >= 0.9)": sum(solved(r) for r in runs),
        "share solved": f"{np.mean([solved(r) for r in runs]):.0%}",
        "final accuracy of the others": ", ".join(
            f"{r['val_accuracy'][-1]:.2f}" for r in runs if not solved(r)) or "-",
    } for init, runs in arms.items()
}).T
display(summary)


def dead_layer(run, index, x):
    """Whether a hidden layer of the run's stored state ``index`` outputs zero on every input."""
    return any(bool((z == 0).all()) for z in
               hidden_activations(network(SMALL, state=run["states"][index]), x))


probe_x = probe(SMALL, 0, N_INPUTS).x  # the inputs of the count at the top of the chapter
for init, runs in arms.items():
    failed = [r for r in runs if not solved(r)]
    if failed:
        dead_from_start = [r["seed"] for r in failed if dead_layer(r, 0, probe_x)]
        dead_at_end = [r["seed"] for r in failed if dead_layer(r, -1, probe_x)]
        print(f"{INITS[init]}: {len(failed)} failed run(s); a hidden layer dead on every probe "
              f"input at initialization in {len(dead_from_start)} (seeds {dead_from_start or '-'})"
              f", at the end of training in {len(dead_at_end)} (seeds {dead_at_end or '-'}).")

# %% [markdown]
# The final validation accuracy of every run, by initialization
# ({numref}`fig-usable-controls-accuracy`): a run that never learned stays at chance (0.5); the
# dashed line is the 0.9 that counts a run as solved.

# %% tags=["hide-input"] mystnb={"figure": {"name": "fig-usable-controls-accuracy", "caption": "Final validation accuracy on the direction of every Small FC run at n = 2 colors (one dot per run, jittered vertically), one row per initialization (PyTorch default, Glorot uniform with zero biases). Dashed: the accuracy of 0.9 at which a run counts as solved."}, "image": {"alt": "A strip plot with one row of dots per initialization, each dot a run's final validation accuracy, and a dashed vertical line at 0.9."}}
accuracy_rows = pd.DataFrame([
    dict(initialization=INITS[init], seed=r["seed"], accuracy=r["val_accuracy"][-1])
    for init, runs in arms.items() for r in runs
])
fig, ax = plt.subplots(figsize=(6, 2.8))
sns.stripplot(data=accuracy_rows, x="accuracy", y="initialization", color="0.3",
              jitter=0.25, size=6, ax=ax)
ax.axvline(0.9, color="gray", linestyle="--", linewidth=1)
ax.set(xlabel="final validation accuracy (direction)", ylabel="",
       title="Small FC, n = 2: which runs learned the task")
plt.tight_layout()
plt.show()

# %% [markdown]
# The usable information of the solved runs at the final epoch, per run (a dot) and arm
# ({numref}`fig-usable-controls-arms`). In the color panel the dashed line marks 0.1 bits (10% of
# $\log_2 2 = 1$ bit), below which the chapter calls color information "near zero"; in the
# direction panel it marks 0.9 bits, above which direction is "near $\log_2 n$". Where no run of
# either arm solved the task (at the `smoke` profile, say), the figure says so instead.

# %% tags=["hide-input"]
def no_data_figure(message):
    """A blank figure that says why there is nothing to plot (so that the numbered figure exists
    at every profile)."""
    fig, ax = plt.subplots(figsize=(8, 1.2))
    ax.text(0.5, 0.5, message, ha="center", va="center")
    ax.axis("off")
    plt.show()


# %%
arm_shown = (arm_frame[arm_frame.solved].assign(
    where=lambda f: np.where(f["last"], "last layer (3 units)", "first layer (10 units)"),
    initialization=lambda f: f["init"].map(SHORT))
    if not arm_frame.empty and arm_frame["solved"].any() else None)

# %% tags=["hide-input"] mystnb={"figure": {"name": "fig-usable-controls-arms", "caption": "Usable direction (left) and color (right) information at the final epoch of Small FC at n = 2, in bits, read by the paper's decoder: one dot per solved run, by initialization (x axis) and layer (first hidden layer of 10 units, light; last of 3 units, dark). Dashed: the chapter's lines, 0.1 bits (10% of log2 2, near zero) for the color and 0.9 bits (near log2 2) for the direction; solid: zero."}, "image": {"alt": "Two strip plots, direction and color information, with dots for the first and last hidden layer of each solved run under the two initializations, and a dashed line at each panel's threshold."}}
if arm_shown is None:
    no_data_figure("No run of either initialization solved the task: nothing to plot")
else:
    grid = sns.catplot(data=arm_shown, x="initialization", y="bits", hue="where", col="label",
                       kind="strip", dodge=True, height=3.2, aspect=1.2, jitter=0.15,
                       palette=sns.color_palette("crest", 5)[::4])  # the main chapter's 1st, 5th
    for label, ax in grid.axes_dict.items():
        ax.axhline(NEAR_ZERO if label == "color" else NEAR_FULL, color="gray", linestyle="--",
                   linewidth=1)  # log2 2 = 1 bit
        ax.axhline(0, color="black", linewidth=0.6)
    grid.set_titles(f"usable {{col_name}} information, epoch {settings.epochs}")
    grid.set_axis_labels("", "bits")
    plt.show()

# %% [markdown]
# The same values as a table (mean and spread over the solved runs), and per arm how many of its
# solved runs end minimal.

# %%
if arm_shown is not None:
    display(arm_shown.pivot_table(index=["initialization", "where"], columns="label",
                                  values="bits", aggfunc=lambda v: summarize(v, unit="")))
    for init in arms:
        color = values_at(arm_frame[arm_frame.init == init], label="color", layer="last",
                          epoch=settings.epochs)
        kept = color[color >= 0.1]
        if len(color):
            print(f"{INITS[init]}: {int((color < 0.1).sum())} of {len(color)} solved runs end "
                  f"with less than 0.1 bits of color in the last layer"
                  + (f"; the others hold {summarize(kept, unit='bits')}." if len(kept) else "."))
    print("The two initializations: " + "; ".join(
        f"{SHORT[init]} {np.mean([solved(r) for r in runs]):.0%} solved, last-layer color "
        + summarize(values_at(arm_frame[arm_frame.init == init], label="color", layer="last",
                              epoch=settings.epochs) if arm_frame[arm_frame.init == init]
                    .solved.any() else [np.nan], unit="bits")
        for init, runs in arms.items()) + " (the claims below test each).")

# %% [markdown]
# **What we see.** The sentences under the table count, per arm, the solved runs whose last layer
# ends minimal (below 0.1 bits of color) and summarize the others. Where an arm has runs on both
# sides, with the others' color several times the line, "minimal" is a property of some runs, not
# of the task, and a mean over the runs (the claims below) sits between the two groups. The
# paper's B.1 shows that a (pre-trained) initialization affects how minimal the result is; here
# the spread is between seeds of one random scheme. The last line above compares the two schemes.

# %% [markdown]
# ## The same representations read by three decoders, and clipped
#
# The solved runs of the default arm (n = 2) and `control_seeds` runs of Medium FC at n = 10 (5 at
# `cpu`; Fig. 2b's task, trained here at its full size) are read at the final epoch, first and
# last hidden layers, by
#
# - **the paper's decoder** as the chapter uses it (B.3's MLP, one probe set of 5,000, a quarter
#   to train with a fifth of that held out for early stopping);
# - **a linear probe**: the same split, no hidden layer: it can only read what is linearly there,
#   and has little to overfit;
# - **B.3 literally**: the same MLP, 1,250 fresh samples at every one of its 100 epochs, 3,750
#   test samples, the last epoch kept;
# - **clipped**: the paper's decoder with negative estimates set to zero, as in the paper's
#   Fig. 12 (this can only raise a value).
#
# Every reading is scored on samples its decoder did not train on or choose its epoch by, so a
# decoder can read *less* than the layer holds (it underfits, or overfits its training part) but,
# up to sampling noise, not more: a residual color the paper's decoder reads is in the
# representation. The controls ask the other question: does the paper's decoder read all of it?
# A decoder that reads more than the paper's shows that the paper's under-reads, and "near zero"
# is then easier to reach than it should be; the linear probe, a weaker family, may read less.

# %% tags=["remove-stderr"]
MEDIUM = "Fig. 2b"
control_runs = {SMALL: [r for r in arms["default"] if solved(r)]}  # all of them, as the text says
control_runs[MEDIUM] = trained(settings, MEDIUM, seeds(seed, settings.control_seeds),
                               epochs=settings.epochs, eval_at=[0, settings.epochs],
                               device=torch_device)
DECODERS = {"paper": "the paper's decoder (B.3 MLP, early stopping)",
            "linear": "a linear probe", "literal": "B.3's protocol with fresh samples"}
control_frames = []
for task, runs in control_runs.items():
    last = len(TASKS[task]["hidden"])
    readings = [measured(settings, task, r, epochs=[settings.epochs], layers=[1, last],
                         decoder=decoder, device=torch_device)
                for decoder in DECODERS for r in tqdm(runs, desc=f"{task}, {decoder}")
                if solved(r)]
    if readings:
        control_frames.append(information_frame(runs, readings, task=task))
control_frame = (pd.concat(control_frames, ignore_index=True) if control_frames
                 else pd.DataFrame())
if not control_frame.empty:
    clipped = control_frame[control_frame.decoder == "paper"].assign(
        decoder="clipped", bits=lambda f: f["bits"].clip(lower=0))
    control_frame = pd.concat([control_frame, clipped], ignore_index=True)
DECODERS["clipped"] = "the paper's decoder, negative values set to 0 (Fig. 12)"
NETWORKS = {task: f"{TASKS[task]['net']}, n = {TASKS[task]['n_colors']} (the paper's {task})"
            for task in control_runs}

# %% [markdown]
# {numref}`fig-usable-controls-decoders` shows the last layer's usable information as each decoder
# reads it; the table below it gives both layers.

# %% tags=["hide-input"] mystnb={"figure": {"name": "fig-usable-controls-decoders", "caption": "Usable direction and color information (bits) in the last hidden layer at the final epoch, read by four decoders (rows: the paper's MLP with early stopping, a linear probe, B.3's literal protocol with fresh samples, and the paper's decoder clipped at zero). One panel per task (Small FC at n = 2, Medium FC at n = 10); points: the mean over solved runs, bars: a bootstrap 90% interval (the claims use the t-interval). Dashed: 10% of log2 n (near-zero color); dotted: 90% of log2 n (near-full direction); solid: zero."}, "image": {"alt": "Point plots, one panel per task, of the last layer's direction and color information as read by four decoders, with interval bars, a dashed line near zero and a dotted line near log2 n."}}
if control_frame.empty:
    no_data_figure("No run solved the task: no decoder had anything to read")
else:
    shown = control_frame[control_frame["last"]].assign(
        decoder_name=lambda f: f["decoder"].map(DECODERS),
        network=lambda f: f["task"].map(NETWORKS), information=lambda f: f["label"])
    grid = sns.catplot(data=shown, x="bits", y="decoder_name", hue="information", col="network",
                       col_wrap=1, kind="point", errorbar=("ci", 90), linestyle="none",
                       dodge=0.3, height=2.4, aspect=3.6, sharex=False)
    for task in shown.task.unique():
        ax, full = grid.axes_dict[NETWORKS[task]], math.log2(TASKS[task]["n_colors"])
        ax.axvline(NEAR_ZERO * full, color="gray", linestyle="--", linewidth=1)
        ax.axvline(NEAR_FULL * full, color="gray", linestyle=":", linewidth=1)
        ax.axvline(0, color="black", linewidth=0.6)
        ax.set_xlabel("usable information (bits): mean and 90% interval over runs")
    grid.set_titles("{col_name}: last hidden layer, final epoch")
    grid.set_ylabels("")
    grid.tight_layout()
    sns.move_legend(grid, "center left", bbox_to_anchor=(1.0, 0.5))
    plt.show()

# %%
if not control_frame.empty:
    display(control_frame.assign(
        layer_name=lambda f: np.where(f["last"], "last", "first"),
        decoder_name=lambda f: f["decoder"].map(DECODERS),
    ).pivot_table(index=["task", "layer_name", "decoder_name"], columns="label", values="bits",
                  aggfunc=lambda v: summarize(v, unit="")))
    for task in control_runs:
        per_run = {decoder: values_at(control_frame[control_frame.task == task], label="color",
                                      layer="last", epoch=settings.epochs, decoder=decoder)
                   for decoder in ("paper", "literal", "linear", "clipped")}
        means = {decoder: values.mean() for decoder, values in per_run.items()}
        changed = per_run["clipped"] - per_run["paper"]
        print(f"{task}: the last layer's color, mean over runs: {means['paper']:.2f} bits with "
              f"the paper's decoder, {means['literal']:.2f} with fresh samples (B.3 literally), "
              f"{means['linear']:.2f} with a linear probe. Per run, fresh samples read "
              f"{(per_run['literal'] - per_run['paper']).abs().max():.2f} bits or less away "
              f"from the paper's decoder; the linear probe reads more than it in "
              f"{int((per_run['linear'] > per_run['paper']).sum())} of {len(per_run['paper'])} "
              f"runs; clipping at zero changed {int((changed != 0).sum())} value(s) (by at most "
              f"{changed.max():.3f} bits).")

# %% [markdown]
# **How to read it.** Fresh samples at every decoder epoch leave a decoder nothing to overfit: if
# the literal protocol reads about as much color as the paper's decoder with one probe set, the
# paper's reading does not depend on its small probe set. A linear probe reads only what a
# hyperplane separates: if it reads much less than the MLP decoders, the color is in the layer but
# not linearly (for instance red and green placed differently inside each direction's cluster);
# if it reads *more*, the paper's heavily regularized MLP under-reads the layer, and its "near
# zero" is easier to reach than the layer's content warrants. Clipping at zero only matters for
# runs whose raw estimate is negative. The lines under the table say which of these holds in this
# run.

# %% [markdown]
# ## Claims
#
# Rules of the book's verdict kit, fixed before the runs, as in the checkerboard chapter: "near
# zero" color is below 10% of $\log_2 n$ and "near $\log_2 n$" direction above 90% of it, each
# through the 90% interval of the mean over the solved runs; "falls with depth" through the 90%
# interval of the paired first-minus-last differences. A claim of two parts (color and direction)
# is reproduced when both parts are, and counts a part against it only after Holm's correction
# over the parts, so an interval just clear of its line can still leave the claim inconclusive
# ({doc}`../intro`). The n = 2 claims are decided per initialization with the paper's decoder. The
# decoder controls restate the minimality claim with each other reading of the same runs: a
# verdict that changes because another decoder reads *more* color means the paper's decoder
# under-reads; one that changes because the linear probe reads less is expected of a weaker
# decoder family.

# %%
TRAINED_SEEDS = sorted({r["seed"] for runs in [*arms.values(), control_runs[MEDIUM]]
                        for r in runs})  # the seeds trained, not the most the rule allows
claims = Claims("usable_information_controls", paper="Kleinman et al., ICLR 2021",
                settings=settings, seeds=TRAINED_SEEDS, device=torch_device)
final = settings.epochs


def minimality(frame, task, decoder, label_note):
    """The kit's test of "near-zero colour and near log2 n direction in the last layer"."""
    if frame is None or frame.empty:
        return outcome(None, 0)
    full = math.log2(TASKS[task]["n_colors"])
    color = values_at(frame, label="color", layer="last", epoch=final, decoder=decoder)
    direction = values_at(frame, label="direction", layer="last", epoch=final, decoder=decoder)
    result = all_of(
        threshold(color, NEAR_ZERO * full, expected="below", unit="bits",
                  label=f"color, last layer ({label_note}): mean"),
        threshold(direction, NEAR_FULL * full, expected="above", unit="bits",
                  label=f"direction, last layer ({label_note}): mean"),
    ) if len(color) >= 2 else None
    return outcome(result, len(color))


for init, runs in arms.items():
    frame = arm_frame[arm_frame.init == init]
    claims.add(
        f"minimal-2a-{init}", where=f"Fig. 2a, {INITS[init]} initialization",
        statement="with random initialization Small FC's last layer ends with near-zero usable "
        "color information and near log2(2) = 1 bit of direction (n = 2)",
        **minimality(frame, SMALL, "paper", "paper's decoder"),
        note=f"{runs_note(runs)}; groups of {settings.group_size} seeds until "
        f"{settings.min_solved} solved, at most {settings.max_groups} groups; near zero: below "
        f"{NEAR_ZERO:.0%} of log2 n; near log2 n: above {NEAR_FULL:.0%} of it",
    )
    readable = not frame.empty and frame["solved"].any()
    first = values_at(frame, label="color", layer=1, epoch=final) if readable else []
    last = values_at(frame, label="color", layer="last", epoch=final) if readable else []
    depth = contrast(first, last, expected="greater", unit="bits",
                     label="color, first - last layer") if len(last) >= 2 else None
    claims.add(
        f"depth-2a-{init}", where=f"Fig. 2a, {INITS[init]} initialization",
        statement="usable color information falls with depth (first vs last hidden layer, n = 2)",
        **outcome(depth, len(last)), note=f"{runs_note(runs)}; paired by run",
    )

for task, runs in control_runs.items():
    frame = control_frame[control_frame.task == task] if not control_frame.empty else None
    for decoder in ("linear", "literal", "clipped"):
        claims.add(
            f"minimal-{task[-2:]}-{decoder}", where=f"{task}, decoder control",
            statement=f"the last layer ends near-minimal (color below {NEAR_ZERO:.0%} and "
            f"direction above {NEAR_FULL:.0%} of log2 {TASKS[task]['n_colors']}), read by "
            f"{DECODERS[decoder]}",
            **minimality(frame, task, decoder, DECODERS[decoder]),
            note=runs_note(arms["default"] if task == SMALL else runs)
            + ("; default initialization" if task == SMALL else ""),
        )

claims.save("usable_information_controls.claims.json")
claims

# %% [markdown]
# ## What this chapter changed, and what it left out
#
# - **Seeds.** Groups of 8 are trained at once (`infolib.ensemble.fit_together`; each network
#   equals its separate training up to rounding), which is what makes 16 to 48 runs of Small FC
#   affordable on two cores. The `gpu` profile asks for 16 solved runs per arm.
# - **The initialization arm** is ours: the paper names neither a framework nor an
#   initialization, and shows (B.1) that a pre-trained initialization changes how minimal the
#   result is.
# - **Only the final epoch, first and last layers** are read here; the curves over training are
#   in the checkerboard chapter.
# - **The decoders** differ only as listed in the decoder section: same runs, same probe samples
#   (the literal protocol draws its own fresh ones), same learning rate (the paper's 0.05 for Small
#   FC, 0.5 for Medium FC), 100 epochs.

# %% [markdown]
# ## Exercises
#
# Each solution runs in seconds at every profile: it uses freshly initialized Small FC networks
# (`network`) and probe samples (`probe`), and trains its decoders on 1,000 samples.
#
# ```{exercise}
# :label: ex-usable_information_controls-1
#
# **Why a dead layer never comes back.** Among the fresh Small FC networks of the default arm,
# take the first seed whose hidden layers include one dead on every input (as counted at the top
# of this chapter). Predict which of its parameter tensors get a non-zero gradient of the
# cross-entropy on 1,000 probe inputs, and whether its output can depend on the input. Check.
# ```
#
# ```{solution-start} ex-usable_information_controls-1
# :class: dropdown
# ```
#
# A ReLU unit that outputs zero on every input has zero derivative on every input, so no gradient
# passes through the dead layer: the dead layer and every layer below it get exactly zero
# gradient, and stay as they are. Above it, the layer right after receives zeros, so its weights
# get no gradient either; only biases (and weights fed by constants) above it can move. The
# output is a constant function of the input: the network is at chance and SGD cannot get it out.

# %% tags=["solution"]
dead_inputs = probe("Fig. 2a", 0, 1_000)
dead_seed, dead_layer = next(
    (net_seed, layer) for net_seed in range(N_NETS)
    for layer, z in enumerate(hidden_activations(network("Fig. 2a", seed=net_seed),
                                                 dead_inputs.x))
    if bool((z == 0).all()))
dead_net = network("Fig. 2a", seed=dead_seed)
logits = dead_net(dead_inputs.x)
torch.nn.functional.cross_entropy(logits, dead_inputs.direction).backward()
print(f"seed {dead_seed}: hidden layer {dead_layer + 1} of {len(TASKS['Fig. 2a']['hidden'])} is "
      f"dead on every input; spread of the logits over the inputs: "
      f"{float(logits.detach().std(dim=0).max()):.2e}")
pd.Series({name: float(parameter.grad.abs().max())
           for name, parameter in dead_net.named_parameters()},
          name="largest |gradient|").to_frame()

# %% [markdown]
# Every tensor up to the dead layer, and the weights right after it, have exactly zero gradient;
# the logits do not vary over the inputs. Such a run stays at 0.5 validation accuracy however
# long it trains, which is why the chapter counts failed runs and leaves them out of the
# minimality claims instead of averaging them in.
#
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise}
# :label: ex-usable_information_controls-2
#
# **What clipping at zero does to "near zero".** The paper's Fig. 12 sets negative estimates to
# zero. Read the direction ($n = 2$) from 20 representations that hold nothing about it (3
# Gaussian noise units each, as wide as Small FC's last layer) with the paper's MLP decoder on
# 1,000 probe samples. Predict the mean of the raw estimates and of the clipped ones, and which
# of the two could ever show the estimator's noise level.
# ```
#
# ```{solution-start} ex-usable_information_controls-2
# :class: dropdown
# ```
#
# The true usable information is 0. The raw estimates scatter around a value at or slightly
# below 0 (a decoder cannot do better than the prior on held-out samples, and its training costs
# it a little); clipping replaces every negative value by 0 and keeps the positive ones, so the
# clipped mean is at least the raw mean and never below 0. Only the raw values show how far the
# estimator strays from 0 when there is nothing to find.

# %% tags=["solution"]
from infolib.usable import usable_information_many

noise_board = probe("Fig. 2a", 1, 1_000)
noise_rng = np.random.default_rng(0)
noise_bits = usable_information_many(
    [noise_rng.normal(size=(1_000, 3)).astype(np.float32) for _ in range(20)],
    [noise_board.direction] * 20, hidden=(128, 64, 32), epochs=20, seed=0, device=torch_device)
pd.Series({"raw: mean": noise_bits.mean(), "raw: smallest": noise_bits.min(),
           "raw: largest": noise_bits.max(), "clipped: mean": np.clip(noise_bits, 0, None).mean(),
           "share of raw estimates below 0": float((noise_bits < 0).mean())},
          name="bits").round(4).to_frame()

# %% [markdown]
# Clipped values hide the noise level and can only raise an average; they also shrink the spread
# between runs (every negative value becomes the same 0). Against a fixed line (10% of
# $\log_2 n$) both moves can change a verdict without any change in the representation, which is
# why the chapter reports raw values and shows the clipped reading beside them.
#
# ```{solution-end}
# ```
