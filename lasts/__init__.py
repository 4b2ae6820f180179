"""The foot and the last: scan ingest, landmarks, measurements, parametric last, fitting, grading, sizes.

Pure: no database, no web. Imports only ``geometry``.
"""
