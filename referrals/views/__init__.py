"""The referral pages, one module per area: ``requests`` (the new request, the lists, one request and its
actions, its letter), ``handling`` (documents, forward, convert, sent outside the portal), ``billing``
(tele-expertise acts, tariffs, closing survey, dashboard), ``coordination`` (the coordinators' overdue list)."""
