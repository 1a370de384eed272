from daphne.context.daphne_context import DaphneContext

dc = DaphneContext()
X = dc.seq(-1.5, 1.5, 0.75).reshape(1, 5)
P = dc.seq(0.25, 1.0, 0.25).reshape(2, 2)
for name in ["abs", "sign", "exp", "round", "floor", "ceil", "sin", "cos", "tan", "atan", "sinh", "cosh", "tanh"]:
    getattr(X, name)().print().compute()
for name in ["ln", "sqrt", "asin", "acos"]:
    getattr(P, name)().print().compute()
(X / 0.0).isNan().print().compute()
(-X).print().compute()
abs(X).print().compute()
