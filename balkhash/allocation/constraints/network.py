"""The water arriving at and leaving a node, written once for every family that needs it.

For node n in period t (Mm3), with x the link flows, s_{d,k,t} the shortfall of demand d in
sharing block k, D_{d,t} its target, y_{d,t} = D_{d,t} - sum_k s_{d,k,t} its delivery and gamma_d
its consumptive fraction (the rest returns to ret(d)):

    arrivals(n,t)   = sum_{l in in(n)} (1 - loss_l) x_{l,t} + sum_{d: ret(d) = n} (1 - gamma_d) y_{d,t}
    departures(n,t) = sum_{l in out(n)} x_{l,t} + y_{n,t} [n is a demand]

The loss fraction of a link with a loss is the coefficient parameter ``loss_fraction``.

Each function adds ``sign`` times these terms to the rows ``R[n, t]`` (-1: no row).  The parts of y
that are targets, (1 - gamma_d) D and D, go to the right-hand side through the ``demand`` parameter,
so a changed target moves every row it appears in.
"""

from __future__ import annotations

import numpy as np

from .context import Build


def add_arrivals(b: Build, R: np.ndarray, sign: float, bound: str = "rhs") -> None:
    """Add sign * arrivals(n,t) to the rows R (nodes x periods)."""
    net = b.data.net
    flow = b.var("flow")
    m = (R[net.link_dst] >= 0).any(axis=1)
    if (m & (net.link_folded >= 0)).any():
        raise AssertionError("a folded inlet's demand has no row")  # pragma: no cover
    if m.any():
        b.lp.add_terms(R[net.link_dst[m]], flow.cols[m], sign * net.link_gain[m][:, None])
        lossy = loss_links(b)
        on = lossy[m[lossy]]
        if on.size:  # sign * (1 - loss_l): base sign (the gain above plus the loss), loss_l the parameter
            b.lp.add_terms(R[net.link_dst[on]], flow.cols[on], sign * (1.0 - net.link_gain[on])[:, None])
            b.lp.add_coef_effect("loss_fraction", R[net.link_dst[on]], flow.cols[on],
                                 np.searchsorted(lossy, on)[:, None], -sign)
    ret = net.demand_return
    m = np.zeros(len(ret), bool)
    m[ret >= 0] = (R[ret[ret >= 0]] >= 0).any(axis=1)
    if m.any():
        short = b.var("short")
        rows = R[ret[m]]
        share = net.return_share[m][:, None, None]
        b.lp.add_terms(rows[:, None, :], short.cols[m], -sign * share)
        b.lp.add_effect("demand", bound, rows, b.per_period("demand", np.flatnonzero(m)), -sign * share[:, 0])


def loss_links(b: Build) -> np.ndarray:
    """Positions of the links whose loss fraction is a parameter (``loss_fraction``): those with a
    loss in the basin, except folded inlets (their flow is the delivery over the gain)."""
    net = b.data.net
    lossy = np.flatnonzero((net.link_gain < 1.0) & (net.link_folded < 0))
    b.lp.parameter("loss_fraction", [b.data.links[i].id for i in lossy], 1.0 - net.link_gain[lossy], "fraction")
    return lossy


def add_departures(b: Build, R: np.ndarray, sign: float, bound: str = "rhs") -> None:
    """Add sign * departures(n,t) to the rows R (nodes x periods)."""
    net = b.data.net
    flow = b.var("flow")
    m = (R[net.link_src] >= 0).any(axis=1)
    folded = net.link_folded >= 0
    if (m & ~folded).any():
        b.lp.add_terms(R[net.link_src[m & ~folded]], flow.cols[m & ~folded], sign)
    if (m & folded).any():  # x_l = (D_d - sum_k s_d,k) / g_l
        short = b.var("short")
        d = net.link_folded[m & folded]
        rows = R[net.link_src[m & folded]]
        g = net.link_gain[m & folded][:, None]
        b.lp.add_terms(rows[:, None, :], short.cols[d], -sign / g[:, :, None])
        b.lp.add_effect("demand", bound, rows, b.per_period("demand", d), -sign / g)
    m = (R[net.demand_node] >= 0).any(axis=1)
    if m.any():
        short = b.var("short")
        rows = R[net.demand_node[m]]
        b.lp.add_terms(rows[:, None, :], short.cols[m], -sign)
        b.lp.add_effect("demand", bound, rows, b.per_period("demand", np.flatnonzero(m)), -sign)


def add_local_inflow(b: Build, R: np.ndarray, sign: float, bound: str = "rhs") -> None:
    """Add sign * I_{n,t} (the local inflow parameter) to the right-hand side of rows R."""
    has = np.flatnonzero((R >= 0).any(axis=1))
    if has.size:
        b.lp.add_effect("inflow", bound, R[has], b.per_period("inflow", has), sign)


def node_rows(b: Build, nodes: list[str], block_rows: np.ndarray) -> np.ndarray:
    """R (all nodes x periods): the rows of ``block_rows`` (len(nodes) x periods) at their nodes."""
    R = np.full((len(b.data.nodes), b.T), -1, dtype=np.int64)
    pos = b.data.net.node_pos
    if nodes:
        R[[pos[n] for n in nodes]] = block_rows
    return R
