"""Data: built-in data sets and splitting."""

from kdistill.data.builtin import REFERENCE_PARAMS, load_reference, make_reference

__all__ = ["REFERENCE_PARAMS", "load_reference", "make_reference"]
