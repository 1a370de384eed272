from daphne.context.daphne_context import DaphneContext

dc = DaphneContext()
X = dc.fill(1.0, 2, 2)
s = dc.fill(3, 1, 1).sum()
# if-then-else, with and without else, on a matrix and a scalar
a, b = dc.cond([X, s], lambda: s > 2, lambda x, y: (x * 10, y + 1), lambda x, y: (x, y - 1))
a.print().compute()
b.print().compute()
(c,) = dc.cond([X], lambda: s < 2, lambda x: x + 100)
c.print().compute()
# for loops: the iteration variable, a step, a value from outside the body
outside = dc.fill(0.5, 2, 2)
(f,) = dc.for_loop([X], lambda x, i: x + i + outside, 1, 4)
f.print().compute()
(g, h) = dc.for_loop([X, s], lambda x, y, i: (x * 2, y + i), 0, 10, 5)
g.print().compute()
h.print().compute()
# swapping carried values
(p, q) = dc.for_loop([X, X * 3], lambda x, y, i: (y, x), 1, 3)
p.print().compute()
q.print().compute()
# while and do-while
(w,) = dc.while_loop([X], lambda x: x.sum() < 100, lambda x: x * 2)
w.print().compute()
(d, e) = dc.do_while_loop([X, s], lambda x, y: y < 5, lambda x, y: (x + 1, y + 1))
d.print().compute()
e.print().compute()
(z,) = dc.while_loop([s], lambda y: dc.logical_and(y > 0, y < 10), lambda y: y * 3)
z.print().compute()
# nested: a loop inside a branch
(n,) = dc.cond([X], lambda: s > 0, lambda x: dc.for_loop([x], lambda y, i: y + i, 1, 3)[0])
n.print().compute()
