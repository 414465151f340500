"""simspot: a managed cellular hotspot for Linux boxes."""

__version__ = "0.1.0"
