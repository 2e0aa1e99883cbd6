"""The basin as data: schema, file I/O, validation, calendar and units."""

from .errors import BasinError, Problem
from .io import load_basin, save_basin
from .schema import Basin

__all__ = ["Basin", "BasinError", "Problem", "load_basin", "save_basin"]
