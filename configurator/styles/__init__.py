"""The style library. Each style is defined by style lines on the last (see the styles issue);
for now this is the catalogue of style names a design may name.
"""

STYLE_NAMES: tuple[str, ...] = ("oxford", "derby", "penny_loafer", "low_top_sneaker", "chelsea_boot")
