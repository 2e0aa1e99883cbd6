"""Fast linear expressions: sum_i c_i v_i built directly as a Pyomo LinearExpression.

Building ``LinearExpression`` from monomials skips Pyomo's operator overloading and lets the
standard-form compiler read the coefficients without walking a generic expression tree (about
2x faster to compile than the same sum written with ``+`` and ``*``).
"""

from __future__ import annotations

from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression


def linear(terms) -> LinearExpression:
    """``terms``: iterable of (coefficient, variable) pairs."""
    if not isinstance(terms, (list, tuple)):
        terms = list(terms)
    if not terms:
        return LinearExpression([])
    coefs, variables = zip(*terms, strict=True)
    return LinearExpression(list(map(MonomialTermExpression, zip(map(float, coefs), variables, strict=True))))
