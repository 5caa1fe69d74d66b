"""The command line (``python -m research``) and the Makefile's argument handling."""
