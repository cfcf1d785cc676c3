"""Reading and validating content files (courses/, quizzes/). Pure functions; no Flask, no DB."""
