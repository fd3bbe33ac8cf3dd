"""dosewise: plans, checks and tracks medicines that must be raised slowly and never stopped abruptly."""

__all__ = ["__version__"]
__version__ = "0.1.0"
