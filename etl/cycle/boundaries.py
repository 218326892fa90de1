"""District boundaries for the public dashboard's map: read a GeoJSON file, say where points fall.

The file is GeoJSON (RFC 7946): a FeatureCollection of Polygon or MultiPolygon features in
WGS84 longitude/latitude, one per district. A feature is matched to a district by the first
of its properties whose value is one of the office's districts, so an ONS download
(`LAD20NM`) works as well as the bundled file (`name`). The file's top-level `attribution`
member, when present, is shown on the map (the Open Government Licence requires it).
Rings are read with the even-odd rule, so their orientation does not matter (the bundled
file's outer rings run counter-clockwise).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

from etl.config import Settings
from etl.errors import ConfigError

#: The six districts of Cambridgeshire and Peterborough (ONS, December 2020, generalised).
BUNDLED_BOUNDARIES = "cpca_districts.geojson"

Ring = list[tuple[float, float]]  # (longitude, latitude) pairs, first == last


@dataclass(frozen=True)
class District:
    """One district's shape: its polygons, each a list of rings (outer, then any holes)."""

    name: str
    polygons: tuple[tuple[Ring, ...], ...]

    @property
    def rings(self) -> list[Ring]:
        return [ring for polygon in self.polygons for ring in polygon]


@dataclass(frozen=True)
class Boundaries:
    """The districts of a boundary file, and the attribution its licence asks for."""

    path: Path
    districts: tuple[District, ...]
    attribution: str

    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) of every district."""
        lons = [lon for d in self.districts for ring in d.rings for lon, _ in ring]
        lats = [lat for d in self.districts for ring in d.rings for _, lat in ring]
        return min(lons), min(lats), max(lons), max(lats)

    def locate(self, lons: Sequence[float], lats: Sequence[float]) -> list[str | None]:
        """For each point, the district it falls in; None when outside every district.

        Vectorised over the points, one pass per ring edge, so ten thousand projects against
        a few thousand edges costs well under a second.
        """
        import numpy as np

        x, y = np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)
        found: list[str | None] = [None] * len(x)
        for district in self.districts:
            inside = np.zeros(len(x), dtype=bool)
            for ring in district.rings:
                xs = np.array([p[0] for p in ring])
                ys = np.array([p[1] for p in ring])
                west, east, south, north = xs.min(), xs.max(), ys.min(), ys.max()
                near = np.flatnonzero((x >= west) & (x <= east) & (y >= south) & (y <= north))
                if not len(near):
                    continue
                px, py = x[near], y[near]
                crossings = np.zeros(len(near), dtype=bool)
                for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
                    if y1 == y2:
                        continue
                    spans = (y1 > py) != (y2 > py)
                    at = x1 + (py - y1) * (x2 - x1) / (y2 - y1)
                    crossings ^= spans & (px < at)
                inside[near] ^= crossings
            for index in np.flatnonzero(inside):
                if found[index] is None:
                    found[index] = district.name
        return found


def boundaries_path(settings: Settings, inputs: Path | str | None = None) -> Path:
    """The boundary file to map: `dashboard_boundaries` (relative to the inputs folder), else the bundled one."""
    if settings.dashboard_boundaries:
        path = Path(settings.dashboard_boundaries).expanduser()
        return path if path.is_absolute() or inputs is None else Path(inputs) / path
    return Path(str(resources.files("etl.cycle") / "data" / BUNDLED_BOUNDARIES))


def load_boundaries(path: Path | str, settings: Settings | None = None) -> Boundaries:
    """Read and check a boundary file; `ConfigError` saying what is wrong and where."""
    settings = settings or Settings()
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: boundary file not found (set dashboard_boundaries in pmo.toml)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the boundary file: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid GeoJSON: not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(data.get("features"), list):
        raise ConfigError(f"{path}: not valid GeoJSON: expected a FeatureCollection with a list of features")
    names = {d.casefold(): d for d in settings.districts}
    districts: list[District] = []
    for number, feature in enumerate(data["features"], start=1):
        where = f"{path}: feature {number}"
        if not isinstance(feature, dict) or not isinstance(feature.get("geometry"), dict):
            raise ConfigError(f"{where}: not valid GeoJSON: a feature needs a geometry")
        properties = feature.get("properties") or {}
        name = next((names[v.strip().casefold()] for v in properties.values()
                     if isinstance(v, str) and v.strip().casefold() in names), None)
        if name is None:
            raise ConfigError(
                f"{where} ({_describe(properties)}) names none of the configured districts "
                f"({', '.join(settings.districts)}): give it a property with the district's name"
            )
        districts.append(District(name, _polygons(feature["geometry"], where)))
    if not districts:
        raise ConfigError(f"{path}: the boundary file has no districts")
    attribution = data.get("attribution")
    return Boundaries(path, tuple(districts), attribution.strip() if isinstance(attribution, str) else "")


def _describe(properties: dict[str, Any]) -> str:
    shown = ", ".join(f"{k}={v!r}" for k, v in list(properties.items())[:3])
    return shown or "no properties"


def _polygons(geometry: dict[str, Any], where: str) -> tuple[tuple[Ring, ...], ...]:
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    if kind == "Polygon":
        coordinates = [coordinates]
    elif kind != "MultiPolygon":
        raise ConfigError(f"{where}: not valid GeoJSON for a district: geometry is {kind!r}, not a Polygon or MultiPolygon")
    try:
        polygons = tuple(tuple(_ring(ring) for ring in polygon) for polygon in coordinates)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: not valid GeoJSON: {exc}") from None
    if not polygons or not all(polygons):
        raise ConfigError(f"{where}: not valid GeoJSON: a polygon without rings")
    return polygons


def _ring(ring: Any) -> Ring:
    points = [(float(p[0]), float(p[1])) for p in ring]
    if len(points) < 4 or points[0] != points[-1]:
        raise ValueError("a ring needs at least four positions, the last the same as the first")
    if not all(-180 <= lon <= 180 and -90 <= lat <= 90 for lon, lat in points):
        raise ValueError("a position is not a longitude/latitude (WGS84) pair")
    return points
