"""kdistill: distill an accurate, heavy ensemble into one small, fast student.

The pieces most users need are re-exported here: the scikit-learn style
:class:`DistilledClassifier`, the experiment runner and its configuration, and
the exceptions.
"""

from kdistill.config import DistillationConfig, ExperimentConfig, MLPConfig
from kdistill.estimator import DistilledClassifier, DistilledRegressor
from kdistill.exceptions import (
    InputError,
    KdistillError,
    KdistillWarning,
    NotFittedError,
)

__version__ = "0.1.0"

__all__ = [
    "DistillationConfig",
    "DistilledClassifier",
    "DistilledRegressor",
    "ExperimentConfig",
    "InputError",
    "KdistillError",
    "KdistillWarning",
    "MLPConfig",
    "NotFittedError",
    "__version__",
]
