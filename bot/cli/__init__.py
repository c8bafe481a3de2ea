"""The `chibo` command line."""
