"""What learners see of a course: their personal link, their home page, the module pages and
what they have read; staff preview the modules as their learners will read them."""
