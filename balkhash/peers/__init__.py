"""Models of other water-allocation tools, brought in and out of balkhash's basin format.

One module per peer: :mod:`.calvin` reads CALVIN's links files (``balkhash import calvin``).
Each importer converts what balkhash expresses and lists what it cannot convert, refusing the
model rather than dropping anything silently (docs/peers.md).
"""
