"""Every read of the newsletter's data goes through these modules (``subscribers``: the coordinator's list)."""
