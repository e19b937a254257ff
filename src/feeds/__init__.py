"""feeds: publish and read news feeds for a multilingual newsroom."""

__version__ = "0.1.0"
