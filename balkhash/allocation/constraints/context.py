"""What every constraint family gets: the compiled data, the LP builder and the blocks built so far."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..data import ModelData
from ..lp import LPBuilder, VarBlock


@dataclass
class Build:
    data: ModelData
    lp: LPBuilder = field(default_factory=LPBuilder)

    @property
    def T(self) -> int:
        return self.data.T

    @property
    def periods(self) -> range:
        return range(self.data.T)

    def var(self, name: str) -> VarBlock:
        return self.lp.var_blocks[name]

    def has(self, name: str) -> bool:
        return name in self.lp.var_blocks

    def per_period(self, param: str, key_pos) -> np.ndarray:
        """Flat positions of (key, period) entries of a parameter shaped keys x periods: an array
        of shape (len(key_pos), T)."""
        key_pos = np.asarray(key_pos, dtype=np.int64).reshape(-1, 1)
        return key_pos * self.T + np.arange(self.T)[None, :]
