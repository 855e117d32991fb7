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
epochs = 60             # upper limit; early stopping usually ends sooner
quick = False           # True: 2 epochs, a smoke test for CI, not a result
models = "default"      # the dataset's autoencoders, or a list such as ["kit_dense"]
threshold = "best_f1"   # the threshold method the report applies to the test set
threads = 2             # CPU threads TensorFlow may use (fixed, for reproducibility)
run_dir = None          # None: build/runs/<dataset>'''


def begin(name: str, tensorflow: bool = True) -> str:
    tf = "" if tensorflow else ", tensorflow=False"
    return (f'cfg, state = begin("{name}", dataset=dataset, seed=seed, epochs=epochs, quick=quick,\n'
            f'                   models=models, threshold=threshold, threads=threads, run_dir=run_dir{tf})')


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
print("models:    ", ", ".join(architectures.names()))
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
raw = datasets.load(cfg.dataset, seed=cfg.seed, quick=cfg.quick)
df = raw.frame()
print(spec.title)
print("source:", raw.source)
print("shape:", df.shape)
""", check=True),
    md("""
## The synthetic dataset (seed 001)

Seed 001 builds its data with scikit-learn's `make_classification`: 100,000 rows of 32
numeric features, two classes, weights 99.5% / 0.5%, and `class_sep=0.5`, so the two classes
overlap. The kit calls it with exactly the seed's arguments; nothing is downloaded.

One argument the seed left at its default matters a great deal: `flip_y=0.01` gives 1% of
*all* rows a random label. About half of those land in class 1, so roughly **half of the rows
labelled "anomaly" are ordinary rows** from the normal cluster. No detector can find them, which
caps recall near one half and keeps every honest precision-recall figure modest. Keep that in
mind when you read the report.
"""),
    code("""
df.describe().T.round(2).head(8)
"""),
    code("""
df.info(memory_usage=False, verbose=False)
"""),
    md("""
## Class balance

Anomalies are rare by definition. Here about one row in a hundred is labelled an anomaly. That
is why **accuracy is useless** on this data: a "detector" that calls every row normal is 99%
accurate and finds nothing.
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
Do the classes look different, feature by feature? Mostly not: the anomalies' cluster has a
slightly shifted centre and a different shape, which only shows in combinations of features.
That is a job for a model, not for a single-feature rule.
"""),
    code("""
plots.feature_distributions(df, raw.feature_names[:4]);
"""),
    md("""
## An honest split

1. **Test set**: 20% of all rows, drawn with `random_state=42` as in the seed. It is not looked
   at again until notebook 07.
2. **Validation set**: from the remaining 80%, a fifth of the *normal* rows are held out, and
   *all* the anomalies of that training part are added. Thresholds and model choices are made
   here.
3. **Training set**: the rest, **normal rows only**. This is all the autoencoders see.

Seed 001 trained on normal rows too, but it validated on the test set, so the test set helped
shape the model and its threshold. Here the validation set comes from the training part.
"""),
    code("""
split = datasets.split(cfg.dataset, raw, seed=cfg.seed)
split.counts()
""", check=True),
    md("""
## Scaling, fitted on the training rows only

Neural networks train best on inputs of similar size. A `StandardScaler` learns each feature's
mean and standard deviation, **from the normal training rows alone**, and then applies those
same numbers to the validation and test rows. Fitting it on all the data would leak
information from the test set into training.

The raw features span roughly -10 to 10. Remember that: seed 001 put a *sigmoid* on its output
layer, which can only produce values between 0 and 1.
"""),
    code("""
scaler = preprocessing.fit_scaler(split.X_train, spec.scaler)
scaled = preprocessing.scale_split(split, scaler)
print(f"raw training rows: min {split.X_train.min():.1f}, max {split.X_train.max():.1f}")
print(f"share of raw values a sigmoid can never output: {pitfalls.unreachable_share(split.X_train):.1%}")
pd.DataFrame({
    "train mean": scaled.X_train.mean(axis=0)[:5], "train std": scaled.X_train.std(axis=0)[:5],
    "test mean": scaled.X_test.mean(axis=0)[:5], "test std": scaled.X_test.std(axis=0)[:5],
}, index=raw.feature_names[:5]).round(3)
"""),
    md("""
