"""CALVIN links files into basin directories (``balkhash import calvin``); docs/peers.md."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ImportReport:
    """What an import converted and what it left out."""

    outdir: str
    lines: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return "\n".join(self.lines)


def import_calvin(links: str, outdir: str, name: str | None = None) -> ImportReport:
    raise NotImplementedError
