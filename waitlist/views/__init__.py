"""The waiting-list pages, one module per part (``signup``: the public sign-up and its code step)."""
