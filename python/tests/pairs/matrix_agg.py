from daphne.context.daphne_context import DaphneContext

dc = DaphneContext()
m = dc.seq(1.0, 12.0, 1.0).reshape(4, 3)
for name in ["sum", "aggMin", "aggMax", "mean", "var", "stddev"]:
    getattr(m, name)().print().compute()
    getattr(m, name)(axis=0).print().compute()
    getattr(m, name)(axis=1).print().compute()
for axis in (0, 1):
    m.idxMin(axis).print().compute()
    m.idxMax(axis).print().compute()
for name in ["cumSum", "cumProd", "cumMin", "cumMax"]:
    getattr(m, name)().print().compute()
m.ncol().print().compute()
m.nrow().print().compute()
m.ncell().print().compute()
