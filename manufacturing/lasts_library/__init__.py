"""The base-last library: a shop's own scanned lasts, imported as base lasts by name and style
(lasts/base_lasts.py does the geometry); without one, a style's base is the parametric last."""
