"""The map of a waiting list's communes, drawn on the server as an inline SVG from the shipped town-hall coordinates
(``Commune.latitude``/``longitude``): no tiles, no contours (none ship with the project), no remote request, no
style attribute (the CSP). A local equirectangular projection in kilometres around the middle of the list's
communes: every commune of the list's territories is a faint dot, and each commune with figures a circle sized by
its band of people waiting (grey when its figure is suppressed), with a ``<title>`` for screen readers and
tooltips; the biggest are labelled. The same figures are in the table next to the map (its text alternative).
"""

import math
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from waitlist.statistics import BANDS, SUPPRESSION_THRESHOLD, map_band

KM_PER_DEGREE_OF_LATITUDE = 110.574
KM_PER_DEGREE_OF_LONGITUDE_AT_EQUATOR = 111.320
MARGIN_RATIO = 0.1
MIN_HALF_SIDE_KM = 8.0  # a list of one commune still gets a frame of some kilometres
LABELLED = 8  # the biggest communes get their name written next to their circle, where it fits
LABEL_SIZE_DIVISOR = 28  # the labels' size, as a share of the frame's width
LABEL_CHARACTER_WIDTH = 0.6  # a bold sans-serif character is about this wide, in font sizes
# Radii by band, as a share of the frame's width: under 10 (grey), 10-49, 50-99, 100-249, 250 and more.
BAND_RADII = (0.013, 0.02, 0.028, 0.037, 0.048)


@dataclass
class MapCircle:
    x: str
    y: str
    r: str
    band: int
    suppressed: bool
    title: str
    label: str = ""
    label_x: str = ""
    label_y: str = ""
    anchor: str = "start"


@dataclass
class LegendEntry:
    band: int
    label: str
    suppressed: bool = False


@dataclass
class CommunesMap:
    view_box: str
    label_size: str
    dot_radius: str
    stroke: str
    circles: list[MapCircle] = field(default_factory=list)
    dots: list[tuple[str, str]] = field(default_factory=list)
    legend: list[LegendEntry] = field(default_factory=list)

    @property
    def shown(self) -> int:
        return sum(1 for circle in self.circles if not circle.suppressed)


@dataclass
class MapPlace:
    """One commune to draw: its position, its count and whether the count is published."""

    name: str
    latitude: float | None
    longitude: float | None
    count: int
    suppressed: bool = False  # drawn grey, its figure not said
    shown_as: str = ""  # what the table says for it ("< 10", "masqué", "123")


def _fmt(value: float) -> str:
    return f"{value:.2f}"


def _label_spot(name, x, y, radius, size, taken, frame):
    """Where to write a commune's name (x, y of the text's baseline centre line, anchor): right of its circle,
    else left, above or below, the first place that stays in the frame and over no other label; None if none.
    Sizes are estimated (no font metrics on the server): a bold character is about 0.6 font size wide."""
    text_width = len(name) * size * LABEL_CHARACTER_WIDTH
    half = size * 0.6
    gap = radius * 1.3
    candidates = [
        (x + gap, y, "start", (x + gap, y - half, x + gap + text_width, y + half)),
        (x - gap, y, "end", (x - gap - text_width, y - half, x - gap, y + half)),
        (x, y - gap - half, "middle", (x - text_width / 2, y - gap - 2 * half, x + text_width / 2, y - gap)),
        (x, y + gap + half, "middle", (x - text_width / 2, y + gap, x + text_width / 2, y + gap + 2 * half)),
    ]
    left, top, right, bottom = frame
    for label_x, label_y, anchor, box in candidates:
        inside = box[0] >= left and box[1] >= top and box[2] <= right and box[3] <= bottom
        clear = all(box[2] <= o[0] or box[0] >= o[2] or box[3] <= o[1] or box[1] >= o[3] for o in taken)
        if inside and clear:
            taken.append(box)
            return label_x, label_y, anchor
    return None


def band_legend(*, public: bool = True) -> list[LegendEntry]:
    """The bands' legend; on the public report the first band is the grey of suppressed figures."""
    if public:
        labels = [_("moins de %(n)d personnes ou masqué") % {"n": SUPPRESSION_THRESHOLD}]
    else:
        labels = [_("1 à %(n)d personnes") % {"n": SUPPRESSION_THRESHOLD - 1}]
    for index in range(1, len(BANDS)):
        if index + 1 < len(BANDS):
            labels.append(_("%(low)d à %(high)d personnes") % {"low": BANDS[index], "high": BANDS[index + 1] - 1})
        else:
            labels.append(_("%(low)d personnes et plus") % {"low": BANDS[index]})
    return [
        LegendEntry(band=index, label=label, suppressed=public and index == 0) for index, label in enumerate(labels)
    ]


