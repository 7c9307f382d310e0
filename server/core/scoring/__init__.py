"""The complaint processing index (投诉处理指数): the pure formula and its recomputation."""
