"""Quality control: checklist templates per checkpoint, inspections that copy their template, verdicts that
send a pair back to rework, and the metrics (first-pass yield, rework rate, defect Pareto). docs/qc.md."""
