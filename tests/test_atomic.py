"""Writing a set of files into a directory: all or nothing, and nothing else touched."""

from __future__ import annotations

import os

import pytest

from balkhash.atomic import write_dir


def test_files_replace_their_namesakes_and_stale_owned_files_go(tmp_path):
    dest = tmp_path / "out"
    (dest / "sub").mkdir(parents=True)
    for name, text in {"a.csv": "old a", "b.parquet": "old b", "keep.txt": "keep", "sub/x.csv": "old x"}.items():
        (dest / name).write_text(text)

    def write(tmp):
        (tmp / "a.csv").write_text("new a")
        (tmp / "sub").mkdir()
        (tmp / "sub" / "x.csv").write_text("new x")

    write_dir(dest, write, stale=["a.csv", "b.parquet", "sub/x.csv"])
    assert (dest / "a.csv").read_text() == "new a"
    assert (dest / "sub" / "x.csv").read_text() == "new x"
    assert not (dest / "b.parquet").exists()
    assert (dest / "keep.txt").read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    mode = os.stat(dest / "a.csv").st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask  # readable like any new file, not private like a temp file


def test_a_failing_writer_leaves_the_destination_as_it_was(tmp_path):
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "a.csv").write_text("old a")

    def write(tmp):
        (tmp / "a.csv").write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_dir(dest, write, stale=["a.csv"])
    assert (dest / "a.csv").read_text() == "old a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    with pytest.raises(RuntimeError):
        write_dir(tmp_path / "new", write)
    assert not (tmp_path / "new").exists()  # not created when nothing was written


def test_the_marker_file_is_moved_last(tmp_path, monkeypatch):
    order = []
    real = os.replace
    monkeypatch.setattr(os, "replace", lambda s, d: (order.append(os.path.basename(d)), real(s, d)))

    def write(tmp):
        for name in ("summary.json", "a.csv", "z.csv"):
            (tmp / name).write_text(name)

    write_dir(tmp_path / "out", write, last="summary.json")
    assert order[-1] == "summary.json"
    assert sorted(order) == ["a.csv", "summary.json", "z.csv"]


def test_a_file_in_the_way_is_refused(tmp_path):
    (tmp_path / "out").write_text("a file")
    with pytest.raises(NotADirectoryError):
        write_dir(tmp_path / "out", lambda tmp: None)
