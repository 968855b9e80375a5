"""leia: LEIA training corpora from Wikipedia dumps, for Hugging Face training and inference."""

__version__ = "0.1.0"
