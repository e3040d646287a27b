"""The newsletter's pages: the coordinator's issues (``coordination``), the public archive and feed (``public``)."""
