"""ssop: Smart System Operator."""

__version__ = "0.1.0"
