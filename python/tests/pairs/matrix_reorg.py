import numpy as np
from daphne.context.daphne_context import DaphneContext

dc = DaphneContext()
m = dc.seq(1, 6).reshape(2, 3)
s = dc.seq(1.0, 9.0, 1.0).reshape(3, 3)
m.t().print().compute()
m.reshape(3, 2).print().compute()
m.cbind(m).print().compute()
m.rbind(m * 10).print().compute()
m.reverse().print().compute()
s.lowerTri(True, True).print().compute()
s.upperTri(False, True).print().compute()
s.lowerTri(False, False).print().compute()
m.replace(3, 30).print().compute()
u = dc.from_numpy(np.array([[3.0, 1.0], [1.0, 2.0], [2.0, 0.0], [1.0, 1.0]]))
u.order([0, 1], [True, False], False).print().compute()
u.order([1], [True], True).print().compute()
