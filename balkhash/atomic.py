"""Writing a set of files into a directory without touching anything else in it.

The files are first written into a temporary directory next to the destination (same file
system); only when all of them are written are they renamed into the destination one by one
(each rename atomic), the marker file last.  A failure while writing leaves the destination as it
was; files of the destination that the writer does not own are never removed, so ``--out .`` or
``--out ~/results`` is safe.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path


def staging_dir(dest: Path) -> Path:
    """A fresh temporary directory next to ``dest`` (created with its parents)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))


def _new_file_mode() -> int:
    """The mode a new file gets under the current umask (temporary files are private; results
    are not)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def commit_dir(tmp: Path, dest: Path, stale: Iterable[str] = (), last: str | None = None) -> Path:
    """Move every file of ``tmp`` into ``dest`` (sub-directories kept), ``last`` (a relative path)
    after the others; then remove the files named in ``stale`` (relative paths this writer owns
    but did not write this time), and ``tmp``.  Other files of ``dest`` stay."""
    mode = _new_file_mode()
    files = sorted(p for p in tmp.rglob("*") if p.is_file())
    if last is not None:
        files.sort(key=lambda p: p.relative_to(tmp).as_posix() == last)
    written: set[str] = set()
    for src in files:
        rel = src.relative_to(tmp)
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(src, mode)
        os.replace(src, target)
        written.add(rel.as_posix())
    for name in stale:
        if name not in written:
            (dest / name).unlink(missing_ok=True)
    shutil.rmtree(tmp, ignore_errors=True)
    return dest


def write_dir(dest, write, stale: Iterable[str] = (), last: str | None = None) -> Path:
    """Call ``write(tmp_dir)``, then :func:`commit_dir` into ``dest``.  ``dest`` must be a directory
    or not exist; on any failure it is left as it was and the temporary directory removed."""
    dest = Path(dest).resolve()
    if dest.exists() and not dest.is_dir():
        raise NotADirectoryError(f"{dest} exists and is not a directory")
    tmp = staging_dir(dest)
    try:
        write(tmp)
        dest.mkdir(parents=True, exist_ok=True)
        return commit_dir(tmp, dest, stale=stale, last=last)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
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
