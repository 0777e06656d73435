"""storyc: a storyboard language and compiler for AI video."""

__version__ = "0.1.0"
