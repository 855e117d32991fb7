import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from helpers.leaderboard import (MissingAnswersError, SubmissionError, answers, main,
                                 read_submission, score, write_submission)

ROOT = Path(__file__).resolve().parent.parent
IDS = [f"r{i}" for i in range(10)]
LABELS = np.array([0, 0, 0, 1, 0, 0, 1, 0, 0, 0])
VALID = "a CSV with the header id,score and one row per test row (10 rows)"


def csv_file(tmp_path, text, name="sub.csv", mode="w"):
    path = tmp_path / name
    path.write_bytes(text) if mode == "wb" else path.write_text(text)
    return path


def refusal(path, ids=IDS) -> str:
    with pytest.raises(SubmissionError) as err:
        read_submission(path, ids)
    msg = str(err.value)
    assert msg.startswith(f"{path}: ") and VALID.replace("10", str(len(ids))) in msg
    return msg


def good_rows(ids=IDS):
    return [f"{i},{k / 10}" for k, i in enumerate(ids)]


def test_round_trip_is_exact_and_in_test_order(tmp_path):
    rng = np.random.default_rng(0)
    scores = np.r_[rng.normal(size=8) * 1e-7, 1 / 3, np.float32(0.1)]
    path = write_submission(tmp_path / "deep" / "sub.csv", IDS, scores)
    assert path.read_text().splitlines()[0] == "id,score"
    assert not [p for p in path.parent.iterdir() if p.name != "sub.csv"]  # no temporary file
    # the file's row order does not matter: reversed rows read back in test order
    lines = path.read_text().splitlines()
    shuffled = csv_file(tmp_path, "\n".join([lines[0], *lines[:0:-1]]) + "\n", "rev.csv")
    for p in (path, shuffled):
        got = read_submission(p, IDS)
        assert list(got.index) == IDS
        assert got.to_numpy().tolist() == scores.tolist()  # bit for bit


def test_int_ids_match_written_strings(tmp_path):
    path = csv_file(tmp_path, "id,score\n 1 ,0.5\n0,0.25\n2, 1e-3\n")
    got = read_submission(path, np.array([0, 1, 2]))
    assert list(got.index) == ["0", "1", "2"] and got.tolist() == [0.25, 0.5, 0.001]
    path = write_submission(tmp_path / "ints.csv", [0, 1, 2], [0.1, 0.2, 0.3])
    assert read_submission(path, ["0", "1", "2"]).tolist() == [0.1, 0.2, 0.3]
    # "007" is not "7": ids are compared as written strings
    msg = refusal(csv_file(tmp_path, "id,score\n007,1\n", "zero.csv"), ids=[7])
    assert "not test rows (1): '007'" in msg and "(1 ids missing from the file): '7'" in msg


def test_score_matches_sklearn_and_perfect_is_one(tmp_path):
    rng = np.random.default_rng(1)
    s = rng.normal(size=10) + LABELS
    result = score(write_submission(tmp_path / "a.csv", IDS, s), IDS, LABELS)
    assert result == {"roc_auc": roc_auc_score(LABELS, s),
                      "average_precision": average_precision_score(LABELS, s),
                      "rows": 10, "anomalies": 2}
    perfect = score(write_submission(tmp_path / "p.csv", IDS, LABELS * 5.0), IDS, LABELS)
    assert perfect["roc_auc"] == 1.0 and perfect["average_precision"] == 1.0


def test_labels_of_one_class_are_refused(tmp_path):
    path = write_submission(tmp_path / "a.csv", IDS, np.arange(10.0))
    with pytest.raises(ValueError, match="all 10 test labels are 0.*both"):
        score(path, IDS, np.zeros(10))
    with pytest.raises(ValueError, match="0 .normal. or 1"):
        score(path, IDS, np.arange(10))


