"""Write the seven numbered notebooks' cells (without outputs).

The notebooks in ``notebooks/`` are the product; this script is their source, so
that the shared parts (the parameters cell, the set-up cell) stay identical in
all seven. After editing, run ``make notebooks``: it rewrites the notebooks and
executes them to refresh the committed reference outputs. ``tests/test_notebooks.py``
fails if a notebook's code no longer matches this file.

    python tools/build_notebooks.py [--check]
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
KERNEL = {"name": "anomaly-kit", "display_name": "Python 3 (anomaly kit)", "language": "python"}

PARAMETERS = '''\
# Parameters: papermill replaces this cell's values when it runs the notebook.
dataset = "synthetic"   # see helpers.datasets.names()
seed = 42               # same seed, same metrics
epochs = "default"      # upper limit ("default": the dataset's); early stopping ends sooner
quick = False           # True: 2 epochs, a smoke test for CI, not a result
models = "default"      # the dataset's autoencoders, or a list such as ["kit_dense"]
threshold = "default"   # threshold method for the report ("default": the dataset's)
threads = 2             # CPU threads TensorFlow may use (fixed, for reproducibility)
run_dir = None          # None: build/runs/<dataset>
options = {}            # dataset settings, e.g. {"test_digit": 4} for mnist'''


def begin(name: str, tensorflow: bool = True) -> str:
    tf = "" if tensorflow else ", tensorflow=False"
    return (f'cfg, state = begin("{name}", dataset=dataset, seed=seed, epochs=epochs, quick=quick,\n'
            f'                   models=models, threshold=threshold, threads=threads, run_dir=run_dir,\n'
            f'                   options=options{tf})')


def md(text: str):
    return new_markdown_cell(text.strip("\n"))


def code(text: str, check: bool = False):
    text = text.strip("\n")
    if check:
        text = "# NBVAL_CHECK_OUTPUT: nbval compares this cell's output with the reference\n" + text
    return new_code_cell(text)


def params_cell():
    cell = new_code_cell(PARAMETERS)
    cell.metadata["tags"] = ["parameters"]
    return cell


def setup(name: str, imports: str, tensorflow: bool = True):
    return code(f"import pandas as pd\n{imports}\nfrom helpers.session import begin\n\n{begin(name, tensorflow)}")


NOTEBOOKS = {}

# --------------------------------------------------------------------------- 01
NOTEBOOKS["01_import"] = [
    md("""
# 1. Import: the tools, and a run you can repeat

This kit teaches **anomaly detection with autoencoders** in seven steps, one notebook each:

| notebook | step |
|---|---|
| **01 import** | libraries, versions, seed, determinism, where the run writes |
| 02 load | the dataset, its class balance, an honest split, scaling |
| 03 encoder | input → latent representation |
| 04 decoder | latent → reconstruction; the assembled autoencoder |
| 05 compile | optimizer, loss, metrics; training with early stopping |
| 06 threshold | reconstruction error on validation data; choosing a threshold |
| 07 report | test-set figures for the anomaly class, baselines, pitfalls |
| 08 tuning | a grid search on validation data; the best reconstructor is not the best detector |

**The idea in one paragraph.** An *autoencoder* is a neural network trained to reproduce its
input through a narrow middle layer, the *bottleneck*. To squeeze a row through it, the network
must learn what typical rows have in common. Train it on **normal data only**, and it
reconstructs normal rows well and unusual rows badly. The *reconstruction error* then becomes an
**anomaly score**: the higher it is, the less the row looks like anything seen in training.

The notebooks share their results through a *run folder*: each one reads what the previous one
saved. Run them in order. The code cells are short; the logic lives in the `helpers` package
next to this folder, where each module has one job and its own tests.
"""),
    md("""
## Parameters

The next cell holds the run's settings. When an instructor runs `make run-all`, papermill
replaces these values (for example, `dataset`); when you run the notebook by hand, change them
here. Every notebook has the same cell, and the settings must agree across a run.
"""),
    params_cell(),
    md("""
The first code cell checks every parameter before anything else happens, then starts a fresh
run: it empties this dataset's run folder and records the settings there.
"""),
    setup("01_import", "from helpers import architectures, datasets, params, paths, reproducibility, thresholds"),
    md("""
A wrong value stops here, with a message that names it and lists the valid ones. For example:
"""),
    code("""
try:
    params.configure(dataset="mnits")
except params.ParameterError as err:
    print("ParameterError:", err)
try:
    params.configure(epochs=0)
except params.ParameterError as err:
    print("ParameterError:", err)
""", check=True),
    md("""
## Libraries

NumPy and pandas hold the data, scikit-learn provides the data generator, the splits, the
scalers, the classical baselines and the metrics, TensorFlow/Keras builds and trains the
autoencoders, and matplotlib/seaborn draw the figures. The versions are pinned in
`requirements.txt`, so every student runs the same code.
"""),
    code("""
