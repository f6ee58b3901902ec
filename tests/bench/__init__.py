"""Benchmarks (`make bench`): figures with a baseline measured in the same run; not part of `make test`."""
