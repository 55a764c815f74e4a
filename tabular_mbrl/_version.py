"""The one version number of the distribution (``tabular-mbrl``), shared by
both import packages."""

__version__ = "0.1.0"
