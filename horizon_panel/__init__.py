"""Horizon plugin: the "Light Snapshots" panel under Project > Compute."""
