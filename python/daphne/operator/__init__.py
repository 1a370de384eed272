"""The lazy expression graph of the Python API (DaphneLib's module layout)."""
