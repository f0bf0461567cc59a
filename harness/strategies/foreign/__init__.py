"""Frameworks that need their own Python environment (auto-sklearn on Python 3.9).

Their worker scripts in this folder use only the standard library and their framework,
never the harness, so they run with that environment's interpreter.
"""
