"""The figures the notebooks show. Each function draws one figure and returns it."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from sklearn.metrics import precision_recall_curve, roc_curve

from .events import runs
from .thresholds import LABELS

NORMAL, ANOMALY = "#4c72b0", "#dd5143"


def setup() -> None:
    """One look for every figure."""
    sns.set_theme(style="whitegrid", context="notebook")
    plt.rcParams.update({"figure.dpi": 80, "figure.figsize": (8, 4)})


def class_balance(y, title: str = "Class balance"):
    counts = pd.Series(np.asarray(y)).map({0: "normal", 1: "anomaly"}).value_counts()
    fig, ax = plt.subplots(figsize=(5, 3))
    bars = ax.bar(counts.index, counts.values, color=[NORMAL if i == "normal" else ANOMALY
                                                      for i in counts.index])
    ax.bar_label(bars, labels=[f"{v:,} ({v / counts.sum():.1%})" for v in counts.values])
    ax.set_yscale("log")
    ax.set_ylabel("rows (log scale)")
    ax.set_title(title)
    return fig


def feature_distributions(df: pd.DataFrame, features, label: str = "is_anomaly"):
    """Per-class densities of a few features."""
    features = list(features)
    fig, axes = plt.subplots(1, len(features), figsize=(3 * len(features), 2.8), sharey=False)
    for ax, feat in zip(np.atleast_1d(axes), features):
        for cls, color, name in ((0, NORMAL, "normal"), (1, ANOMALY, "anomaly")):
            sns.kdeplot(df.loc[df[label] == cls, feat], ax=ax, color=color, label=name,
                        fill=True, common_norm=False, warn_singular=False)
        ax.set_title(feat)
        ax.set_ylabel("")
    np.atleast_1d(axes)[0].legend()
    fig.tight_layout()
    return fig


def reconstruction_rows(X, recon, n: int = 3, title: str = "Input and reconstruction", titles=None):
    """A few rows next to what a model makes of them."""
    fig, axes = plt.subplots(1, n, figsize=(4 * n, 2.8), sharey=True)
    for i, ax in enumerate(np.atleast_1d(axes)):
        ax.plot(X[i], marker="o", ms=3, lw=1, color=NORMAL, label="input")
        ax.plot(recon[i], marker="x", ms=3, lw=1, color=ANOMALY, label="reconstruction")
        ax.set_title(titles[i] if titles else f"row {i}")
        ax.set_xlabel("feature (or position in the window)")
    np.atleast_1d(axes)[0].legend()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def loss_curves(histories: dict[str, dict]):
    """Training and validation loss per epoch, one panel per model."""
    n = len(histories)
    fig, axes = plt.subplots(1, n, figsize=(4.2 * n, 3), squeeze=False)
    for ax, (name, h) in zip(axes[0], histories.items()):
        ax.plot(np.arange(1, len(h["loss"]) + 1), h["loss"], label="training")
        if "val_loss" in h:
            ax.plot(np.arange(1, len(h["val_loss"]) + 1), h["val_loss"], label="validation")
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
    axes[0][0].legend()
    fig.tight_layout()
    return fig


def score_histogram(scores, y, thresholds: dict[str, float] | None = None,
                    title: str = "Reconstruction error", log: bool = True):
    """Scores of normal rows and anomalies, with threshold lines."""
    scores, y = np.asarray(scores), np.asarray(y)
    fig, ax = plt.subplots(figsize=(9, 3.6))
    positive = scores[scores > 0]
    lo = positive.min() if log and len(positive) else scores.min()
    bins = np.geomspace(lo, scores.max(), 60) if log and lo > 0 else 60
    ax.hist(scores[y == 0], bins=bins, color=NORMAL, alpha=0.6, density=True, label="normal")
    ax.hist(scores[y == 1], bins=bins, color=ANOMALY, alpha=0.6, density=True, label="anomaly")
    if log and lo > 0:
        ax.set_xscale("log")
    palette = sns.color_palette("dark", len(thresholds or {}))
    for (name, thr), color in zip((thresholds or {}).items(), palette):
        ax.axvline(thr, color=color, ls="--", lw=1.3, label=LABELS.get(name, name))
    ax.set_xlabel("anomaly score" + (" (log scale)" if log else ""))
    ax.set_ylabel("density (each class)")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    return fig


def confusion(metrics_row: dict, title: str, ax=None):
    cm = np.array([[metrics_row["tn"], metrics_row["fp"]], [metrics_row["fn"], metrics_row["tp"]]])
    if ax is None:
        _, ax = plt.subplots(figsize=(3.4, 3))
    sns.heatmap(cm, annot=True, fmt=",d", cbar=False, cmap="Blues", ax=ax,
                xticklabels=["normal", "anomaly"], yticklabels=["normal", "anomaly"])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=10)
    return ax.figure


def confusion_grid(rows: dict[str, dict], per_row: int = 3):
    n = len(rows)
    nrows = -(-n // per_row)
    fig, axes = plt.subplots(nrows, per_row, figsize=(3.4 * per_row, 3.1 * nrows), squeeze=False)
    for ax, (name, row) in zip(axes.flat, rows.items()):
        confusion(row, f"{name}, F1 {row['f1']:.2f}", ax=ax)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def roc_pr(y, scores_by_model: dict[str, np.ndarray], title: str = "Test set"):
    """ROC and precision-recall curves, with the chance levels drawn in."""
    y = np.asarray(y)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
    for name, s in scores_by_model.items():
        fpr, tpr, _ = roc_curve(y, s)
        a1.plot(fpr, tpr, label=name)
        p, r, _ = precision_recall_curve(y, s)
        a2.plot(r, p, label=name)
    a1.plot([0, 1], [0, 1], color="grey", ls=":", label="chance")
    a2.axhline(y.mean(), color="grey", ls=":", label=f"chance ({y.mean():.3f})")
    a1.set(xlabel="false positive rate", ylabel="true positive rate", title=f"ROC, {title}")
    a2.set(xlabel="recall", ylabel="precision", title=f"Precision-recall, {title}")
    a2.legend(fontsize=8)
    fig.tight_layout()
    return fig


def pr_with_thresholds(precision, recall, thresholds_on_curve: dict[str, tuple[float, float]],
                       title: str = "Validation precision-recall (prevalence-weighted)"):
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.plot(recall, precision, color=NORMAL)
    for name, (r, p) in thresholds_on_curve.items():
        ax.scatter([r], [p], s=50, zorder=3, label=LABELS.get(name, name))
    ax.scatter([1], [1], marker="*", s=120, color="gold", edgecolor="k", label="ideal (1, 1)")
    ax.set(xlabel="recall", ylabel="precision", title=title, xlim=(0, 1.02), ylim=(0, 1.02))
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def metric_bars(df: pd.DataFrame, metrics=("f1", "pr_auc", "roc_auc"), by: str = "model"):
    long = df.melt(id_vars=[by], value_vars=list(metrics), var_name="metric", value_name="value")
    fig, ax = plt.subplots(figsize=(9, 3.6))
    sns.barplot(long, x=by, y="value", hue="metric", ax=ax)
    ax.set_ylim(0, 1)
    ax.set_xlabel("")
    ax.tick_params(axis="x", rotation=20)
    for c in ax.containers:
        ax.bar_label(c, fmt="%.2f", fontsize=7)
    fig.tight_layout()
    return fig


def digit_grid(X, labels, per_class: int = 8, anomalous=(), side: int = 28):
    """A few images of every class, anomalous classes (``anomalous``) marked in red."""
    classes = sorted(set(np.asarray(labels).tolist()))
    fig, axes = plt.subplots(len(classes), per_class, figsize=(per_class * 0.9, len(classes) * 0.95))
    for row, cls in zip(np.atleast_2d(axes), classes):
        idx = np.flatnonzero(np.asarray(labels) == cls)[:per_class]
        for ax, i in zip(row, idx):
            ax.imshow(X[i].reshape(side, side), cmap="Reds" if cls in anomalous else "gray_r")
        for ax in row:
            ax.set_xticks([])
            ax.set_yticks([])
        row[0].set_ylabel(str(cls), rotation=0, labelpad=12,
                          color=ANOMALY if cls in anomalous else "black")
    marked = [c for c in classes if c in anomalous]
    fig.suptitle("Examples per digit" + (" (red: anomalous digits)" if marked else ""), y=1.0)
    fig.tight_layout()
    return fig


def _shade(ax, t, y, label="labelled anomaly"):
    """Shade the runs of anomalous points of one series."""
    for k, (a, b) in enumerate(runs(y)):
        ax.axvspan(t[a] - 0.5, t[b - 1] + 0.5, color=ANOMALY, alpha=0.25, lw=0,
                   label=label if k == 0 else None)


def series_overview(raw, n: int = 3):
    """A few series with their labelled anomalies shaded: the ones with the most
    anomalous points."""
    df = raw.frame()
    top = df.groupby("series", sort=False)["is_anomaly"].sum().sort_values(ascending=False)
    chosen = list(top.index[:n])
    fig, axes = plt.subplots(len(chosen), 1, figsize=(11, 2.3 * len(chosen)), squeeze=False)
    for ax, name in zip(axes[:, 0], chosen):
        one = df[df["series"] == name]
        t = np.arange(len(one))
        ax.plot(t, one["value"].to_numpy(), color=NORMAL, lw=0.7)
        _shade(ax, t, one["is_anomaly"].to_numpy())
        ax.set_title(f"{name}: {len(one):,} points, {int(one['is_anomaly'].sum())} anomalous",
                     fontsize=10)
        ax.set_ylabel("value")
    axes[0, 0].legend(loc="upper left", fontsize=8)
    axes[-1, 0].set_xlabel("time step")
    fig.tight_layout()
    return fig


def over_time(split, part: str, scores, threshold: float, title: str = ""):
    """For a time series, ``series_detections``; other data has no time axis, and the
    function says so instead of drawing."""
    if split.family != "series":
        print(f"(not a time series: {split.family} data has no order in time)")
        return None
    return series_detections(split, part, scores, threshold, title=title)


def series_detections(split, part: str, scores, threshold: float, title: str = "", group=None):
    """One series of ``part``: its values with the labelled anomalies shaded and the
    flagged points marked (top), and the anomaly score over time with the threshold
    (bottom). By default the series with the most anomalous points."""
    ts = split.ts
    groups, y = ts[f"{part}_group"], ts[f"{part}_y"]
    if group is None:
        counts = np.bincount(groups, weights=y, minlength=groups.max() + 1)
        group = int(np.argmax(counts))
    m = groups == group
    t = np.arange(m.sum())
    values, yy, s = ts[f"{part}_raw"][m], y[m], np.asarray(scores)[m]
    flagged = s >= threshold
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(11, 5), sharex=True)
    a1.plot(t, values, color=NORMAL, lw=0.8)
    _shade(a1, t, yy)
    a1.scatter(t[flagged], values[flagged], color="black", marker="x", s=18, zorder=3,
               label=f"flagged ({int(flagged.sum())})")
    a1.set_ylabel("value")
    a1.legend(loc="upper left", fontsize=8)
    a1.set_title(title or f"{part} part of series {group}")
    a2.plot(t, s, color=NORMAL, lw=0.8)
    _shade(a2, t, yy)
    a2.axhline(threshold, color="black", ls="--", lw=1, label="threshold")
    a2.set_yscale("log")
    a2.set_ylabel("anomaly score (log)")
    a2.set_xlabel("time step within the part")
    a2.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


def overview(raw, family: str, anomalous=()):
    """The first look at a dataset: per-class feature densities for tables, example
    images per class for images (the classes labelled anomalous in ``raw.y`` in red,
    unless ``anomalous`` names them), a few series for time series."""
    if family == "series":
        return series_overview(raw)
    if family == "image":
        if not len(anomalous):
            anomalous = sorted(set(np.asarray(raw.labels)[np.asarray(raw.y) == 1].tolist()))
        return digit_grid(raw.X, raw.labels, anomalous=anomalous)
    return feature_distributions(raw.frame(), raw.feature_names[:4])


def image_pairs(X, recon, titles, side: int = 28, suptitle: str = "", errors=None,
                patch: int | None = None):
    """Originals (top) above their reconstructions; with ``errors``, a third row shows
    each pixel's squared error, and with ``patch`` a box marks the worst patch (the
    square whose mean error is the image's score)."""
    from matplotlib.patches import Rectangle  # noqa: PLC0415

    from .datasets.images import worst_patch  # noqa: PLC0415

    n, rows = len(X), 2 if errors is None else 3
    fig, axes = plt.subplots(rows, n, figsize=(1.3 * n, 1.5 * rows), squeeze=False)
    centres = worst_patch(errors, side, patch)[1] if errors is not None and patch else None
    for i in range(n):
        axes[0][i].imshow(X[i].reshape(side, side), cmap="gray_r", vmin=0, vmax=1)
        axes[1][i].imshow(np.clip(recon[i], 0, 1).reshape(side, side), cmap="gray_r", vmin=0, vmax=1)
        axes[0][i].set_title(titles[i], fontsize=8)
        if errors is not None:
            axes[2][i].imshow(np.asarray(errors[i]).reshape(side, side), cmap="Reds", vmin=0,
                              vmax=max(float(np.max(errors)), 1e-9))
        if centres is not None and patch < side:
            (r, c), half = centres[i], patch // 2
            axes[2][i].add_patch(Rectangle((c - half - 0.5, r - half - 0.5), patch, patch,
                                           fill=False, edgecolor="tab:blue", linewidth=1.2))
        for ax in axes[:, i]:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0][0].set_ylabel("input")
    axes[1][0].set_ylabel("output")
    if errors is not None:
        axes[2][0].set_ylabel("error")
    fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def reconstructions(family: str, X, recon, titles=None, title: str = "Input and reconstruction",
                    errors=None, patch: int | None = None):
    """Inputs next to what a model makes of them, drawn as images (with their error
    maps when ``errors`` is given) or as rows."""
    titles = titles or [f"#{i}" for i in range(len(X))]
    if family == "image":
        return image_pairs(X, recon, titles, suptitle=title, errors=errors, patch=patch)
    if len(X) > 3:  # a few of each kind: the first two and the last (often an anomaly)
        keep = [0, 1, len(X) - 1]
        X, recon, titles = np.asarray(X)[keep], np.asarray(recon)[keep], [titles[i] for i in keep]
    return reconstruction_rows(X, recon, n=len(X), title=title, titles=titles)


