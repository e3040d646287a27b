"""Input of the waiting-list pages, one module per part: parsing only, the services decide."""
