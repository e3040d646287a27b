"""The waiting-list API under /api/v1/waitlist/: one module per part (``signups``, ``pledges``,
``coordination``, ``statistics``), the same services as the pages; routes in ``waitlist/api_urls.py``."""
