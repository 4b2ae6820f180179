from tests.manufacturing.tracking.shop import shop

__all__ = ["shop"]
