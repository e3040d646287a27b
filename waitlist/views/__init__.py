"""The waiting-list pages, one module per part."""
