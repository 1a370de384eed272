from daphne.context.daphne_context import DaphneContext

dc = DaphneContext()
c = dc.seq(1.0, 3.0, 1.0)
r = dc.seq(0.0, 2.0, 1.0).reshape(1, 3)
for name in ["outerAdd", "outerSub", "outerMul", "outerDiv", "outerPow", "outerLog", "outerMod", "outerMin",
             "outerMax", "outerAnd", "outerOr", "outerEq", "outerNeq", "outerLt", "outerLe", "outerGt", "outerGe"]:
    getattr(c, name)(r).print().compute()
