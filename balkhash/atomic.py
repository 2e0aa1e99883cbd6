"""Writing a set of files into a directory without touching anything else in it, so that the
directory always holds one complete set.

:func:`write_dir` holds a lock on the directory (``.balkhash.lock``, the ``filelock`` package), so
writers of one directory take turns.  The files are first written into a staging directory
*inside* the destination (``.balkhash-staging-*``: the same file system even when the destination
is a mount point, e.g. a Docker volume), then swapped in:

1. a journal (``.ready`` in the staging directory) lists the files, the stale files and the marker;
2. the marker file (``summary.json`` of a result directory) is removed first, the other files
   replace their namesakes (each rename atomic), stale files of the writer go, and the new marker
   comes last.

So a directory with its marker file always holds one complete set, all from the same run; a
writer killed in the middle leaves no marker and a journal, and the next writer (or a reader
calling :func:`recover`) rolls the swap forward.  A staging directory without a journal (a writer
killed while writing) is removed.  Files of the destination the writer does not own are never
removed, so ``--out .`` or ``--out ~/results`` is safe.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from .errors import BalkhashError

#: prefix of the staging directories inside a destination
STAGING_PREFIX = ".balkhash-staging-"
#: the journal inside a staging directory: written when every file is there, before the swap
JOURNAL = ".ready"
#: the lock file inside a destination
LOCK_FILE = ".balkhash.lock"
#: how long a writer waits for another one writing the same directory, seconds
LOCK_TIMEOUT = 120.0


class DirectoryBusy(BalkhashError):
    """Another writer holds the directory's lock for longer than :data:`LOCK_TIMEOUT`."""


def _new_file_mode() -> int:
    """The mode a new file gets under the current umask (temporary files are private; results
    are not)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _lock(dest: Path, timeout: float | None = None):
    from filelock import FileLock

    return FileLock(str(dest / LOCK_FILE), timeout=LOCK_TIMEOUT if timeout is None else timeout)


def _roll_forward(tmp: Path, dest: Path, journal: dict) -> None:
    """Finish the swap the journal of ``tmp`` describes (idempotent: files already moved are skipped)."""
    mode = _new_file_mode()
    last = journal.get("last")

    def move(rel: str) -> None:
        src = tmp / rel
        if src.is_file():
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(src, mode)
            os.replace(src, target)

    if last is not None and (tmp / last).is_file():
        (dest / last).unlink(missing_ok=True)  # no marker while the set is mixed
    for rel in journal["files"]:
        if rel != last:
            move(rel)
    for rel in journal["stale"]:
        (dest / rel).unlink(missing_ok=True)
    if last is not None:
        move(last)
    shutil.rmtree(tmp, ignore_errors=True)


def commit_dir(tmp: Path, dest: Path, stale: Iterable[str] = (), last: str | None = None) -> Path:
    """Swap the files of the staging directory ``tmp`` into ``dest`` (sub-directories kept):
    write the journal, then :func:`_roll_forward`.  ``stale``: relative paths this writer owns but
    did not write this time; ``last``: the marker file (a relative path), moved last."""
    files = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file())
    written = set(files)
    journal = {"files": files, "stale": sorted(set(stale) - written), "last": last if last in written else None}
    part = tmp / (JOURNAL + ".part")
    with open(part, "w", encoding="utf-8") as fh:
        json.dump(journal, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(part, tmp / JOURNAL)
    _roll_forward(tmp, dest, journal)
    return dest


def _recover_locked(dest: Path) -> list[str]:
    done = []
    for tmp in sorted(dest.glob(STAGING_PREFIX + "*")):
        if not tmp.is_dir():
            continue
        try:
            journal = json.loads((tmp / JOURNAL).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            journal = None
        if isinstance(journal, dict) and isinstance(journal.get("files"), list):
            _roll_forward(tmp, dest, journal)
            done.append(f"completed {tmp.name}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
            done.append(f"removed {tmp.name}")
    return done


def recover(dest, timeout: float | None = None) -> list[str]:
    """Finish what a writer killed in ``dest`` left: a swap with a journal is rolled forward, a
    staging directory without one removed.  Returns what was done (empty when nothing was left)."""
    dest = Path(dest)
    if not dest.is_dir() or not any(dest.glob(STAGING_PREFIX + "*")):
        return []
    from filelock import Timeout

    try:
        with _lock(dest, timeout):
            return _recover_locked(dest)
    except Timeout:
        raise DirectoryBusy(f"another balkhash run is writing {dest} (its lock {dest / LOCK_FILE} was held for "
                            f"{LOCK_TIMEOUT if timeout is None else timeout:g} s); try again when it has finished") \
            from None


def write_dir(dest, write, stale: Iterable[str] = (), last: str | None = None, timeout: float | None = None) -> Path:
    """Call ``write(tmp_dir)``, then :func:`commit_dir` into ``dest``, holding ``dest``'s lock.
    ``dest`` must be a directory or not exist; on any failure it is left as it was (a directory
    created for this write is removed again) and the staging directory removed."""
    from filelock import Timeout

    dest = Path(dest).resolve()
    if dest.exists() and not dest.is_dir():
        raise NotADirectoryError(f"{dest} exists and is not a directory")
    created = not dest.exists()
    dest.mkdir(parents=True, exist_ok=True)
    try:
        with _lock(dest, timeout):
            _recover_locked(dest)
            tmp = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=dest))
            try:
                write(tmp)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            return commit_dir(tmp, dest, stale=stale, last=last)
    except Timeout:
        raise DirectoryBusy(f"another balkhash run is writing {dest} (its lock {dest / LOCK_FILE} was held for "
                            f"{LOCK_TIMEOUT if timeout is None else timeout:g} s); try again when it has finished") \
            from None
    except BaseException:
        if created:
            (dest / LOCK_FILE).unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                dest.rmdir()
        raise


def atomic_write(path, write):
    """Call ``write(tmp_path)`` on a temporary file next to ``path``, then rename it into place
    (readable like any new file: the umask applies).  A failure leaves ``path`` untouched."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, _new_file_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
