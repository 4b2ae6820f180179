from tests.manufacturing.qc.shop import shop

__all__ = ["shop"]
