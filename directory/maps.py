"""The results map of the directory search, drawn offline from the shipped commune coordinates.

No tiles and no remote request (the portal works offline, under a strict Content-Security-Policy): the page draws an
inline SVG whose user units are kilometres around the searched commune's town hall, so the search's circle is a
circle of radius ``radius_km``. Points: the searched commune, the practices of the results shown (numbered as in the
list), and, faint, the communes of the portal's territories that fall in the frame.
"""

import math
from dataclasses import dataclass, field

from directory.models import Commune, Practitioner

KM_PER_DEGREE_OF_LATITUDE = 110.574
KM_PER_DEGREE_OF_LONGITUDE_AT_EQUATOR = 111.320
# The frame holds the circle and a margin; a result's label sits this far right of its point.
MARGIN_RATIO = 0.08


@dataclass
class MapPoint:
    x: str  # kilometres east of the centre, formatted for SVG (never localised: "12.34", not "12,34")
    y: str  # kilometres south of the centre
    label: str = ""  # "1" or "1, 2": the numbers of the results at this practice
    title: str = ""  # what the point is, read as the point's tooltip


@dataclass
class ResultsMap:
    view_box: str
    radius: str
    label_size: str
    point_radius: str
    faint_radius: str
    centre_name: str
    radius_km: float
    results: list[MapPoint] = field(default_factory=list)
    background: list[MapPoint] = field(default_factory=list)

    @property
    def result_count(self) -> int:
        return sum(len(point.label.split(",")) for point in self.results)


def _fmt(value: float) -> str:
    return f"{value:.2f}"


def _projector(centre: Commune):
    cos_lat = math.cos(math.radians(centre.latitude))

    def project(latitude: float, longitude: float) -> tuple[float, float]:
        x = (longitude - centre.longitude) * KM_PER_DEGREE_OF_LONGITUDE_AT_EQUATOR * cos_lat
        y = (centre.latitude - latitude) * KM_PER_DEGREE_OF_LATITUDE
        return x, y

    return project


def _practice_position(practice) -> tuple[float, float] | None:
    if practice.latitude is not None and practice.longitude is not None:
        return practice.latitude, practice.longitude
    commune = practice.commune
    if commune is not None and commune.latitude is not None:
        return commune.latitude, commune.longitude
    return None


def results_map(
    *,
    centre: Commune | None,
    radius_km: float,
    practitioners: list[Practitioner],
    first_number: int,
    background: list[tuple[float, float]],
) -> ResultsMap | None:
    """The map of one page of results around ``centre`` (None without a centre: a search by name only).

    ``practitioners`` carry ``nearest_practice`` (``practitioners_search`` sets it); ``background`` is the
    (latitude, longitude) of the territories' communes (``territory_commune_positions``)."""
    if centre is None or centre.latitude is None or centre.longitude is None:
        return None
    project = _projector(centre)
    half = radius_km * (1 + MARGIN_RATIO)
    by_position: dict[tuple[float, float], MapPoint] = {}
    for number, practitioner in enumerate(practitioners, start=first_number):
        practice = getattr(practitioner, "nearest_practice", None)
        position = _practice_position(practice) if practice is not None else None
        if position is None:
            continue
        x, y = project(*position)
        key = (round(x, 1), round(y, 1))
        name = f"{number}. {practitioner.first_name} {practitioner.last_name} — {practice.name}"
        point = by_position.get(key)
        if point is None:
            by_position[key] = MapPoint(x=_fmt(x), y=_fmt(y), label=str(number), title=name)
        else:
            point.label = f"{point.label}, {number}"
            point.title = f"{point.title}\n{name}"
    faint = []
    for latitude, longitude in background:
        x, y = project(latitude, longitude)
        if abs(x) <= half and abs(y) <= half:
            faint.append(MapPoint(x=_fmt(x), y=_fmt(y)))
    return ResultsMap(
        view_box=f"{_fmt(-half)} {_fmt(-half)} {_fmt(2 * half)} {_fmt(2 * half)}",
        radius=_fmt(radius_km),
        label_size=_fmt(half / 11),
        point_radius=_fmt(half / 45),
        faint_radius=_fmt(half / 130),
        centre_name=centre.name,
        radius_km=radius_km,
        results=list(by_position.values()),
        background=faint,
    )
