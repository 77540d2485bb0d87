"""The exceptions and warnings kdistill raises.

Every error kdistill raises on purpose derives from :class:`KdistillError`.
Errors caused by what the user passed in (a bad option, a bad file) derive
from :class:`InputError` as well, which the command line turns into exit
status 2.
"""

from __future__ import annotations

from sklearn.exceptions import NotFittedError as _SklearnNotFittedError

__all__ = [
    "InputError",
    "KdistillError",
    "KdistillWarning",
    "NotFittedError",
]


class KdistillError(Exception):
    """Base class of the errors kdistill raises."""


class InputError(KdistillError, ValueError):
    """A parameter, option or input file is not acceptable.

    The message names the offending value, what was expected and, where there
    is one, the fix.
    """


class NotFittedError(KdistillError, _SklearnNotFittedError):
    """An estimator was used before ``fit``; also scikit-learn's NotFittedError."""


class KdistillWarning(UserWarning):
    """Base class of the warnings kdistill emits."""
