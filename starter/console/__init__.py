"""The web console (issue #17): server-rendered pages at / in the API process."""

from starter.console.routes import install

__all__ = ["install"]
