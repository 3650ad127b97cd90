"""Offline evaluation of the program: the shared mock engine and `make plan`."""