import numpy as np
import pandas as pd
import sklearn
import tensorflow as tf
import keras
import matplotlib.pyplot as plt
import seaborn as sns

pd.Series(reproducibility.versions(), name="version").to_frame()
"""),
    md("""
## A run you can repeat

Training a neural network involves randomness: the initial weights, the order of the batches,
the validation rows that are held out. `begin(...)` above fixed all of it:

- `random`, NumPy and TensorFlow are seeded with `seed`;
- TensorFlow's *op determinism* is on, so its operations give bit-identical results;
- TensorFlow uses a fixed number of CPU threads (`threads`), because the order in which
  threads add up numbers changes the last digits of a float.

The same seed therefore gives the same metrics on the same machine. A different seed gives
slightly different figures; that spread is part of the result, not an error.
"""),
    code("""
pd.Series(cfg.describe(), name="value").to_frame()
"""),
    md("""
## What is available

Datasets, autoencoder architectures and threshold methods are registries in `helpers`: adding
one means one new entry there, and every notebook picks it up.
"""),
    code("""
print("datasets:  ", ", ".join(datasets.names()))
print("models:    ", ", ".join(architectures.names(family=datasets.spec(cfg.dataset).kind)))
print("thresholds:", ", ".join(thresholds.names()))
print("this run trains:", ", ".join(cfg.models))
""", check=True),
    md("""
Everything this run writes goes to the run folder printed above (under `build/`, which git
ignores). Next: **02 load**.
"""),
]

# --------------------------------------------------------------------------- 02
NOTEBOOKS["02_load"] = [
    md("""
# 2. Load: the data, its balance, and an honest split

An anomaly detector is only as good as the way it is evaluated. This notebook loads the data,
looks at it, and splits it so that **no anomaly is ever used for training** and **the test set
is kept for the final report**.
"""),
    params_cell(),
    setup("02_load", "from helpers import datasets, pitfalls, plots, preprocessing\n"
          "from helpers.session import save_split", tensorflow=False),
    code("""
spec = datasets.spec(cfg.dataset)
raw = datasets.load(cfg.dataset, seed=cfg.seed, quick=cfg.quick, options=cfg.options)
df = raw.frame()
print(spec.title)
print("source:", raw.source)
print("shape:", df.shape)
""", check=True),
    md("""
## About this dataset

What the data is, where it comes from, and how it is split. This text comes from the
dataset's entry in `helpers/datasets/`, so it always matches the data the run uses.
"""),
    code("""
datasets.notes(cfg.dataset, "02_load")
"""),
    code("""
datasets.describe(cfg.dataset, raw)
"""),
    code("""
df.info(memory_usage=False, verbose=False)
"""),
    md("""
## Class balance

Anomalies are rare by definition, and that is why **accuracy misleads**: a "detector" that calls
every row normal scores exactly the share of normal rows, and finds nothing.
"""),
    code("""
plots.class_balance(raw.y, "Class balance, all rows");
"""),
    code("""
counts = df["is_anomaly"].value_counts().sort_index()
print(counts.to_string())
print(f"accuracy of calling everything normal: {(raw.y == 0).mean():.4f}")
""", check=True),
    md("""
## A first look

Do anomalies look different? Sometimes plainly, often only in combinations of features that no
single-feature rule can catch. That is a job for a model.
"""),
    code("""
plots.overview(raw, spec.kind);
"""),
    md("""
## An honest split

Whatever the dataset, the rules are the same:

1. **Training set**: normal rows only. This is all the autoencoders see.
2. **Validation set**: held-out normal rows plus anomalies that no model trains on.
   Thresholds and model choices are made here.
3. **Test set**: held back until notebook 07, then scored once.

Seed 001 validated on its test set, so the test set helped shape the model and its threshold;
here validation data never comes from the test set.
"""),
    code("""
split = datasets.split(cfg.dataset, raw, seed=cfg.seed, quick=cfg.quick, options=cfg.options)
split.counts()
""", check=True),
    code("""
pd.Series(split.info, name="").to_frame()
"""),
    md("""
## Scaling, fitted on the training rows only

Neural networks train best on inputs of similar size. For numeric features of different
spreads, a `StandardScaler` learns each feature's mean and standard deviation **from the normal
training rows alone**, and applies those same numbers to validation and test rows. Fitting it on
all the data would leak information from the test set into training. Pixels, already in [0, 1],
need no scaler. Time series need none here either: the split has already scaled each series on
its own normal training points (the `scaling` line of the table above), so the values below are
the split's, not the raw readings.

Note the range of the values the model must reproduce: an output layer must be able to produce
them. Seed 001 put a *sigmoid* (outputs between 0 and 1) on data that does not lie between 0 and 1.
"""),
    code("""
scaler = preprocessing.fit_scaler(split.X_train, spec.scaler)
scaled = preprocessing.scale_split(split, scaler)
print(f"scaler: {spec.scaler}; training values before this scaler: {split.X_train.min():.1f} "
      f"to {split.X_train.max():.1f}")
