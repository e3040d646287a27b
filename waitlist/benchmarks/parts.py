"""The benchmark parts, in the order they print (each appends its ``figures`` function here)."""

PARTS: list = []