@pytest.mark.parametrize("content, problem", [
    (None, "does not exist"),
    ("", "is empty"),
    ("  \n\n", "is empty"),
    (b"PK\x03\x04\x14\x00binary", "binary"),
    (b"id,score\n\x00\x01\x02", "binary"),
    (b"id,score\n1,\xff\xfe0.5\n", "not UTF-8"),
    ("<!DOCTYPE html><html><body>404</body></html>", "HTML"),
])
def test_unreadable_files_are_refused(tmp_path, content, problem):
    path = tmp_path / "sub.csv"
    if content is not None:
        csv_file(tmp_path, content, mode="wb" if isinstance(content, bytes) else "w")
    assert problem in refusal(path)


def test_a_folder_is_refused(tmp_path):
    assert "is a folder, not a file" in refusal(tmp_path)


def test_columns(tmp_path):
    msg = refusal(csv_file(tmp_path, "ID,prediction\nr0,1\n"))
    assert "no id or score column" in msg and "'ID', 'prediction'" in msg
    msg = refusal(csv_file(tmp_path, "id;score\nr0;1\n"))
    assert "no id or score column" in msg and "commas" in msg
    indexed = "\n".join(f"{k},{row}" for k, row in enumerate(good_rows()))
    msg = refusal(csv_file(tmp_path, ",id,score\n" + indexed))  # pandas' index written too
    assert "extra columns ''" in msg and "index=False" in msg
    msg = refusal(csv_file(tmp_path, "id,score,label\n" + "\n".join(r + ",0" for r in good_rows())))
    assert "extra columns 'label'" in msg
    # either column order, spaces around names, a byte-order mark and blank lines are fine
    text = "\ufeff score , id \n\n" + "\n".join(f"{k / 10},{i}" for k, i in enumerate(IDS)) + "\n\n"
    assert read_submission(csv_file(tmp_path, text), IDS).tolist() == [k / 10 for k in range(10)]


def test_rows_with_the_wrong_number_of_fields(tmp_path):
    rows = good_rows()
    rows[4] += ",extra"
    msg = refusal(csv_file(tmp_path, "id,score\n" + "\n".join(rows)))
    assert "rows without 2 fields (1): line 6 has 3 fields" in msg


def test_duplicate_unknown_and_missing_ids(tmp_path):
    rows = good_rows()[:6] + ["r2,0.9", "x1,0", "x2,0", "x3,0", "x4,0"]
    msg = refusal(csv_file(tmp_path, "id,score\n" + "\n".join(rows)))
    assert "duplicate ids (1): 'r2' (lines 4, 8)" in msg
    assert "ids that are not test rows (4): 'x1', 'x2', 'x3', ..." in msg
    assert "test rows without a score (4 ids missing from the file): 'r6', 'r7', 'r8', ..." in msg
    assert "'x4'" not in msg  # at most three examples
    msg = refusal(csv_file(tmp_path, "id,score\n"))
    assert "test rows without a score (10 ids" in msg


@pytest.mark.parametrize("value, shown", [
    ("abc", "'abc'"), ("", "''"), ("nan", "'nan'"), ("NaN", "'NaN'"), ("inf", "'inf'"),
    ("-Infinity", "'-Infinity'"), ("1,5", None)])
def test_scores_that_are_not_finite_numbers(tmp_path, value, shown):
    rows = good_rows()
    rows[3] = f"r3,{value}" if shown else 'r3,"1,5"'
    msg = refusal(csv_file(tmp_path, "id,score\n" + "\n".join(rows)))
    assert "scores that are not finite numbers (1)" in msg
    assert f"line 5 id 'r3': {shown or repr('1,5')}" in msg


def test_write_refuses_what_cannot_be_scored(tmp_path):
    with pytest.raises(ValueError, match="2 ids but 3 scores"):
        write_submission(tmp_path / "a.csv", [1, 2], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="'2': nan"):
        write_submission(tmp_path / "a.csv", [1, 2], [0.1, float("nan")])
    with pytest.raises(ValueError, match="not unique"):
        write_submission(tmp_path / "a.csv", [1, "1"], [0.1, 0.2])
    assert not list(tmp_path.iterdir())


