"""Members on dask.distributed: a LocalCluster (one single-threaded process per core) or any running
Dask cluster (``scheduler="tcp://HOST:8786"``).

The spec (the basin under its scenario) is scattered to every worker once; the members are sent
in batches, each solved by the worker's persistent model (:func:`.members.model_for`: built by
the first batch a worker gets, re-solved warm for every member after).  The annual volumes of
every member are drawn on the client before anything is sent, so a member's inflows, and so its
solution, do not depend on the worker or the batch that solves it: the result equals the serial
run with the same seed.  This is the only module that imports Dask.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

import numpy as np

from .members import EnsembleError, MemberSpec, batches, merge, run_batch

#: seconds to wait for a scheduler given with --scheduler
CONNECT_TIMEOUT = 10


def _client(scheduler: str | None, workers: int | None):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - a dependency of balkhash
        raise EnsembleError("running members on Dask needs dask[distributed]: pip install 'dask[distributed]'") \
            from None
    if scheduler:
        try:
            return Client(scheduler, timeout=CONNECT_TIMEOUT), None
        except (OSError, TimeoutError, ValueError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise EnsembleError(f"cannot reach the Dask scheduler at {scheduler} within {CONNECT_TIMEOUT} s "
                                f"({first})") from None
    import warnings

    n = workers or os.cpu_count() or 1
    with warnings.catch_warnings():  # the scheduler's HTTP server moves to a free port when 8787 is taken
        warnings.filterwarnings("ignore", message="Port .* is already in use", category=UserWarning)
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=logging.ERROR)
    return Client(cluster), cluster


def run_dask(spec: MemberSpec, q: np.ndarray, scheduler: str | None = None, workers: int | None = None,
             progress: Callable[[int, int], None] | None = None, client=None, timings: dict | None = None) -> dict:
    """Every member of ``q`` (members, years, 2) on Dask; arrays in member order (as :func:`.members.run_serial`).
    ``client``: an existing ``dask.distributed.Client`` (left open); ``timings`` gets the seconds
    of the cluster start (``cluster_start``) and of the members (``members``)."""
    from time import perf_counter

    from dask.distributed import as_completed

    t0 = perf_counter()

    own = client is None
    cluster = None
    if own:
        client, cluster = _client(scheduler, workers)
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        t1 = perf_counter()
        spec_f = client.scatter(spec, broadcast=True)
        futures = [client.submit(run_batch, spec_f, q[ids], ids, pure=False) for ids in batches(q)]
        done, out = 0, []
        for fut in as_completed(futures):
            res = fut.result()
            out.append(res)
            done += len(res["status"])
            if progress:
                progress(done, len(q))
        if timings is not None:
            timings.update(cluster_start=t1 - t0, members=perf_counter() - t1, workers=n_workers)
        return merge(out)
    finally:
        if own:
            client.close()
            if cluster is not None:
                cluster.close()


def worker_memory(client) -> dict[str, float]:
    """Resident memory of every worker process, MB."""
    def rss() -> float:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0

    return client.run(rss)
