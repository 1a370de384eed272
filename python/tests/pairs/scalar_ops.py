from daphne.context.daphne_context import DaphneContext

dc = DaphneContext()
a = dc.fill(2.5, 2, 2).sum()
b = dc.fill(3, 1, 1).sum()
for s in [a + b, a - b, a * b, a / b, a ** 2, b % 2, a < b, a <= b, a > b, a >= b, a == b, a != b,
          1 + a, 1 - a, 2 * a, 1 / a, 2 ** b, 7 % b, -a, a // 3, 7 // b]:
    s.print().compute()
for name in ["abs", "sign", "exp", "ln", "sqrt", "round", "floor", "ceil", "sin", "cos", "tan", "sinh", "cosh",
             "tanh", "atan", "isNan"]:
    getattr(a, name)().print().compute()
h = a / 20
for name in ["asin", "acos"]:
    getattr(h, name)().print().compute()
a.pow(b).print().compute()
a.log(2).print().compute()
b.mod(2).print().compute()
a.min(b).print().compute()
a.max(b).print().compute()
dc.logical_and(a > 1, b > 5).print().compute()
dc.logical_or(a > 1, b > 5).print().compute()
((a > 1) & (b > 1)).print().compute()
(a * 2).print().compute()
(b + 1).print().compute()
(dc.seq(1.0, 3.0, 1.0) * a).print().compute()
(a - dc.seq(1.0, 3.0, 1.0)).print().compute()
a.asType("si64").print().compute()
