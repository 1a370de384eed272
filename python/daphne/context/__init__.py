"""DaphneLib's context module (``from daphne.context.daphne_context import DaphneContext``)."""
