"""The newsletter API under /api/v1/newsletter/."""
