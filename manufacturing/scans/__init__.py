"""Foot scans outside an order's pipeline: uploaded and measured at once, or made from typed measurements."""
