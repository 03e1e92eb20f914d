"""One blueprint package per capability."""
