"""``python -m balkhash.cli``: the same as the ``balkhash`` console script."""

from . import main

main()
