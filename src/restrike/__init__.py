"""reStrike VTA: instant video replay station for taekwondo courts."""

__version__ = "0.1.0"
__all__ = ["__version__"]
