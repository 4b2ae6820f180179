"""Designs before they are orders: the customer's uploaded logo images (and, in time, the design service that
still lives in web/api/designs.py)."""