The training rows now have mean 0 and standard deviation 1 exactly; the test rows come close,
but not exactly, because the scaler never saw them. That small gap is what honest
preprocessing looks like.
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
    setup("03_encoder", "from helpers import architectures\nfrom helpers.session import load_split"),
    code("""
split = load_split(state)
input_dim = split.X_train.shape[1]
print(f"{len(split.X_train):,} normal training rows with {input_dim} features")
""", check=True),
    md("""
## The architectures of this run

- **seed_simple**: seed 001's first model, one `Dense(32, relu)` layer. Its "bottleneck" is as
  wide as the input, so nothing forces a summary.
- **seed_deep**: seed 001's second model, 32 → 16 → 8 → **4**. The data has 32 *independent*
  informative features, and four numbers cannot hold what 32 independent features say.
- **kit_dense**: the kit's model, 32 → 64 → **26**. A wide first layer, then a *linear*
  bottleneck a little narrower than the input. Why 26? On this data the anomalies differ from
  normal rows in the directions where normal rows vary least, so the model should keep most
  directions and drop only the least varied ones. Chosen on the **validation** set: when the kit
  was written, bottlenecks of 16, 20, 24, 26 and 28 gave validation PR-AUC 0.49, 0.53, 0.56,
  0.56 and 0.55. Try another value in `helpers/architectures.py` and compare.
"""),
    code("""
archs = {name: architectures.get(name) for name in cfg.models}
pd.DataFrame({name: {"encoder layers": a.encoder_units, "latent size": a.latent_dim,
                     "activation": a.activation, "output": a.output_activation, "loss": a.loss}
              for name, a in archs.items()}).T
""", check=True),
    md("""
## Building the encoders

Each encoder is a small Keras model of its own: `Input(32) → Dense … → latent`. Building it
separately lets us look at the latent representation later, and the decoder (next notebook)
attaches to its output.
"""),
    code("""
encoders = {name: architectures.build_encoder(a, input_dim) for name, a in archs.items()}
for name, enc in encoders.items():
    print(f"{name:<12} {enc.count_params():>6,} parameters, latent size {enc.output_shape[-1]}")
""", check=True),
    code("""
focus = "kit_dense" if "kit_dense" in encoders else next(iter(encoders))
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
reconstruct. Our inputs are standardised (mean 0, spread 1, negative values included), so the
output layer is *linear*. Seed 001 used a sigmoid, whose outputs lie between 0 and 1, on data
that spans -10 to 10: most targets are out of its reach (see notebook 05's pitfall).
"""),
    params_cell(),
    setup("04_decoder", "from helpers import architectures, plots, training\nfrom helpers.session import load_split"),
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
focus = "kit_dense" if "kit_dense" in autoencoders else next(iter(autoencoders))
architectures.summary_table(autoencoders[focus])
"""),
    md("""
## What an untrained autoencoder outputs

With random weights the reconstruction has nothing to do with the input, and its error is about
as large for normal rows as for anomalies: an untrained model cannot tell them apart. Training
(next notebook) changes that for normal rows only.
"""),
    code("""
recon = autoencoders[focus].predict(split.X_val[:3], verbose=0)
plots.reconstruction_rows(split.X_val[:3], recon, title=f"{focus}, untrained: input vs output");
"""),
    code("""
from sklearn.metrics import roc_auc_score

rows = {}
for name, ae in autoencoders.items():
    err = training.reconstruction_errors(ae, split.X_val)
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

One speed note for laptops: by default Keras runs one Python step per batch, and for small
models that overhead dominates. `steps_per_execution=32` runs 32 batches per step with the
same maths, more than twice as fast on a CPU.
"""),
    params_cell(),
    setup("05_compile", "from helpers import architectures, pitfalls, plots, training\nfrom helpers.session import load_split"),
    code("""
split = load_split(state)
print(f"training on {len(split.X_train):,} normal rows; early stopping watches "
      f"{len(split.X_val_normal):,} held-out normal rows; up to {cfg.epochs} epochs")
""", check=True),
    code("""
