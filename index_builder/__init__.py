"""Offline half of the WSD service: read SemCor, embed it, write FAISS index folders."""

__version__ = "0.1.0"
