"""Inflow ensembles: a seeded generator of annual inflows (:mod:`.generator`), members solved warm
on one persistent model per worker (:mod:`.members`), serially or on Dask (:mod:`.distributed`),
the member x period cube and its summaries (:mod:`.cube`, :mod:`.summary`) and the water year of
a given exceedance probability (:mod:`.probability`).  Dask is imported only by
:mod:`.distributed`."""