print(f"share of raw values a sigmoid can never output: {pitfalls.unreachable_share(split.X_train):.1%}")
preprocessing.scaling_table(split, scaled, raw.feature_names)
"""),
    md("""
After standardisation the training rows have mean 0 and standard deviation 1 exactly; the test
rows come close, but not exactly, because the scaler never saw them. That small gap is what
honest preprocessing looks like.
"""),
    code("""
save_split(state, split, scaler)
print("saved the split and the fitted scaler to the run folder")
"""),
    md("Next: **03 encoder**."),
]

# --------------------------------------------------------------------------- 03
NOTEBOOKS["03_encoder"] = [
    md("""
# 3. Encoder: from the input to a latent representation

The **encoder** is the first half of an autoencoder. It maps each input row to a shorter
vector, the **latent representation** (or *code*). Its last layer, the **bottleneck**, decides
how much the network may keep: too wide, and the network can simply copy its input, anomalies
included; too narrow, and it cannot even reconstruct normal rows.
"""),
    params_cell(),
    setup("03_encoder", "from helpers import architectures, datasets\nfrom helpers.session import load_split"),
    code("""
split = load_split(state)
input_dim = split.X_train.shape[1]
print(f"{len(split.X_train):,} normal training inputs of {input_dim} values each")
""", check=True),
    md("""
## The architectures of this run

Each architecture is an entry in `helpers/architectures.py`: the encoder's layer widths (the
last is the latent size), the decoder's, the activations and the loss.
"""),
    code("""
archs = {name: architectures.get(name) for name in cfg.models}
pd.DataFrame([{"model": name, "encoder": a.encoder_units, "latent": a.latent_dim,
               "hidden activation": a.activation, "output": a.output_activation, "loss": a.loss,
               "about": a.description} for name, a in archs.items()]).set_index("model")
""", check=True),
    code("""
datasets.notes(cfg.dataset, "03_encoder")
"""),
    md("""
## Building the encoders

Each encoder is a small Keras model of its own: `Input → Dense (or Conv2D) … → latent`. Building it
separately lets us look at the latent representation later, and the decoder (next notebook)
attaches to its output.
"""),
    code("""
encoders = {name: architectures.build_encoder(a, input_dim) for name, a in archs.items()}
for name, enc in encoders.items():
    print(f"{name:<12} {enc.count_params():>6,} parameters, latent size {enc.output_shape[-1]}")
""", check=True),
    code("""
focus = datasets.focus(cfg.dataset, encoders)
print(f"{focus} encoder")
architectures.summary_table(encoders[focus])
"""),
    md("""
## What an untrained encoder produces

Before training the weights are random, so the codes mean nothing yet. Still, it is worth
checking the shapes: five rows in, five latent vectors out.
"""),
    code("""
codes = encoders[focus].predict(split.X_train[:5], verbose=0)
print("input:", split.X_train[:5].shape, "-> latent:", codes.shape)
pd.DataFrame(codes[:, :8]).round(2).add_prefix("z")
"""),
    code("""
state.save_models("encoders", encoders)
"""),
    md("Next: **04 decoder**."),
]

# --------------------------------------------------------------------------- 04
NOTEBOOKS["04_decoder"] = [
    md("""
# 4. Decoder: from the latent representation back to the input

The **decoder** mirrors the encoder: it takes a latent vector and produces a row of the same
shape as the input, the **reconstruction**. Chained together, encoder and decoder form the
**autoencoder**, a model whose target is its own input.

