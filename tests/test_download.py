import hashlib

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
    monkeypatch.setattr(download.paths, "data_dir", lambda: tmp_path / "data")
    assert download.main() == 0
    out = capsys.readouterr().out
    assert "synthetic: nothing to download" in out and "sha256 verified" in out
    assert (tmp_path / "data" / "mnist" / "mnist.npz").read_bytes() == b"pretend npz"


def test_make_data_offline_says_so(tmp_path, monkeypatch, capsys):
    from helpers.datasets import mnist

    monkeypatch.setattr(mnist, "DOWNLOADS", (("http://127.0.0.1:9/mnist.npz", "mnist.npz", "0" * 64),))
    monkeypatch.setattr(download.paths, "data_dir", lambda: tmp_path / "data")
    assert download.main() == 1
    err = capsys.readouterr().err
    assert "offline" in err and "default data needs no download" in err
