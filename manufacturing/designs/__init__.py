"""Designs before they are orders: the design service (a design made on a pair of lasts, priced, stored as
revisions, previewed) and the customer's uploaded logo images."""
