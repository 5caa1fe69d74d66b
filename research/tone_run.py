"""Placeholder until the tone runner lands (registers nothing)."""
