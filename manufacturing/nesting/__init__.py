"""Nesting: pattern pieces laid on rolls (strip packing) and on hides around defects and quality zones."""
