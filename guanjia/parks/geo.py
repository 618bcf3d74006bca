"""GeoJSON of parks, plots and buildings: a point (where it is) and, optionally, a polygon
(its outline). Coordinates are [longitude, latitude] in WGS 84, as GeoJSON says (RFC 7946);
a map in China that needs GCJ-02 converts when it draws, never in the stored data."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# More points than any plot's outline needs; a bigger payload is refused, not stored.
MAX_POSITIONS = 2000


def _position(value: Any) -> tuple[float, float]:
    if not isinstance(value, list | tuple) or len(value) not in (2, 3):
        raise ValidationError(_("A position is [longitude, latitude]."))
    try:
        lng, lat = (float(Decimal(str(v))) for v in value[:2])
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError(_("A position is [longitude, latitude], in numbers.")) from None
    if isinstance(value[0], bool) or isinstance(value[1], bool):
        raise ValidationError(_("A position is [longitude, latitude], in numbers."))
    if not -180 <= lng <= 180:
        raise ValidationError(_("The longitude must be between -180 and 180."))
    if not -90 <= lat <= 90:
        raise ValidationError(_("The latitude must be between -90 and 90."))
    return lng, lat


def _geometry(value: Any) -> dict[str, Any]:
    """The geometry of a bare geometry or of a Feature."""
    if not isinstance(value, dict):
        raise ValidationError(_("Not a GeoJSON object."))
    if value.get("type") == "Feature":
        value = value.get("geometry")
        if not isinstance(value, dict):
            raise ValidationError(_("The GeoJSON feature has no geometry."))
    return value


def clean_point(value: Any) -> dict[str, Any]:
    """A GeoJSON Point, normalised to {"type": "Point", "coordinates": [lng, lat]}."""
    geometry = _geometry(value)
    if geometry.get("type") != "Point":
        raise ValidationError(_("The location must be a GeoJSON Point."))
    lng, lat = _position(geometry.get("coordinates"))
    return {"type": "Point", "coordinates": [round(lng, 7), round(lat, 7)]}


def clean_polygon(value: Any) -> dict[str, Any]:
    """A GeoJSON Polygon: rings of at least four positions, each closed (last = first)."""
    geometry = _geometry(value)
    if geometry.get("type") != "Polygon":
        raise ValidationError(_("The outline must be a GeoJSON Polygon."))
    rings = geometry.get("coordinates")
    if not isinstance(rings, list) or not rings:
        raise ValidationError(_("The outline has no ring."))
    cleaned: list[list[list[float]]] = []
    count = 0
    for ring in rings:
        if not isinstance(ring, list) or len(ring) < 4:
            raise ValidationError(_("Each ring of the outline needs at least four positions."))
        positions = [_position(p) for p in ring]
        count += len(positions)
        if count > MAX_POSITIONS:
            raise ValidationError(
                _("The outline has more than %(n)d positions.") % {"n": MAX_POSITIONS}
            )
        if positions[0] != positions[-1]:
            raise ValidationError(_("Each ring of the outline must end where it starts."))
        cleaned.append([[round(lng, 7), round(lat, 7)] for lng, lat in positions])
    return {"type": "Polygon", "coordinates": cleaned}


def point(lng: Any, lat: Any) -> dict[str, Any]:
    return clean_point({"type": "Point", "coordinates": [lng, lat]})


def lng_lat(value: dict[str, Any] | None) -> tuple[float, float] | None:
    if not value:
        return None
    lng, lat = value["coordinates"][:2]
    return float(lng), float(lat)


def validate_point(value: Any) -> None:
    if value:
        clean_point(value)


def validate_polygon(value: Any) -> None:
    if value:
        clean_polygon(value)
