"""Fit feedback: a customer's answers per region map to last changes (a documented table), which make a new
last revision for re-orders; aggregated per style they suggest allowance changes. docs/feedback.md."""
