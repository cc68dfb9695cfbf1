"""ReformWatch: the command line and the wiring of the stages (crawl -> store -> classify -> store -> review/export)."""
__version__ = "0.1.0"
