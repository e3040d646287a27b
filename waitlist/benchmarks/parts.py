"""The benchmark parts, in the order they print (each appends its ``figures`` function here)."""

PARTS: list = []


def _coordination(scale):
    from waitlist.benchmarks.coordination import figures

    return figures(scale)


PARTS.append(_coordination)
