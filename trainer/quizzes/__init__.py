"""Quizzes: attempts, scoring and pre/post statistics."""
