"""Exports: datasets run into files, the chat worker and the charts."""
