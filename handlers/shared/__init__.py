"""Code several features share (a feature never imports another feature's modules)."""
