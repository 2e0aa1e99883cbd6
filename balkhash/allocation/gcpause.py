"""Pause the garbage collector while building or reading large models."""

from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def gc_paused():
    """The LP is hundreds of thousands of small objects, none of them garbage: generational
    collections triggered by their allocation would otherwise take a large share of the build."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
