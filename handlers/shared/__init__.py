"""Code several features share (tests/test_features.py checks that shared modules import no
feature, and that a feature imports no other feature's modules)."""
