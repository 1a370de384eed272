"""The lazily evaluated DAPHNE data objects."""
