"""Teachers: the ensembles a student learns from."""

from kdistill.teachers.mlp import train_mlp_ensemble

__all__ = ["train_mlp_ensemble"]
