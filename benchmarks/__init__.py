"""Benchmarks, cohort generators, the soak and the samples they share with the tests: tools that measure the
production packages and that production never imports (an import-linter contract keeps it so). The
``cspms bench`` commands are in ``benchmarks.cli``. See docs/benchmarks.md."""
