from daphne.context.daphne_context import DaphneContext, Frame, Scalar

dc = DaphneContext()
X = dc.fill(2.0, 2, 2)


@dc.function
def three(x):
    return x + 1, x * 2, x.sum()


@dc.function
def scale(x, k: Scalar):
    return x * k


@dc.function
def rows(f: Frame):
    return f.nrow()


@dc.function
def twice(x):
    return scale(scale(x, 2)[0], 2)[0]


a, b, c = three(X)
a.print().compute()
b.print().compute()
c.print().compute()
scale(X, 3)[0].print().compute()
scale(X, dc.fill(4, 1, 1).sum())[0].print().compute()
rows(dc.createFrame([dc.seq(1, 4)], ["a"]))[0].print().compute()
twice(X)[0].print().compute()
(scale(X, 2)[0] + scale(X, 5)[0]).print().compute()
