"""What learners see: their personal link, their home page (courses come with the course issue)."""