fits = {}
for name in cfg.models:
    model = state.load_model("untrained", name)
    training.compile_autoencoder(model, architectures.get(name))
    fit = training.fit_autoencoder(model, split.X_train, split.X_val_normal, epochs=cfg.epochs)
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
    md("""
`seed_deep`'s loss stays high: four numbers cannot carry 32 independent features, so its
reconstructions are poor for every row, normal or not. `seed_simple` and `kit_dense` reach a
much lower loss.

## Pitfall: seed 001's recipe

Seed 001 trained its deep autoencoder with a **sigmoid output on unscaled data**, an MAE loss,
and `validation_data=(X_test, X_test)`, that is, it *validated on the test set*, anomalies
included. We train that recipe once, exactly as written (20 epochs, batch 64, no early
stopping), so that notebook 07 can show what it really scores. Watch the loss: it barely moves,
because most targets lie outside what a sigmoid can produce.
"""),
    code("""
raw_split = load_split(state, scaled=False)
seed_model, seed_fit = pitfalls.train_seed_recipe(raw_split, epochs=min(cfg.epochs, 20))
state.save_model("trained", seed_model, key=pitfalls.SEED_RECIPE)
print(f"share of raw values outside (0, 1): {pitfalls.unreachable_share(raw_split.X_train):.1%}")
print(f"MAE loss: first epoch {seed_fit.history['loss'][0]:.3f}, last {seed_fit.history['loss'][-1]:.3f}")
plots.loss_curves({"seed 001 recipe (val = TEST set)": seed_fit.history});
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
    setup("06_threshold", "import numpy as np\nfrom helpers import plots, thresholds, training\n"
          "from helpers.session import load_split"),
    code("""
split = load_split(state)
scores = {}
for name in cfg.models:
    model = state.load_model("trained", name)
    scores[name] = {"train": training.reconstruction_errors(model, split.X_train),
                    "val": training.reconstruction_errors(model, split.X_val)}
    state.save_arrays("scores", scores[name], key=name)
pd.DataFrame({name: {"train (normal)": s["train"].mean(),
                     "validation normal": s["val"][split.y_val == 0].mean(),
                     "validation anomalies": s["val"][split.y_val == 1].mean()}
              for name, s in scores.items()}).T.round(3)
""", check=False),
    md("""
After training, anomalies have a higher error on average than normal rows: that gap is what
the detector uses. Averages hide the overlap, though; the histograms below show it.

## Six ways to set a threshold

| method | rule | uses |
|---|---|---|
| `percentile_98` | flag the top 2% (seed 001's rule; the seed took it on the *test* errors) | validation scores |
| `mean_3std` | mean + 3 standard deviations of normal errors | training scores |
| `max_train` | the largest error seen on normal training rows | training scores |
| `contamination` | flag the expected anomaly share, estimated from the labelled training part | training scores |
| `best_f1` | the highest F1 on the validation precision-recall curve | validation scores and labels |
| `closest_to_corner` | the point of that curve closest to (1, 1), seed 003's rule | validation scores and labels |

**Why the validation curve is weighted.** Our validation set holds all of the training part's
anomalies: about 5% of its rows, against 1% in the data the detector will meet. Precision depends
on that share, so a threshold tuned at 5% would be tuned for the wrong world. The curve-based
methods give each validation anomaly a weight so that anomalies count for exactly the training
part's share (`thresholds.prevalence_weights`). This uses training labels only.
"""),
    code("""
w = thresholds.prevalence_weights(split.y_val, split.train_anomaly_share)
print(f"validation: {int((split.y_val == 0).sum()):,} normal rows, {int(split.y_val.sum()):,} anomalies "
      f"({split.y_val.mean():.2%})")
print(f"anomaly share of the labelled training part: {split.train_anomaly_share:.2%}")
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
threshold. Half the labelled anomalies sit right inside the normal hump: those are the rows
whose label `flip_y` drew at random (notebook 02).
"""),
    code("""
focus = "kit_dense" if "kit_dense" in scores else cfg.models[0]
plots.score_histogram(scores[focus]["val"], split.y_val, table.loc[focus].to_dict(),
                      title=f"{focus}: validation reconstruction error");
"""),
    code("""
p, r, t = thresholds.validation_pr_curve(inputs[focus])
on_curve = {}
for method in ("best_f1", "closest_to_corner", "percentile_98"):
    i = min(np.searchsorted(t, table.loc[focus, method]), len(t) - 1)
    on_curve[method] = (r[i], p[i])
plots.pr_with_thresholds(p, r, on_curve);
"""),
    md("""
The report (next notebook) applies the run's chosen method, `threshold` in the parameters cell
(`best_f1` by default), to the test set, and lists every other method's figures too.

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
PCA reconstruction (a linear autoencoder), IsolationForest, and the Mahalanobis distance.
"""),
    params_cell(),
    setup("07_report", "import numpy as np\nfrom sklearn.metrics import classification_report\n"
          "from helpers import baselines, metrics, pitfalls, plots, summary, thresholds, training\n"
          "from helpers.session import load_split"),
    code("""
split = load_split(state)
chosen = state.load_json("thresholds")["chosen"]
rows, test_scores, val_pr_auc = [], {}, {}
for name in cfg.models:
    model = state.load_model("trained", name)
    s = state.load_arrays("scores", key=name)
    inp = thresholds.ThresholdInputs(s["train"], s["val"], split.y_val, split.train_anomaly_share)
    test_scores[name] = training.reconstruction_errors(model, split.X_test)
    fit_seconds = state.load_json("trained", key=name)["fit_seconds"]
    rows += summary.detector_rows(cfg.dataset, name, "autoencoder", fit_seconds, inp,
                                  split.y_test, test_scores[name], chosen)
    val_pr_auc[name] = metrics.evaluate(split.y_val, s["val"], 0)["pr_auc"]
""", check=False),
    md("""
## Baselines, trained now on the same rows
"""),
    code("""
for name in baselines.names():
    det, seconds = baselines.fit(name, split.X_train, seed=cfg.seed)
    inp = thresholds.ThresholdInputs(det.score(split.X_train), det.score(split.X_val),
                                     split.y_val, split.train_anomaly_share)
    test_scores[name] = det.score(split.X_test)
    rows += summary.detector_rows(cfg.dataset, name, "baseline", seconds, inp,
                                  split.y_test, test_scores[name], chosen)
    print(f"{name:<17} {det.describe()}, fitted in {seconds:.2f}s")
results = summary.frame(rows)
summary.write(results, cfg.run_dir / "metrics.csv")
headline = summary.chosen(results).set_index("model")
"""),
    md("""
## The results at the chosen threshold
"""),
    code("""
cols = ["kind", "precision", "recall", "f1", "roc_auc", "pr_auc", "tp", "fp", "fn", "fit_seconds"]
headline[cols].round(3)
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
print("baselines, test PR-AUC:", ", ".join(f"{n} {headline.loc[n, 'pr_auc']:.2f}" for n in baselines.names()))
print(f"{best}: test PR-AUC ~{b.pr_auc:.1f}, F1 ~{b.f1:.1f}")
print("PR-AUC >= 0.50 and anomaly-class F1 >= 0.45:", bool(b.pr_auc >= 0.50 and b.f1 >= 0.45))
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
figure beside it. The seed-001 recipe was trained in notebook 05.
"""),
    code("""
raw_split = load_split(state, scaled=False)
seed_model = state.load_model("trained", pitfalls.SEED_RECIPE)
seed_figures = pitfalls.seed_recipe_figures(seed_model, raw_split)
pitfalls.table(split.y_test, test_scores[best], thr, seed_figures).style.format(precision=3).hide(axis="index")
"""),
    code("""
print(f"seed 001's recipe, anomaly-class F1: {seed_figures['f1']:.1f} "
      f"(the seed reported 0.00); the kit's {best}: ~{b.f1:.1f}")
""", check=True),
    md("""
## What to take away

- Train on normal rows, choose thresholds and models on validation data, touch the test set
  once.
- Report the anomaly class: precision, recall, F1, PR-AUC. Accuracy and the "normal" row of a
  classification report say almost nothing when anomalies are rare.
- Compare with baselines trained in the same run. On this data the Mahalanobis distance, a
  one-line classical method, is as good as the best autoencoder; a neural network is not
  automatically the better detector.
- About half of this dataset's "anomalies" are random labels (`flip_y`), so no method can
  reach a recall much above one half without flagging many normal rows.

The rows of this report are in the run folder's `metrics.csv`; `make run-all` gathers every
dataset's rows into `build/report/metrics.csv`.
"""),
]


def build() -> dict[str, nbformat.NotebookNode]:
    out = {}
    for name, cells in NOTEBOOKS.items():
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
