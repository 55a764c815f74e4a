"""tabular_mbrl: model-based RL on gridworlds in NumPy (Sutton & Barto, ch. 8)."""

__version__ = "0.1.0"
