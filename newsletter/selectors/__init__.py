"""The newsletter's reads: issues for the coordinator and the public archive (``issues``)."""
