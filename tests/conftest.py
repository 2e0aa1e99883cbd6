"""Test-session settings shared by every test file.

``BALKHASH_PROPERTY_EXAMPLES=N`` sets the number of examples of **every** property test (hypothesis),
whatever its own default, for a longer hunt (or a quick run); unset, each test keeps its own.
"""

from __future__ import annotations

import os

from hypothesis import settings

PROPERTY_EXAMPLES = os.environ.get("BALKHASH_PROPERTY_EXAMPLES")


def property_examples(test) -> int | None:
    """The number of examples hypothesis will run for ``test`` (None: not a property test)."""
    own = getattr(test, "_hypothesis_internal_use_settings", None)
    return None if own is None else own.max_examples


def pytest_collection_modifyitems(config, items):
    if not PROPERTY_EXAMPLES:
        return
    n = int(PROPERTY_EXAMPLES)
    seen = set()
    for item in items:
        test = getattr(item, "obj", None)
        own = getattr(test, "_hypothesis_internal_use_settings", None)
        if own is None or id(test) in seen:
            continue
        seen.add(id(test))
        test._hypothesis_internal_use_settings = settings(own, max_examples=n)
