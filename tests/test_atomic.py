"""Writing a set of files into a directory: all or nothing, and nothing else touched."""

from __future__ import annotations

import os

import numpy as np
import pytest

from balkhash.atomic import JOURNAL, LOCK_FILE, STAGING_PREFIX, DirectoryBusy, recover, write_dir


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
    order = [n for n in order if n != JOURNAL]
    assert order[-1] == "summary.json"
    assert sorted(order) == ["a.csv", "summary.json", "z.csv"]


def test_a_file_in_the_way_is_refused(tmp_path):
    (tmp_path / "out").write_text("a file")
    with pytest.raises(NotADirectoryError):
        write_dir(tmp_path / "out", lambda tmp: None)


def test_every_rename_stays_inside_the_destination(tmp_path, monkeypatch):
    """--out at a mount point (a Docker volume): the staging directory is inside the destination,
    so no rename crosses a file system ("Invalid cross-device link")."""
    dest = tmp_path / "mnt"
    dest.mkdir()
    (dest / "a.csv").write_text("old")
    moves = []
    real = os.replace
    monkeypatch.setattr(os, "replace", lambda s, d: (moves.append((str(s), str(d))), real(s, d)))

    def write(tmp):
        (tmp / "a.csv").write_text("new")
        (tmp / "summary.json").write_text("{}")

    write_dir(dest, write, last="summary.json")
    assert moves
    for src, dst in moves:
        assert os.path.commonpath([src, str(dest)]) == str(dest), src
        assert os.path.commonpath([dst, str(dest)]) == str(dest), dst
    assert (dest / "a.csv").read_text() == "new"
    assert not list(dest.glob(STAGING_PREFIX + "*"))


def _writer(run: str, names):
    def write(tmp):
        for name in names:
            (tmp / name).write_text(f"{run} {name}")
    return write


RESULT = ["flows.csv", "deliveries.csv", "storage.csv", "targets.csv", "duals.csv", "inflows.csv",
          "hydropower.csv", "arrivals.csv", "summary.json"]


def _kill_at(dest, run: str, k: int, names, stale=()):
    """Run a writer in a child process killed (SIGKILL) right after its k-th rename or unlink."""
    import signal

    pid = os.fork()
    if pid == 0:  # the child: count the renames and unlinks of the swap, die at the k-th
        count = [0]
        real_replace, real_unlink = os.replace, os.unlink

        def hit():
            count[0] += 1
            if count[0] == k:
                os.kill(os.getpid(), signal.SIGKILL)

        os.replace = lambda s, d: (real_replace(s, d), hit())
        os.unlink = lambda p, *a, **kw: (real_unlink(p, *a, **kw), hit())
        try:
            write_dir(dest, _writer(run, names), stale=stale, last="summary.json")
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return os.WIFSIGNALED(status)


def _runs_in(dest) -> set[str]:
    return {(dest / n).read_text().split()[0] for n in RESULT if (dest / n).exists()}


def test_a_writer_killed_at_any_moment_of_the_swap_never_leaves_a_mixed_set(tmp_path):
    """40 writers killed at every rename/unlink of the swap: a directory with summary.json holds
    one complete run, always; the next writer (or recover) completes the killed swap."""
    killed = 0
    for i in range(40):
        dest = tmp_path / f"out{i}"
        write_dir(dest, _writer("old", [*RESULT, "flows.parquet"]), last="summary.json")
        k = 1 + i % 12  # the journal, the marker's removal, 8 tables, the stale file, the marker
        killed += _kill_at(dest, "new", k, RESULT, stale=["flows.parquet"])
        if (dest / "summary.json").exists():
            assert _runs_in(dest) in ({"old"}, {"new"}), (k, _runs_in(dest))
            assert all((dest / n).exists() for n in RESULT)
        recover(dest)
        assert not list(dest.glob(STAGING_PREFIX + "*"))
        assert all((dest / n).exists() for n in RESULT), k
        assert len(_runs_in(dest)) == 1, (k, _runs_in(dest))
        if k > 1:  # killed after the journal: rolled forward to the new run, the stale file gone
            assert _runs_in(dest) == {"new"}
            assert not (dest / "flows.parquet").exists()
    assert killed >= 36  # k <= 11 of every 12 kill inside the swap, k = 12 kills after the last move


def test_a_staging_directory_left_without_a_journal_is_removed(tmp_path):
    dest = tmp_path / "out"
    write_dir(dest, _writer("old", RESULT), last="summary.json")
    left = dest / f"{STAGING_PREFIX}dead"
    left.mkdir()
    (left / "flows.csv").write_text("half")
    write_dir(dest, _writer("new", RESULT), last="summary.json")
    assert not left.exists()
    assert _runs_in(dest) == {"new"}


def test_writers_of_one_directory_take_turns(tmp_path):
    from filelock import FileLock

    dest = tmp_path / "out"
    dest.mkdir()
    with FileLock(str(dest / LOCK_FILE)), pytest.raises(DirectoryBusy, match="another balkhash run is writing"):
        write_dir(dest, _writer("new", RESULT), last="summary.json", timeout=0.2)
    assert not (dest / "summary.json").exists()
    assert not list(dest.glob(STAGING_PREFIX + "*"))
    write_dir(dest, _writer("new", RESULT), last="summary.json", timeout=0.2)  # free again
    assert _runs_in(dest) == {"new"}


def test_csv_tables_keep_small_and_large_values(tmp_path):
    """The CSV tables keep 12 significant digits: 3e-7 Mm3 is not written as 0, 123456.789012 keeps
    its decimals."""
    import pandas as pd

    from balkhash.allocation.solve import solve
    from balkhash.allocation.writer import TABLES, write_solution
    from balkhash.data import example_path

    sol = solve(example_path("tiny_river"))
    tables = {name: sol.tables[name].copy() for name in TABLES}
    tables["flows"].loc[0, "flow_mm3"] = 3e-7
    tables["flows"].loc[1, "flow_mm3"] = 123456.789012
    fake = type("S", (), {"tables": tables, "summary": sol.summary})()
    write_solution(fake, tmp_path / "out")
    flows = pd.read_csv(tmp_path / "out" / "flows.csv")
    assert flows.loc[0, "flow_mm3"] == 3e-7
    assert flows.loc[1, "flow_mm3"] == 123456.789012
    np.testing.assert_allclose(flows["flow_mm3"].iloc[2:], tables["flows"]["flow_mm3"].iloc[2:], rtol=1e-11)
