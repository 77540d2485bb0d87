"""Export: the student as a file that runs without kdistill."""
