"""Code several features share (words, audiences, helpers): a feature imports these, never
another feature's modules."""
