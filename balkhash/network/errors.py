"""Problems found in basin input, reported all at once and never as a traceback."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import BalkhashError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: which file, which node/link/target, which field, what."""

    file: str
    where: str
    field: str
    message: str

    def __str__(self) -> str:
        loc = f"{self.file}"
        if self.where:
            loc += f": {self.where}"
        if self.field:
            loc += f": {self.field}"
        return f"{loc}: {self.message}"


class BasinError(BalkhashError):
    """Raised when a basin (or scenario) cannot be used; carries every problem found (exit code 1)."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
