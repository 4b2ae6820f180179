"""Everything after the design: patterns, nesting, BOM, work orders, tracking, QC, inventory, traceability;
plus the adapters that persist and run it: ``db`` (SQLAlchemy + Alembic), ``pipeline`` (Celery) and
``artifacts`` (the content-addressed store).
"""
