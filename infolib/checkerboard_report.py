"""Tables, figures and claim glue for the checkerboard chapters (:mod:`infolib.checkerboard_runs`
computes; this module only reads its results, so editing a figure leaves the result cache valid)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from infolib.checkerboard_runs import (
    LABELS,
    checked_run_seed,
    network,
    probe,
    solved,
    training_data,
)
from infolib.checks import integer, one_of
from infolib.train import accuracy


def information_frame(runs: Sequence[dict], measurements: Sequence[dict], **columns):
    """Long table (pandas), one row per (run, epoch, layer, label) measured: ``seed``, ``epoch``,
    ``layer`` (from 1; ``last`` is True for the network's last hidden layer), ``label``,
    ``decoder``, ``bits``, the run's ``solved`` and its validation ``accuracy`` at that epoch, and
    ``columns`` (constants such as the task). A measurement of a seed not in ``runs``, of an epoch
    its run did not record, or runs sharing a seed (one run of each seed: frame each group of runs
    on its own) raise."""
    import pandas as pd

    by_seed = {run["seed"]: run for run in runs}
    if len(by_seed) != len(runs):
        seeds = [run["seed"] for run in runs]
        raise ValueError(f"runs hold seeds {sorted({s for s in seeds if seeds.count(s) > 1})} "
                         "more than once: a reading could not tell which run it belongs to "
                         "(build one frame per group of runs, with a column naming the group)")
    rows = []
    for m in measurements:
        if m["seed"] not in by_seed:
            raise ValueError(f"measurement of seed {m['seed']}, which is not among the runs")
        run = by_seed[m["seed"]]
        n_layers = len(run["states"][0]) // 2 - 1  # weight and bias per Linear, one is the output
        for i, epoch in enumerate(m["epochs"]):
            if epoch not in run["eval_at"]:
                raise ValueError(f"measurement of seed {m['seed']} at epoch {epoch}, which its "
                                 f"run did not record (it has {list(run['eval_at'])})")
            accuracy_now = float(run["val_accuracy"][run["eval_at"].index(epoch)])
            for j, layer in enumerate(m["layers"]):
                for k, label in enumerate(LABELS):
                    rows.append(dict(seed=m["seed"], epoch=epoch, layer=layer,
                                     last=layer == n_layers, label=label, decoder=m["decoder"],
                                     bits=float(m["bits"][i, j, k]), solved=solved(run),
                                     accuracy=accuracy_now, **columns))
    types = {"seed": int, "epoch": int, "layer": int, "last": bool, "label": str, "decoder": str,
             "bits": float, "solved": bool, "accuracy": float}
    # typed even when empty: a mask such as frame[frame.solved] must stay a mask of rows
    return pd.DataFrame(rows, columns=[*types, *columns]).astype(types)


def values_at(frame, *, label: str, layer, epoch: int, decoder: str = "paper"):
    """Usable information of the runs that solved the task at one (label, layer, epoch, decoder),
    one value per seed (a pandas Series indexed by seed, sorted); ``layer="last"``: the network's
    last hidden layer. A frame with two readings of one seed there (several tasks or
    initializations) is refused: select one first. So is an ``epoch``, ``layer`` or ``decoder``
    that no reading of a non-empty frame has (a typo would otherwise read as "no solved runs")."""
    one_of("label", label, LABELS)  # the decoder may be a frame's own (a "clipped" copy)
    epoch = integer("epoch", epoch, minimum=0)
    if layer != "last":
        layer = integer("layer", layer, minimum=1)
    asked = [("epoch", epoch, frame.epoch), ("decoder", decoder, frame.decoder)]
    asked += [] if layer == "last" else [("layer", layer, frame.layer)]
    for name, value, column in asked if len(frame) else []:
        if value not in set(column):
            raise ValueError(f"no reading in the frame has {name}={value!r} (its readings have "
                             f"{name} in {sorted(set(column))})")
    rows = frame[(frame.epoch == epoch) & (frame.label == label) & frame.solved
                 & (frame.decoder == decoder)]
    rows = rows[rows["last"]] if layer == "last" else rows[rows.layer == layer]
    repeated = sorted(rows.seed[rows.seed.duplicated()].unique().tolist())
    if repeated:
        raise ValueError(f"seeds {repeated} have more than one reading at label={label!r}, "
                         f"layer={layer!r}, epoch={epoch}, decoder={decoder!r}: the frame holds "
                         "several runs per seed (tasks, initializations, pre-training); select "
                         "one first")
    return rows.set_index("seed").sort_index()["bits"]


def training_accuracy(task: str, run: dict, data_fraction: float = 1.0) -> float:
    """Direction accuracy (a fraction) of a run's final network on the samples it trained on:
    whether it fit its training set, which a validation accuracy cannot tell from generalization.
    ``data_fraction`` must be the run's (its training samples are drawn from it and the seed)."""
    cb, n_train = training_data(task, checked_run_seed("run['seed']", run["seed"]), data_fraction)
    return accuracy(network(task, state=run["states"][-1]), cb.x[:n_train], cb.direction[:n_train])


def runs_note(runs: Sequence[dict]) -> str:
    """"k of n runs solved the task and are used", for a claim's note."""
    return f"{sum(solved(r) for r in runs)} of {len(runs)} runs solved the task and are used"


def plot_information(frame, title: str, n_colors: int, *, subtitle: str,
                     pretrain: int | None = None):
    """Usable direction and colour information per layer across epochs: the mean over the runs
    that solved the task and a band from the lowest run to the highest (a band of one standard
    deviation would cross the possible range where one run differs from the rest). One panel per
    label, darker lines deeper layers, the dashed line log2 n bits, a red dotted line at the end
    of ``pretrain``. ``subtitle`` goes under the title: say there how many runs were trained
    (:func:`runs_note`), which the frame cannot tell, as it holds only the runs that were
    measured."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    frame = frame[frame.solved]
    if frame.empty:
        print(f"{title}: no run that solved the task to plot ({subtitle})")
        return
    grid = sns.relplot(
        data=frame, x="epoch", y="bits", hue="layer", col="label", kind="line",
        palette=sns.color_palette("crest", frame["layer"].nunique()), errorbar=("pi", 100),
        marker="o", markersize=4, height=3.2, aspect=1.25, facet_kws=dict(sharey=True),
    )
    for ax in grid.axes.flat:
        ax.axhline(np.log2(n_colors), color="gray", linestyle="--", linewidth=1)
        ax.axhline(0, color="black", linewidth=0.6)
        if pretrain:
            ax.axvline(pretrain, color="tab:red", linestyle=":", linewidth=1.5)
    grid.set_titles("usable {col_name} information")
    grid.set_axis_labels("epoch", "usable information (bits)")
    grid.figure.suptitle(f"{title}\n{subtitle}", y=1.1)
    plt.show()


def outcome(result, n_runs: int) -> dict:
    """``Claims.add``'s arguments for a test that needs two runs: the kit's ``result``, or, when it
    is None (fewer than two runs), "not tested at this profile" with the number of runs."""
    if result is None:
        return dict(measured=f"{n_runs} solved run(s) to compare", holds=None)
    return dict(result=result)


def plot_last_layer(task: str, runs: Sequence[dict], epochs: Sequence[int], title: str):
    """3-D scatter of a 3-unit last hidden layer on 600 probe samples at some ``epochs``, red/green
    the checkerboard's colour, crosses and open circles the direction, for the first run that
    solved the task (the first run if none did); each panel on its own activation scale."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    from infolib.models import hidden_activations

    if not runs:
        raise ValueError(f"plot_last_layer of {task} needs at least one run, got none")
    run = next((r for r in runs if solved(r)), runs[0])
    title += f", seed {run['seed']}" + ("" if solved(run) else " (did not solve the task)")
    shown = [e for e in epochs if e in run["eval_at"]]
    samples = probe(task, run["seed"], 600)
    fig = plt.figure(figsize=(3.3 * len(shown), 3.4))
    for k, epoch in enumerate(shown):
        model = network(task, state=run["states"][run["eval_at"].index(epoch)])
        z = hidden_activations(model, samples.x)[-1].numpy()
        if z.shape[1] != 3:
            raise ValueError(f"the last hidden layer of {task} has {z.shape[1]} units, not 3")
        ax = fig.add_subplot(1, len(shown), k + 1, projection="3d")
        for color, shade in ((0, "tab:red"), (1, "tab:green")):
            for direction, marker in ((0, "x"), (1, "o")):
                mask = ((samples.color == color) & (samples.direction == direction)).numpy()
                style = (dict(c=shade) if marker == "x"  # open circles leave the crosses visible
                         else dict(facecolors="none", edgecolors=shade))
                ax.scatter(*z[mask].T, marker=marker, s=18, alpha=0.7, linewidths=0.8, **style)
        ax.set_title(f"epoch {epoch}")
        ax.set_xlabel("unit 1", labelpad=-2)
        ax.set_ylabel("unit 2", labelpad=-2)
        ax.set_zlabel("unit 3", labelpad=-2)
        ax.tick_params(labelsize=7, pad=0)
    handles = [Line2D([], [], linestyle="none", marker=marker, markersize=6, color=shade,
                      markerfacecolor=shade if marker == "x" else "none",
                      label=f"{name}, direction {direction}")
               for name, shade in (("red", "tab:red"), ("green", "tab:green"))
               for direction, marker in ((0, "x"), (1, "o"))]
    fig.legend(handles=handles, loc="lower center", ncol=4, fontsize="small", frameon=False)
    fig.suptitle(title)
    plt.tight_layout(rect=(0, 0.08, 1, 1))
    plt.show()