def fake_run(folder: Path, **arrays) -> Path:
    (folder / "state").mkdir(parents=True)
    np.savez_compressed(folder / "state" / "split.npz", X_test=np.zeros((10, 2)), **arrays)
    return folder


def test_answers_read_the_split(tmp_path):
    named = fake_run(tmp_path / "named", y_test=LABELS, test_ids=np.array(IDS))
    ids, y = answers(named)
    assert ids == IDS and y.tolist() == LABELS.tolist()
    numbered = fake_run(tmp_path / "numbered", y_test=LABELS)
    ids, y = answers(numbered)
    assert ids == [str(i) for i in range(10)] and y.tolist() == LABELS.tolist()
    ids, _ = answers(fake_run(tmp_path / "ints", y_test=LABELS, test_ids=np.arange(100, 110)))
    assert ids[:2] == ["100", "101"]


def test_answers_missing_say_which_notebooks_to_run(tmp_path):
    with pytest.raises(MissingAnswersError, match="no run folder.*01_import and 02_load.*"
                                                  "make run-all DATASETS=thyroid"):
        answers(tmp_path / "thyroid")
    (tmp_path / "empty" / "state").mkdir(parents=True)
    with pytest.raises(MissingAnswersError, match="no state/split.npz.*'thyroid'"):
        answers(tmp_path / "empty", dataset="thyroid")


def run_cli(*args, cwd=ROOT, **env):
    return subprocess.run([sys.executable, "-m", "helpers.leaderboard", *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, env={**os.environ, **env})


def test_command_line_scores_and_refuses(tmp_path):
    run = fake_run(tmp_path / "run", y_test=LABELS, test_ids=np.array(IDS))
    sub = write_submission(tmp_path / "sub.csv", IDS, LABELS * 2.0)
    done = run_cli("sub.csv", "--run-dir", run, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ("sub.csv: ROC-AUC 1.000, average precision 1.000 "
                           "(10 test rows, 2 anomalies)\n")
    sub.write_text("id,score\nr0,1\n")
    done = run_cli(sub, "--run-dir", run)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(f"error: {sub}: test rows without a score (9 ids")


def test_command_line_default_run_folder(tmp_path):
    build = tmp_path / "build"
    fake_run(build / "runs" / "synthetic", y_test=LABELS)
    sub = write_submission(tmp_path / "sub.csv", range(10), np.arange(10.0))
    done = run_cli(sub, "--dataset", "synthetic", ANOMALY_KIT_BUILD=str(build))
    assert done.returncode == 0 and "(10 test rows, 2 anomalies)" in done.stdout, done.stderr
    done = run_cli(sub, ANOMALY_KIT_BUILD=str(build))  # thyroid by default: not run here
    assert done.returncode == 2
    assert f"there is no run folder {build / 'runs' / 'thyroid'}:" in done.stderr
    assert "make run-all DATASETS=thyroid" in done.stderr
    assert "run folders there: synthetic" in done.stderr


def test_command_line_stays_light(tmp_path):
    run = fake_run(tmp_path / "run", y_test=LABELS, test_ids=np.array(IDS))
    sub = write_submission(tmp_path / "sub.csv", IDS, LABELS * 1.0)
    code = ("import sys; from helpers.leaderboard import main; "
            f"assert main([{str(sub)!r}, '--run-dir', {str(run)!r}]) == 0; "
            "assert not {'tensorflow', 'keras', 'torch'} & set(sys.modules), 'heavy import'")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_main_in_process(tmp_path, capsys):
    run = fake_run(tmp_path / "run", y_test=LABELS)
    assert main([str(tmp_path / "nope.csv"), "--run-dir", str(run)]) == 2
    assert "does not exist" in capsys.readouterr().err
