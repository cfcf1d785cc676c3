"""A course as a learner goes through it: progress over modules and quizzes, and loading course
content into the database. It sits above both learning and quizzes, which it combines."""
