"""mkdocs hooks: the site's home page is the README and its changelog the CHANGELOG, read from the
repository root at build time (one source, never a stale copy in docs/)."""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[1]


def _home(text: str) -> str:
    """The README with its links into docs/ made relative to the site (docs/x.md -> x.md)."""
    text = re.sub(r"`docs/([\w.-]+\.md)`", r"[\1](\1)", text)
    return re.sub(r"\]\(docs/", "](", text)


def on_files(files, config):
    for name, source, edit in (("index.md", "README.md", _home), ("changelog.md", "CHANGELOG.md", None)):
        text = (ROOT / source).read_text(encoding="utf-8")
        files.append(File.generated(config, name, content=edit(text) if edit else text))
    return files
