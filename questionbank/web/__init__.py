"""Server-rendered pages for teachers and reviewers."""
