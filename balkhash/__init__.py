"""balkhash: multi-period LP water allocation for the Ile-Balkhash basin."""

from .errors import BalkhashError

__version__ = "0.1.0"


def solve(basin, **options):
    """Build and solve the allocation LP for ``basin`` (a Basin or a path); returns a Solution."""
    from .allocation.solve import solve as _solve

    return _solve(basin, **options)


__all__ = ["BalkhashError", "__version__", "solve"]
