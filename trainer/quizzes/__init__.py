"""Quizzes: attempts, saving and grading answers, results, and the pre/post statistics."""
