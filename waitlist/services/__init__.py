"""Every change to the waiting list, one module per part: ``signup`` (the public sign-up and its code),
``selfservice`` (the patient's link: status, update, withdraw, erase; re-confirmation), ``pledges`` (a GP's
capacity, draws, proposals), ``coordination`` (rules, overrides, duplicates, merges, handovers). What several of
them use is in ``common``."""
