"""Datasets shipped inside the package: the Ile-Balkhash default and small examples."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

DEFAULT_BASIN = "ile_balkhash"


def data_dir() -> Path:
    return Path(str(resources.files(__name__)))


def example_names() -> list[str]:
    root = data_dir() / "examples"
    return sorted(p.name for p in root.iterdir() if (p / "basin.yaml").exists())


def example_path(name: str) -> Path:
    """Directory of a bundled example basin."""
    path = data_dir() / "examples" / name
    if not (path / "basin.yaml").exists():
        raise KeyError(f"no bundled example '{name}'; available: {', '.join(example_names())}")
    return path


def default_basin_path() -> Path:
    """The embedded Ile-Balkhash basin, the default of every command."""
    return data_dir() / DEFAULT_BASIN
