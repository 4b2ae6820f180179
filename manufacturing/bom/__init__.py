"""Bill of materials and cost of a pair: ``bom`` (materials per pair, every line explained), ``cost``
(labour, overhead, margin → the configurator's price quote); its benchmark is ``benchmarks.bom``."""

from manufacturing.bom.bom import Bom, BomLine, BomRules, build_bom
from manufacturing.bom.cost import Operation, Quote, QuoteRules, quote, standard_operations

__all__ = [
    "Bom",
    "BomLine",
    "BomRules",
    "Operation",
    "Quote",
    "QuoteRules",
    "build_bom",
    "quote",
    "standard_operations",
]
