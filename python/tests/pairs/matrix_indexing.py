from daphne.context.daphne_context import DaphneContext

dc = DaphneContext()
m = dc.seq(1, 20).reshape(4, 5)
rows = dc.seq(0, 2, 2)
cols = dc.seq(1, 4, 3)
m[0, :].print().compute()
m[1:3, :].print().compute()
m[:, 2].print().compute()
m[:, 1:].print().compute()
m[:2, 3:].print().compute()
m[2, 3].print().compute()
m[rows, :].print().compute()
m[:, cols].print().compute()
m[rows, cols].print().compute()
k = m.nrow() - 1
m[k, :].print().compute()
before = m * 1
m[0:2, 0:2] = dc.fill(0, 2, 2)
m.print().compute()
m[3, :] = dc.fill(-1, 1, 5)
m.print().compute()
before.print().compute()