def tuning_scatter(results: pd.DataFrame):
    """Reconstruction error of normal validation rows against validation ROC-AUC."""
    fig, ax = plt.subplots(figsize=(8, 4))
    sns.scatterplot(results, x="val MSE normal", y="val ROC-AUC", hue="model", style="model",
                    s=60, ax=ax)
    ax.set_xscale("log")
    ax.set_xlabel("validation MSE on normal rows (log scale; lower = better reconstruction)")
    ax.set_ylabel("validation ROC-AUC (higher = better detection)")
    ax.legend(fontsize=7, bbox_to_anchor=(1.01, 1), loc="upper left")
    fig.tight_layout()
    return fig


def label_curve(curve: pd.DataFrame, reference: tuple[str, float] | None = None):
    """Test PR-AUC against the number of labelled anomalies, one line per detector;
    ``reference``: (name, PR-AUC) of the best detector without labels, a flat line."""
    setup()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name, rows in curve.groupby("detector", sort=False):
        ax.plot(rows["labelled anomalies"], rows["pr_auc"], marker="o", label=name)
    if reference is not None:
        ax.axhline(reference[1], color="grey", linestyle="--",
                   label=f"{reference[0]} (no labels)")
    ax.set_xlabel("labelled anomalies in training")
    ax.set_ylabel("test PR-AUC")
    ax.set_ylim(0, 1.02)
    ax.set_title("What a few labels buy")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
