"""The ``cspms`` command line: one sub-command group per domain."""
