"""Loaders: turn budget-performance documents into the four parquet tables of CONTRACT.md."""

# Bump when parsing changes so that cached or stamped builds are redone.
LOADER_VERSION = "0.1.0"
