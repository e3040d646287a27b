"""The newsletter's writes: issues and their items (``issues``), images (``images``)."""