The decoder's **output layer** has one job: to be able to produce the values it must
reconstruct. Standardised inputs (mean 0, spread 1, negative values included) need a *linear*
output; pixels in [0, 1] suit a *sigmoid*. Seed 001 used a sigmoid on data that spans -10 to 10:
most of its targets were out of reach (see notebook 05's pitfall).
"""),
    params_cell(),
    setup("04_decoder", "from helpers import architectures, datasets, plots, scoring\n"
          "from helpers.session import load_split"),
    code("""
split = load_split(state)
input_dim = split.X_train.shape[1]
encoders = state.load_models("encoders", cfg.models)
decoders = {name: architectures.build_decoder(architectures.get(name), input_dim) for name in cfg.models}
for name, dec in decoders.items():
    print(f"{name:<12} decoder: latent {dec.input_shape[-1]} -> output {dec.output_shape[-1]}, "
          f"{dec.count_params():,} parameters")
""", check=True),
    md("""
## The assembled autoencoder

`architectures.assemble` feeds the encoder's output into the decoder: `input → encoder → decoder →
reconstruction`.
"""),
    code("""
autoencoders = {name: architectures.assemble(encoders[name], decoders[name], name) for name in cfg.models}
focus = datasets.focus(cfg.dataset, autoencoders)
architectures.summary_table(autoencoders[focus])
"""),
    md("""
## What an untrained autoencoder outputs

With random weights the reconstruction has nothing to do with the input, and its error is about
as large for normal rows as for anomalies: an untrained model cannot tell them apart. Training
(next notebook) changes that for normal rows only.
"""),
    code("""
recon = autoencoders[focus].predict(split.X_val[:8], verbose=0)
plots.reconstructions(datasets.spec(cfg.dataset).kind, split.X_val[:8], recon,
                      title=f"{focus}, untrained: input vs output");
"""),
    code("""
from sklearn.metrics import roc_auc_score

rows = {}
for name, ae in autoencoders.items():
    err = scoring.errors(ae, split, "val")
    rows[name] = {"mean error, normal": err[split.y_val == 0].mean(),
                  "mean error, anomalies": err[split.y_val == 1].mean(),
                  "validation ROC-AUC": roc_auc_score(split.y_val, err)}
pd.DataFrame(rows).T.round(3)
"""),
    code("""
state.save_models("untrained", autoencoders)
"""),
    md("Next: **05 compile**, where the autoencoders learn."),
]

# --------------------------------------------------------------------------- 05
NOTEBOOKS["05_compile"] = [
    md("""
# 5. Compile and train

**Compiling** a Keras model fixes three things:

- the **optimizer**, which updates the weights: Adam, learning rate 0.001;
- the **loss**, what training minimises: the *mean squared error* between input and
  reconstruction (the reconstruction loss);
- the **metrics**, reported alongside: the mean absolute error.

**Training** shows the model normal rows only, as inputs *and* targets. It stops early when
the loss on *held-out normal rows* (from the validation set) has not improved for 10 epochs,
and keeps the best weights. No anomaly influences training, and the test set is not touched.
Each model is seeded with the run's seed just before it trains, so its result does not depend
on which other models train in the same run.

Two speed notes for laptops. By default Keras runs one Python step per batch, and for small
models that overhead dominates: `steps_per_execution=32` runs 32 batches per step with the same
maths, more than twice as fast on a CPU. And a short training of a small model is mostly
TensorFlow *tracing* its training step, which uses one core; so the models train `threads` at a
time, in separate processes.
"""),
    params_cell(),
    setup("05_compile", "from helpers import datasets, pitfalls, plots, training\n"
          "from helpers.session import load_split"),
    code("""
split = load_split(state)
batch_size = datasets.spec(cfg.dataset).batch_size
print(f"training on {len(split.X_train):,} normal rows; early stopping watches "
      f"{len(split.X_val_normal):,} held-out normal rows; up to {cfg.epochs} epochs of batch {batch_size}")
""", check=True),
    code("""
untrained = {name: state.load_model("untrained", name) for name in cfg.models}
results = training.fit_all(untrained, split, cfg.epochs, batch_size, seed=cfg.seed,
                           threads=cfg.threads, jobs=cfg.threads)
fits = {}
for name, (model, fit) in results.items():
    state.save_model("trained", model, key=name)
    state.save_json("trained", {"fit_seconds": fit.fit_seconds, "history": fit.history,
                                "epochs_run": fit.epochs_run, "best_epoch": fit.best_epoch}, key=name)
    fits[name] = fit
pd.DataFrame([{"model": name, "epochs run": f.epochs_run, "best epoch": f.best_epoch,
               "best validation loss": round(min(f.history["val_loss"]), 4),
               "seconds": round(f.fit_seconds, 1)} for name, f in fits.items()]).set_index("model")
"""),
    md("""
## Loss curves

Training loss (on the rows the model learns from) and validation loss (on held-out normal rows)
should fall together. If validation loss rises while training loss keeps falling, the model is
memorising its training rows; early stopping catches that.
"""),
    code("""
plots.loss_curves({name: f.history for name, f in fits.items()});
"""),
    code("""
datasets.notes(cfg.dataset, "05_compile")
"""),
    md("""
## Pitfall: the seed's own recipe

Where a seed document gave a training recipe that goes wrong, we train it once, exactly as
written, so that notebook 07 can show what it really scores:

- **seed 001** (synthetic) trained its deep autoencoder with a **sigmoid output on unscaled
  data**, an MAE loss, and `validation_data=(X_test, X_test)`: it *validated on the test set*,
  anomalies included. Its loss barely moves, because most targets lie outside what a sigmoid
  can produce.
- **seed 002** (NAB) put a **ReLU on its single output unit** and trained on raw temperatures.
  If that unit starts out dead (output 0 for every input), its gradient is 0 and the loss stays
  flat: the "model" then outputs 0, and its error is just the squared value.
"""),
    code("""
raw_split = load_split(state, scaled=False)
recipe = pitfalls.train_recipe(cfg.dataset, raw_split, epochs=min(cfg.epochs, 20))
if recipe is not None:
    state.save_model("trained", recipe.model, key=pitfalls.SEED_RECIPE)
    state.save_json("recipe", recipe.facts)
    print("\\n".join(recipe.lines))
    plots.loss_curves({recipe.title: recipe.fit.history});
"""),
    md("Next: **06 threshold**."),
]

# --------------------------------------------------------------------------- 06
NOTEBOOKS["06_threshold"] = [
    md("""
# 6. Threshold: from a score to a decision

The trained autoencoder gives every row an **anomaly score**, its reconstruction error (the
mean squared difference between a row and its reconstruction). To *flag* rows we need a
**threshold**: rows scoring at or above it are called anomalies.

Where to put it is a trade-off. Lower, and more anomalies are caught (**recall** rises) but
more normal rows are flagged too (**precision** falls). The threshold is a modelling choice, so
it must be made **without the test set**: on the training rows' scores and on the validation
set.
"""),
    params_cell(),
    setup("06_threshold", "import numpy as np\nfrom helpers import datasets, plots, scoring, thresholds\n"
          "from helpers.session import load_split"),
    code("""
split = load_split(state)
scores, val_errors = {}, {}
for name in cfg.models:
    model = state.load_model("trained", name)
    val_errors[name] = scoring.element_errors(model, split.inputs("val"))
    scores[name] = {"train": scoring.errors(model, split, "train"),
                    "val": split.to_scores("val", val_errors[name])}
    state.save_arrays("scores", scores[name], key=name)
pd.DataFrame({name: {"train (normal)": s["train"].mean(),
                     "validation normal": s["val"][split.y_val == 0].mean(),
                     "validation anomalies": s["val"][split.y_val == 1].mean()}
              for name, s in scores.items()}).T.round(3)
""", check=False),
    md("""
After training, anomalies have a higher error on average than normal rows: that gap is what
the detector uses. Averages hide the overlap, though; the histograms below show it.

## From an error per value to one score

An autoencoder gives an error for every value it reconstructs; a threshold needs one number.
For a table row the score is the mean over its features. For a time series every point gets the
mean of the errors that the windows covering it make at that point. For an image the mean over
all pixels dilutes an anomaly, which is usually *local* (a 4 is a 9 with its top left open),
with the slight blur every reconstruction has everywhere; so the score is the mean error of the
image's **worst patch**, a square of a few pixels.

How to form the score is a modelling choice like any other, so it is made on validation data.
The table gives each model's validation ROC-AUC under every way this dataset could form its
score; the first column is the one in use (the `patch` option for images). Tables and series
have only one.
"""),
    code("""
scoring.compare_scores(val_errors, split, "val").round(3)
"""),
    md("""

## Seven ways to set a threshold

| method | rule | uses |
|---|---|---|
| `percentile_98` | flag the top 2% (seed 001's rule; the seed took it on the *test* errors) | validation scores |
| `mean_3std` | mean + 3 standard deviations of normal errors | training scores |
| `max_train` | the largest error seen on normal training rows | training scores |
| `contamination` | flag the expected anomaly share, estimated from the labelled training part | training scores |
| `best_f1` | the highest F1 on the validation precision-recall curve | validation scores and labels |
| `closest_to_corner` | the point of that curve closest to (1, 1), seed 003's rule | validation scores and labels |
| `high_recall` | the highest threshold that still catches 95% of validation anomalies, seed 003's second point | validation scores and labels |

**Why the validation curve is weighted.** The validation set usually holds more anomalies than
the data the detector will meet (synthetic: about 5% against 1%). Precision depends on that
share, so a threshold tuned at the validation share would be tuned for the wrong world. The
curve-based methods give each validation anomaly a weight so that anomalies count for exactly
the expected share: the labelled training part's (synthetic), or the protocol's (mnist). This
uses no test label (`thresholds.prevalence_weights`).
"""),
    code("""
w = thresholds.prevalence_weights(split.y_val, split.train_anomaly_share)
print(f"validation: {int((split.y_val == 0).sum()):,} normal rows, {int(split.y_val.sum()):,} anomalies "
      f"({split.y_val.mean():.2%})")
print(f"expected anomaly share (from training labels or the protocol): {split.train_anomaly_share:.2%}")
print(f"weight of each validation anomaly: {w[split.y_val == 1][0]:.3f} "
      f"(weighted share {w[split.y_val == 1].sum() / w.sum():.2%})")
print(f"threshold method the report applies: {cfg.threshold!r}")
""", check=True),
    code("""
inputs = {name: thresholds.ThresholdInputs(s["train"], s["val"], split.y_val, split.train_anomaly_share)
          for name, s in scores.items()}
table = pd.DataFrame({name: thresholds.compute(inp) for name, inp in inputs.items()}).T
state.save_json("thresholds", {"chosen": cfg.threshold, "values": table.to_dict(orient="index")})
table.round(4)
"""),
    md("""
## How each threshold does on the validation set

Precision here is computed with the same prevalence weights, so it estimates the precision the
detector would have on data with the training part's share of anomalies.
"""),
    code("""
val_f1 = {name: {method: thresholds.validation_figures(inp, thr)["f1"]
                 for method, thr in table.loc[name].items()}
          for name, inp in inputs.items()}
pd.DataFrame(val_f1).round(3)
"""),
    md("""
The rules that ignore labels (`max_train`, `mean_3std`) are cautious: they flag almost nothing.
`percentile_98` flags a fixed 2% whatever the data. The two curve-based rules use the
validation labels and land where precision and recall balance.

## The histogram

Errors of normal rows (blue) and anomalies (red) on the validation set, log scale, with every
threshold.
"""),
    code("""
focus = datasets.focus(cfg.dataset, scores)
plots.score_histogram(scores[focus]["val"], split.y_val, table.loc[focus].to_dict(),
                      title=f"{focus}: validation reconstruction error");
"""),
    code("""
p, r, t = thresholds.validation_pr_curve(inputs[focus])
on_curve = {}
for method in ("best_f1", "closest_to_corner", "high_recall", "percentile_98"):
    i = min(np.searchsorted(t, table.loc[focus, method]), len(t) - 1)
    on_curve[method] = (r[i], p[i])
plots.pr_with_thresholds(p, r, on_curve);
"""),
    code("""
datasets.notes(cfg.dataset, "06_threshold")
"""),
    md("""
The report (next notebook) applies the run's chosen method (`threshold` in the parameters
cell; each dataset has a default) to the test set, and lists every other method's figures too.

Next: **07 report**.
"""),
]

# --------------------------------------------------------------------------- 07
NOTEBOOKS["07_report"] = [
    md("""
# 7. Report: the test set, once

Everything so far was decided on training and validation data. Now each detector scores the
**test set** once, with its threshold from notebook 06, and we report the figures that matter
for the **anomaly class**:

- **precision**: of the rows flagged, the share that are anomalies;
- **recall**: of the anomalies, the share that are flagged;
- **F1**: their harmonic mean;
- **ROC-AUC** and **PR-AUC** (average precision): how well the scores rank anomalies above
  normal rows, over all thresholds. On rare anomalies PR-AUC is the stricter one: chance level
  is the anomaly share (about 0.01 here), while ROC-AUC's chance level is 0.5.

To read these numbers, we need **baselines** trained in the same run, on the same normal rows:
PCA reconstruction (a linear autoencoder), IsolationForest or (on tables) the Mahalanobis
distance, and for time series seed 002's pointwise model, a rolling z-score and a random score.

For time series the report adds **event-level** figures, defined in `helpers/events.py`:
*event recall* (the share of labelled events, i.e. windows or runs of anomalous points, with at
least one flagged point), *false alarms per 1,000 points* (runs of flagged points that touch no
event) and *point-adjusted F1* (F1 after counting every point of a found event as detected).
"""),
    params_cell(),
    setup("07_report", "import numpy as np\nfrom sklearn.metrics import classification_report\n"
          "from helpers import baselines, datasets, metrics, pitfalls, plots, scoring, summary, training\n"
          "from helpers.session import load_split"),
    code("""
split = load_split(state)
spec = datasets.spec(cfg.dataset)
chosen = state.load_json("thresholds")["chosen"]
print("data:", split.info.get("source", ""))
trained = state.load_models("trained", cfg.models)
rows, test_scores, val_pr_auc = [], {}, {}
for name, model in trained.items():
    s = state.load_arrays("scores", key=name)  # training and validation errors from 06
    test_scores[name] = scoring.errors(model, split, "test")
    fit_seconds = state.load_json("trained", key=name)["fit_seconds"]
    rows += summary.detector_rows(cfg.dataset, name, "autoencoder", fit_seconds, s["train"],
                                  s["val"], test_scores[name], split, chosen)
    val_pr_auc[name] = rows[-1]["val_pr_auc"]
""", check=False),
    md("""
## Baselines, trained now on the same rows
"""),
    code("""
for name in spec.baselines:
    det, seconds = baselines.fit(name, split, seed=cfg.seed)
    test_scores[name] = det.scores(split, "test")
    rows += summary.detector_rows(cfg.dataset, name, "baseline", seconds, det.scores(split, "train"),
                                  det.scores(split, "val"), test_scores[name], split, chosen)
    print(f"{name:<17} {det.describe()}, fitted in {seconds:.2f}s")
results = summary.frame(rows)
summary.write(results, cfg.run_dir / "metrics.csv")
headline = summary.chosen(results).set_index("model")
"""),
    md("""
## The results at the chosen threshold
"""),
    code("""
headline[summary.shown_columns(spec.kind)].round(3)
"""),
    code("""
plots.metric_bars(headline.reset_index(), by="model");
"""),
    md("""
Which autoencoder is "the kit's best"? We pick it by **validation** PR-AUC, never by test
figures, then read its test figures.
"""),
    code("""
best = max(val_pr_auc, key=val_pr_auc.get)
b = headline.loc[best]
print(f"best autoencoder by validation PR-AUC: {best}")
print(f"test set: PR-AUC {b.pr_auc:.3f}, ROC-AUC {b.roc_auc:.3f}, anomaly-class F1 {b.f1:.3f}, "
      f"precision {b.precision:.3f}, recall {b.recall:.3f} (threshold method {chosen!r})")
print(f"chance level of PR-AUC (the test set's anomaly share): {split.y_test.mean():.3f}")
"""),
    md("""
The cell below is one that `make test` checks against this notebook's reference output, so its
figures are rounded coarsely enough to hold on any machine with the pinned versions (the
baselines are deterministic; the autoencoders' last digits can vary).
"""),
    code("""
print("baselines, test PR-AUC:", ", ".join(f"{n} {headline.loc[n, 'pr_auc']:.2f}" for n in spec.baselines))
print(f"{best}: test PR-AUC ~{b.pr_auc:.1f}, ROC-AUC ~{b.roc_auc:.1f}, F1 ~{b.f1:.1f}")
print(f"the course bar ({datasets.bar_text(cfg.dataset)}) is met:",
      datasets.meets_bar(cfg.dataset, b, headline))
""", check=True),
    code("""
thr = results.query("model == @best and threshold_method == @chosen")["threshold"].item()
print(classification_report(split.y_test, (test_scores[best] >= thr).astype(int),
                            target_names=["normal", "anomaly"], digits=3))
"""),
    md("""
The classification report shows both classes. The *normal* row looks excellent whatever the
model does; only the *anomaly* row tells you whether the detector works.

## Confusion matrices
"""),
    code("""
plots.confusion_grid({name: headline.loc[name] for name in headline.index});
"""),
    md("""
## Two operating points of the best autoencoder

Seed 003 showed its detector at two thresholds, both chosen on validation data: the point of the
precision-recall curve closest to (1, 1), and a high-recall point that catches 95% of the
validation anomalies at the price of more false alarms.
"""),
    code("""
points = results.query("model == @best and threshold_method in ['closest_to_corner', 'high_recall']")
plots.confusion_grid({r["threshold_method"]: r for r in points.to_dict(orient="records")});
"""),
    md("""
## What the best autoencoder reconstructs

A few inputs of each kind with the model's reconstruction and its score: first from the
validation set, whose anomalies are the kind thresholds were tuned on (for MNIST, 8s), then from
the test set (for MNIST, 4s, never seen before). For images a third row maps each pixel's
squared error, and the box marks the worst patch, whose mean error is the score. For a time
series an input is a window, and "anomaly" means the window holds at least one anomalous point.
"""),
    code("""
model = trained[best]
for part, label in (("val", "validation"), ("test", "test")):
    X, pick, is_anomaly = scoring.examples(split, part)
    recon, errors = scoring.reconstruct(model, X[pick])
    titles = [f"{'anomaly' if a else 'normal'} {s:.3f}"
              for a, s in zip(is_anomaly, split.input_scores(errors))]
    plots.reconstructions(spec.kind, X[pick], recon, titles, errors=errors, patch=split.patch,
                          title=f"{best}: {label} inputs and reconstructions, with scores");
"""),
    code("""
plots.score_histogram(test_scores[best], split.y_test, {chosen: thr},
                      title=f"{best}: test reconstruction error, with the threshold chosen in 06");
"""),
    md("""
## Over time (time series only)

For a time series the questions are *when*: the test part of the series with the most anomalous
points, with the labelled anomalies shaded and the flagged points marked, and below it the
score over time with the threshold line.
"""),
    code("""
if spec.kind == "series":
    plots.series_detections(split, "test", test_scores[best], thr,
                            title=f"{best}: test part, labelled anomalies shaded, flags marked");
    display(headline[summary.EVENT_COLUMNS + ["f1"]].round(3))
else:
    print("(not a time series)")
"""),
    md("""
## Seed 000's "accuracy": R² of the reconstruction, per split

Seed 000 reported the R² of its reconstructions as "accuracy" for the training, validation and
test sets (96% for its first model) next to the loss. Both say how well a model *reconstructs*;
neither says whether its errors separate anomalies from normal data. A model can reconstruct
everything well, anomalies included, and detect nothing.
"""),
    code("""
training.split_fit_table(trained, split).round(3)
"""),
    md("""
## ROC and precision-recall curves

The dotted lines are chance. On the ROC plot every model looks respectable; the
precision-recall plot shows how hard the rare class really is.
"""),
    code("""
plots.roc_pr(split.y_test, test_scores);
"""),
    md("""
## Every threshold method on the test set

The chosen method was fixed before this notebook ran. The others are shown for comparison, not
for picking the best one after the fact (that would be tuning on the test set; see the
pitfalls below).
"""),
    code("""
results.pivot(index="threshold_method", columns="model", values="f1").round(3)
"""),
    md("""
## Pitfalls: the seeds' numbers next to the honest ones

Each row reproduces a mistake from the seed documents on *this* run's data and puts the honest
figure beside it. Where the dataset's seed gave a training recipe, it was trained in notebook 05.
"""),
    code("""
raw_split = load_split(state, scaled=False)
seed_figures = pitfalls.recipe_figures(cfg.dataset, state, raw_split)
pitfalls.table(split.y_test, test_scores[best], thr, seed_figures, groups=split.groups("test"),
               seed=cfg.seed).style.format(precision=3).hide(axis="index")
"""),
    code("""
if seed_figures is not None:
    print(f"the seed's recipe, anomaly-class F1: {seed_figures['f1']:.1f}; the kit's {best}: ~{b.f1:.1f}")
print(f"accuracy of calling everything normal: {metrics.majority_accuracy(split.y_test):.3f}")
""", check=True),
    md("""
## What to take away

- Train on normal rows, choose thresholds and models on validation data, touch the test set
  once.
- Report the anomaly class: precision, recall, F1, PR-AUC. Accuracy and the "normal" row of a
  classification report say almost nothing when anomalies are rare.
- Compare with baselines trained in the same run: a neural network is not automatically the
  better detector.

And for this dataset:
"""),
    code("""
datasets.notes(cfg.dataset, "07_report")
"""),
    md("""
The rows of this report are in the run folder's `metrics.csv`; `make run-all` gathers every
dataset's rows into `build/report/metrics.csv`. Next, optionally: **08 tuning**.
"""),
]

# --------------------------------------------------------------------------- 08
NOTEBOOKS["08_tuning"] = [
    md("""
# 8. Tuning (optional): a grid search, and what to optimise

Seed 003 searched a grid of **learning rate, weight decay, epochs and batch size** for each of
its models. The usual way to tune an autoencoder is to pick the setting with the **lowest
reconstruction error**. But we do not want the best *reconstructor*; we want the best
*detector*: low error on normal rows and high error on anomalies. Seed 003 therefore ranked its
settings by the **gap** between the two; the kit also ranks them by **validation ROC-AUC**.

Everything here uses the training and validation sets only; the test set stays untouched.
"""),
    params_cell(),
    setup("08_tuning", "from helpers import datasets, plots, tuning\nfrom helpers.session import load_split"),
    code("""
split = load_split(state)
spec = datasets.spec(cfg.dataset)
combos = tuning.combinations(spec.tuning_grid, quick=cfg.quick)
tuned = tuning.models_for(spec.tuning_models, quick=cfg.quick)
print(f"{len(tuned)} models x {len(combos)} settings = {len(tuned) * len(combos)} trainings, "
      f"on {min(len(split.X_train), spec.tuning_rows or len(split.X_train)):,} training rows")
pd.DataFrame(combos)
""", check=True),
    code("""
results = tuning.run(spec.tuning_models, spec.tuning_grid, split, seed=cfg.seed, quick=cfg.quick,
                     max_rows=spec.tuning_rows, jobs=cfg.threads, threads=cfg.threads)
state.save_json("tuning", results.to_dict(orient="records"))
results.assign(dataset=cfg.dataset).to_csv(cfg.run_dir / "tuning.csv", index=False)
print(f"{len(results)} trainings in {results['seconds'].sum():.0f}s")
"""),
    md("""
## Three rankings of the same results
"""),
    code("""
shown = ["model", *tuning.KEYS, "val MSE normal", "gap", "val ROC-AUC"]
for rule, table in tuning.rankings(results).items():
    print(rule)
    display(table[shown].round(4).reset_index(drop=True))
"""),
    md("""
## The best reconstructor is not the best detector

Each point is one setting: how well it reconstructs normal validation rows (left is better) and
how well its error separates anomalies (up is better). If lower error always meant better
detection, the points would rise from right to left in a clean line.
"""),
    code("""
plots.tuning_scatter(results);
"""),
    code("""
print(tuning.verdict(results))
tuning.lowest_mse_vs_best(results).round(4)
"""),
    md("""
To use a setting found here, change the learning rate or epochs in `helpers/training.py` or the
architecture in `helpers/architectures.py`, and run notebooks 01 to 07 again: the choice was
made on validation data, so the test figures stay honest.
"""),
]


def build() -> dict[str, nbformat.NotebookNode]:
    out = {}
    for name, cells in NOTEBOOKS.items():
        for i, cell in enumerate(cells):
            cell.id = f"{name[:2]}-{i:02d}"  # stable ids keep diffs of refreshed notebooks small
        nb = new_notebook(cells=cells)
        nb.metadata["kernelspec"] = KERNEL
        nb.metadata["language_info"] = {"name": "python"}
        out[name] = nb
    return out


def sources(nb) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source) for c in nb.cells]


def main(argv) -> int:
    folder = ROOT / "notebooks"
    built = build()
    if "--check" in argv:
        stale = [n for n, nb in built.items()
                 if not (folder / f"{n}.ipynb").exists()
                 or sources(nbformat.read(folder / f"{n}.ipynb", as_version=4)) != sources(nb)]
        if stale:
            print("out of date with tools/build_notebooks.py:", ", ".join(stale))
            return 1
        return 0
    folder.mkdir(exist_ok=True)
    for name, nb in built.items():
        nbformat.write(nb, folder / f"{name}.ipynb")
    print(f"wrote {len(built)} notebooks to notebooks/")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
