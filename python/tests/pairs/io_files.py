from daphne.context.daphne_context import DaphneContext

dc = DaphneContext()
dc.seq(1.0, 6.0, 1.0).reshape(2, 3).write("io_files_m.csv").compute()
dc.readMatrix("io_files_m.csv").print().compute()
dc.createFrame([dc.seq(1, 2), dc.fill("q", 2, 1)], ["k", "v"]).write("io_files_f.csv").compute()
dc.readFrame("io_files_f.csv").print().compute()
