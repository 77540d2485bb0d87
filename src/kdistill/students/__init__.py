"""Students: the small networks an ensemble is distilled into."""

from kdistill.students.mlp import BASELINE, DISTILLED, train_student, train_student_pair

__all__ = ["BASELINE", "DISTILLED", "train_student", "train_student_pair"]
