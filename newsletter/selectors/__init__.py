"""Every read of the newsletter's data goes through these modules: ``subscribers`` (the coordinator's list) and
``issues`` (issues for the coordinator and the public archive)."""
