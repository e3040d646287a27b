"""Ground floor: helpers every app imports (errors, access decorators, identifiers, API glue). Imports no app."""
