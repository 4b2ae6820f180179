"""Cutting jobs: a nest on one hide or roll, its cut files, and the lease a cutting machine holds on it.

``jobs`` is the pure state machine, ``plan`` turns a validated nest into placements and cut files,
``service`` loads, calls the core and stores, ``repository`` holds the queries (docs/cutting.md).
"""
