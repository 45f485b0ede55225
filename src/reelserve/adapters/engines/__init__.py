"""Engines: implementations of the ``Engine`` port (preview on the CPU; diffusers; upstream)."""
