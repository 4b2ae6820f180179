"""Planning: routing (operations and standard times), the factory (work centres, workers), work orders
(released snapshots, states derived from facts) and scheduling (CP-SAT flexible job shop, dispatch rules).
See docs/planning.md."""