def communes_map(*, places: list[MapPlace], background: list, public: bool = True) -> CommunesMap | None:
    """``places``: the communes with figures; ``background``: every commune of the list (faint dots); ``public``:
    the public report's legend (its first band is the grey of suppressed figures). None when nothing has a
    position."""
    positioned = [(p.latitude, p.longitude) for p in places if p.latitude is not None and p.longitude is not None]
    positioned += [(c.latitude, c.longitude) for c in background if c.latitude is not None and c.longitude is not None]
    if not positioned:
        return None
    latitudes = [lat for lat, _lon in positioned]
    longitudes = [lon for _lat, lon in positioned]
    centre_lat = (min(latitudes) + max(latitudes)) / 2
    centre_lon = (min(longitudes) + max(longitudes)) / 2
    cos_lat = math.cos(math.radians(centre_lat))

    def project(latitude: float, longitude: float) -> tuple[float, float]:
        return (
            (longitude - centre_lon) * KM_PER_DEGREE_OF_LONGITUDE_AT_EQUATOR * cos_lat,
            (centre_lat - latitude) * KM_PER_DEGREE_OF_LATITUDE,
        )

    points = [project(lat, lon) for lat, lon in positioned]
    half_width = max(MIN_HALF_SIDE_KM, max(abs(x) for x, _y in points))
    half_height = max(MIN_HALF_SIDE_KM, max(abs(y) for _x, y in points))
    # Room for the circles and the labels: a margin all round, wider on the sides where names are written.
    width = 2 * half_width * (1 + MARGIN_RATIO) + 2 * half_width * 0.12
    height = 2 * half_height * (1 + MARGIN_RATIO) + 2 * half_width * 0.08
    # A frame not taller than wide on a phone: a tall list gets a wider frame rather than a long scroll.
    width = max(width, height * 0.8)
    left, top = -width / 2, -height / 2
    result = CommunesMap(
        view_box=f"{_fmt(left)} {_fmt(top)} {_fmt(width)} {_fmt(height)}",
        label_size=_fmt(width / LABEL_SIZE_DIVISOR),
        dot_radius=_fmt(width / 300),
        stroke=_fmt(width / 400),
        legend=band_legend(public=public),
    )
    result.dots = [
        (_fmt(x), _fmt(y))
        for x, y in (
            project(c.latitude, c.longitude) for c in background if c.latitude is not None and c.longitude is not None
        )
    ]
    ranked = sorted(
        (p for p in places if p.latitude is not None and p.longitude is not None),
        key=lambda p: (p.suppressed, -p.count, p.name),
    )
    size = width / LABEL_SIZE_DIVISOR
    taken: list[tuple[float, float, float, float]] = []  # the labels' boxes so far: no label over another
    frame = (left, top, left + width, top + height)
    for rank, place in enumerate(ranked):
        x, y = project(place.latitude, place.longitude)
        band = 0 if place.suppressed else map_band(place.count)
        radius = BAND_RADII[band] * width
        if place.suppressed:
            title = _("%(commune)s : %(shown)s") % {"commune": place.name, "shown": place.shown_as}
        else:
            title = ngettext(
                "%(commune)s : %(count)s personne en attente",
                "%(commune)s : %(count)s personnes en attente",
                place.count,
            ) % {"commune": place.name, "count": place.shown_as or place.count}
        circle = MapCircle(x=_fmt(x), y=_fmt(y), r=_fmt(radius), band=band, suppressed=place.suppressed, title=title)
        if not place.suppressed and rank < LABELLED:
            spot = _label_spot(place.name, x, y, radius, size, taken, frame)
            if spot is not None:
                circle.label = place.name
                circle.label_x, circle.label_y, circle.anchor = _fmt(spot[0]), _fmt(spot[1]), spot[2]
        result.circles.append(circle)
    # Grey first, so that the coloured circles are drawn on top.
    result.circles.sort(key=lambda c: (not c.suppressed, -float(c.r)))
    return result
