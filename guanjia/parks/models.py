"""Parks (产业园区), their plots (地块) and standard buildings (标准厂房): the land an investor
could build on, with what it has at its boundary.

A park sits in the regions tree (the area it belongs to; a national zone is itself an area of
the tree and its park covers it whole). A plot's or building's status moves 可供 → 意向
(reserved for a lead, until an expiry) → 已出让 / 已租售 (to a ledger project) only through the
steps of `services.PLOT_STEPS` / `services.BUILDING_STEPS` (the step engine).

Records marked `is_demo` are the Jinzhou demo's: shown as such on every page and export.
"""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guanjia.core import files
from guanjia.core.bounds import LAND_MU_MAX, NOTE_MAX, TEXT_MAX, bounded_text, validate_name

from . import geo

# 1 亩 = 10000/15 m² = 666.67 m² (rounded to the centimetre square).
M2_PER_MU = Decimal(2000) / Decimal(3)
CENT = Decimal("0.01")
LAND_M2_MAX = LAND_MU_MAX * 667
# Two areas typed both ways may differ by rounding, not more.
AREA_TOLERANCE = Decimal("0.005")


def mu_to_m2(mu: Decimal) -> Decimal:
    return (Decimal(mu) * M2_PER_MU).quantize(CENT, ROUND_HALF_UP)


def m2_to_mu(m2: Decimal) -> Decimal:
    return (Decimal(m2) / M2_PER_MU).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def _number(verbose_name: Any, maximum: Decimal | int, places: int = 2, **kwargs: Any) -> Any:
    return models.DecimalField(
        verbose_name,
        max_digits=16,
        decimal_places=places,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(maximum))],
        **kwargs,
    )


def _percent(verbose_name: Any) -> Any:
    return _number(verbose_name, 100)


class ParkKind(models.TextChoices):
    NATIONAL_ETDZ = "national_etdz", _("National economic and technological development zone")
    HIGH_TECH = "high_tech", _("High-tech zone")  # 高新区
    PROVINCIAL = "provincial", _("Provincial park")  # 省级园区
    SPECIALISED = "specialised", _("Specialised park")  # 专业园区


class Park(models.Model):
    name = models.CharField(_("name"), max_length=120, validators=[validate_name])
    kind = models.CharField(_("kind"), max_length=20, choices=ParkKind.choices)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("area"), on_delete=models.PROTECT, related_name="parks"
    )
    # A national zone is an area of the regions tree itself: its park is the whole area, so
    # the area's enterprises and projects are the park's.
    whole_area = models.BooleanField(_("covers the whole area"), default=False)
    industries = models.ManyToManyField(
        "industries.Industry", verbose_name=_("leading industries"), blank=True, related_name="+"
    )
    planned_area_km2 = _number(_("planned area (km²)"), 100_000)
    built_area_km2 = _number(_("built area (km²)"), 100_000)
    occupancy_percent = _percent(_("occupancy (%)"))
    # Infrastructure (the substations are their own rows).
    gas_m3_day = _number(_("gas supply (m³ a day)"), 10**9)
    water_t_day = _number(_("water supply (tonnes a day)"), 10**9)
    wastewater_t_day = _number(_("waste-water treatment (tonnes a day)"), 10**9)
    rail_sidings = models.PositiveSmallIntegerField(
        _("rail sidings"), null=True, blank=True, validators=[MaxValueValidator(1000)]
    )
    port_berths = models.PositiveSmallIntegerField(
        _("port berths"), null=True, blank=True, validators=[MaxValueValidator(1000)]
    )
    km_to_port = _number(_("distance to the port (km)"), 10_000, places=1)
    km_to_airport = _number(_("distance to the airport (km)"), 10_000, places=1)
    km_to_highway = _number(_("distance to the highway (km)"), 10_000, places=1)
    incentives = models.ManyToManyField(
        "policies.Policy", verbose_name=_("incentives"), blank=True, related_name="+"
    )
    point = models.JSONField(_("location"), null=True, blank=True, validators=[geo.validate_point])
    outline = models.JSONField(
        _("outline"), null=True, blank=True, validators=[geo.validate_polygon]
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    contact_name = models.CharField(
        _("contact"), max_length=60, blank=True, validators=[validate_name]
    )
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    website = models.URLField(_("website"), blank=True)
    description = bounded_text(_("description"), TEXT_MAX, blank=True)
    # Where the published facts come from (a page, a yearbook): no figure without a source.
    sources = bounded_text(_("sources"), NOTE_MAX, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("park")
        verbose_name_plural = _("parks")
        ordering = ["region__path", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=ParkKind.values), name="park_kind_valid"
            ),
            models.UniqueConstraint(fields=["region", "name"], name="park_name_unique_in_area"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if (
            self.planned_area_km2 is not None
            and self.built_area_km2 is not None
            and self.built_area_km2 > self.planned_area_km2
        ):
            raise ValidationError(
                {"built_area_km2": _("The built area cannot exceed the planned area.")}
            )
        if self.point:
            self.point = geo.clean_point(self.point)
        if self.outline:
            self.outline = geo.clean_polygon(self.outline)

    @property
    def spare_kva(self) -> Decimal | None:
        values = [s.spare_kva for s in self.substations.all() if s.spare_kva is not None]
        return sum(values, Decimal(0)) if values else None


class Substation(models.Model):
    """A substation serving a park, with the capacity still free for new users."""

    park = models.ForeignKey(
        Park, verbose_name=_("park"), on_delete=models.CASCADE, related_name="substations"
    )
    name = models.CharField(_("name"), max_length=100, validators=[validate_name])
    voltage_kv = _number(_("voltage (kV)"), 1000, places=0)
    capacity_kva = _number(_("capacity (kVA)"), 10**9, places=0)
    spare_kva = _number(_("spare capacity (kVA)"), 10**9, places=0)

    class Meta:
        verbose_name = _("substation")
        verbose_name_plural = _("substations")
        ordering = ["park", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if (
            self.capacity_kva is not None
            and self.spare_kva is not None
            and self.spare_kva > self.capacity_kva
        ):
            raise ValidationError({"spare_kva": _("The spare capacity exceeds the capacity.")})


class Status(models.TextChoices):
    AVAILABLE = "available", _("Available")  # 可供
    RESERVED = "reserved", _("Reserved")  # 意向
    TAKEN = "taken", _("Taken")  # 已出让 (a plot) / 已租售 (a building)


class LandUse(models.TextChoices):
    INDUSTRIAL = "industrial", _("Industrial")  # 工业
    WAREHOUSE = "warehouse", _("Warehousing and logistics")  # 仓储
    COMMERCIAL = "commercial", _("Commercial")  # 商业
    RESEARCH = "research", _("Research and development")  # 科研
    MIXED = "mixed", _("Mixed use")  # 混合
    OTHER = "other", _("Other")


class Utility(models.TextChoices):
    """七通一平: what reaches the plot's boundary."""

    ROAD = "road", _("Road")  # 通路
    POWER = "power", _("Power")  # 通电
    WATER = "water", _("Water supply")  # 通上水
    SEWER = "sewer", _("Sewerage")  # 通下水
    GAS = "gas", _("Gas")  # 通气
    TELECOM = "telecom", _("Telecoms")  # 通讯
    HEAT = "heat", _("Heating")  # 通热
    LEVELLED = "levelled", _("Levelled")  # 场地平整


def validate_utilities(value: Any) -> None:
    if not isinstance(value, list) or any(v not in Utility.values for v in value):
        raise ValidationError(_("Unknown utilities: choose among the listed ones."))


class Offer(models.Model):
    """What plots and buildings share: the park, where, the status and its reservation."""

    park = models.ForeignKey(
        Park, verbose_name=_("park"), on_delete=models.PROTECT, related_name="%(class)ss"
    )
    code = models.CharField(_("number"), max_length=40, validators=[validate_name])
    name = models.CharField(_("name"), max_length=120, blank=True, validators=[validate_name])
    point = models.JSONField(_("location"), null=True, blank=True, validators=[geo.validate_point])
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.AVAILABLE
    )
    reserved_for = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("reserved for"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reserved_until = models.DateField(_("reserved until"), null=True, blank=True)
    # Which lapse date the lead's owner has been reminded of (the reminder sweep's mark).
    reminded_for = models.DateField(null=True, blank=True, editable=False)
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    taken_on = models.DateField(_("taken on"), null=True, blank=True)
    notes = bounded_text(pgettext_lazy("land", "notes"), NOTE_MAX, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.code} {self.name}".strip()

    def clean(self) -> None:
        if self.point:
            self.point = geo.clean_point(self.point)


class Plot(Offer):
    outline = models.JSONField(
        _("outline"), null=True, blank=True, validators=[geo.validate_polygon]
    )
    area_mu = _number(_("area (mu)"), LAND_MU_MAX, places=4)
    area_m2 = _number(_("area (m²)"), LAND_M2_MAX)
    land_use = models.CharField(
        _("land use"), max_length=20, choices=LandUse.choices, default=LandUse.INDUSTRIAL
    )
    far_min = _number(_("plot ratio, minimum"), 100)  # 容积率
    far_max = _number(_("plot ratio, maximum"), 100)
    density_max = _percent(_("building density, maximum (%)"))  # 建筑密度
    green_max = _percent(_("green ratio, maximum (%)"))  # 绿地率
    height_limit_m = _number(_("height limit (m)"), 1000, places=1)
    utilities = models.JSONField(
        _("utilities at the boundary"), default=list, blank=True, validators=[validate_utilities]
    )
    power_kva = _number(_("power at the boundary (kVA)"), 10**9, places=0)
    price_wan_per_mu = _number(_("price (10k yuan per mu)"), 100_000, places=2)
    price_is_reference = models.BooleanField(_("reference price"), default=True)

    class Meta:
        verbose_name = _("plot")
        verbose_name_plural = _("plots")
        ordering = ["park", "code"]
        indexes = [
            models.Index(fields=["status", "land_use"], name="plot_status_use"),
            # The land matching's candidates: those of at least the area needed, smallest first.
            models.Index(fields=["area_mu", "id"], name="plot_area"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="plot_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(land_use__in=LandUse.values), name="plot_land_use_valid"
            ),
            models.UniqueConstraint(fields=["park", "code"], name="plot_code_unique_in_park"),
        ]

    def clean(self) -> None:
        super().clean()
        if self.outline:
            self.outline = geo.clean_polygon(self.outline)
        self.area_mu, self.area_m2 = areas(self.area_mu, self.area_m2)
        if self.far_min is not None and self.far_max is not None and self.far_min > self.far_max:
            raise ValidationError({"far_min": _("The minimum plot ratio exceeds the maximum.")})
        self.utilities = [u for u in Utility.values if u in (self.utilities or [])]


def areas(mu: Decimal | None, m2: Decimal | None) -> tuple[Decimal, Decimal]:
    """Both areas from either: one derives the other (1 亩 = 666.67 m²); both given must agree.
    ValidationError when neither is given or they disagree."""
    if mu is None and m2 is None:
        raise ValidationError({"area_mu": _("Give the area in mu or in m².")})
    if mu is not None and m2 is not None:
        expected = mu_to_m2(mu)
        if abs(expected - Decimal(m2)) > max(Decimal(1), expected * AREA_TOLERANCE):
            raise ValidationError(
                {
                    "area_m2": _(
                        "%(mu)s mu is %(m2)s m², not %(given)s m²: give one area, or both alike."
                    )
                    % {"mu": mu, "m2": expected, "given": m2}
                }
            )
        return Decimal(mu), Decimal(m2).quantize(CENT)
    if mu is not None:
        return Decimal(mu), mu_to_m2(mu)
    assert m2 is not None
    return m2_to_mu(m2), Decimal(m2).quantize(CENT)


class Building(Offer):
    plot = models.ForeignKey(
        Plot,
        verbose_name=_("on plot"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="buildings",
    )
    floor_area_m2 = _number(_("floor area (m²)"), 10**7)
    floors = models.PositiveSmallIntegerField(
        _("floors"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(200)],
    )
    floor_load_kn_m2 = _number(_("floor load (kN/m²)"), 1000, places=1)
    eaves_height_m = _number(_("clear height (m)"), 200, places=1)
    crane_t = _number(_("crane (tonnes)"), 1000, places=1)
    for_rent = models.BooleanField(_("for rent"), default=True)
    for_sale = models.BooleanField(_("for sale"), default=False)
    rent_yuan_m2_month = _number(_("rent (yuan per m² a month)"), 10_000)
    sale_yuan_m2 = _number(_("sale price (yuan per m²)"), 10**6)

    class Meta:
        verbose_name = _("standard building")
        verbose_name_plural = _("standard buildings")
        ordering = ["park", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="building_status_valid"
            ),
            models.UniqueConstraint(fields=["park", "code"], name="building_code_unique_in_park"),
        ]

    def clean(self) -> None:
        super().clean()
        if not self.for_rent and not self.for_sale:
            raise ValidationError({"for_rent": _("A building is for rent, for sale or both.")})
        if self.plot_id and self.plot is not None and self.plot.park_id != self.park_id:
            raise ValidationError({"plot": _("The plot is in another park.")})


class PlotEnquiry(models.Model):
    """A lead that came from the public portal's "enquire about this plot": the plot it asked
    about, so the land matching on the lead's page shows that plot first."""

    lead = models.ForeignKey(
        "leads.Lead", verbose_name=_("lead"), on_delete=models.CASCADE, related_name="+"
    )
    plot = models.ForeignKey(
        Plot, verbose_name=_("plot"), on_delete=models.CASCADE, related_name="enquiries"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("plot enquiry")
        verbose_name_plural = _("plot enquiries")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["lead", "plot"], name="plotenquiry_once_per_lead"),
        ]

    def __str__(self) -> str:
        return f"{self.plot} ← {self.lead_id}"


class FileKind(models.TextChoices):
    DOCUMENT = "document", _("Document")
    PHOTO = "photo", _("Photo")


class LandFile(models.Model):
    """A document (planning conditions, a survey) or photo of a plot or building."""

    plot = models.ForeignKey(
        Plot, null=True, blank=True, on_delete=models.CASCADE, related_name="files"
    )
    building = models.ForeignKey(
        Building, null=True, blank=True, on_delete=models.CASCADE, related_name="files"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=FileKind.choices)
    file = models.FileField(_("file"), storage=files.PrivateStorage(), upload_to="parks/")
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("land file")
        verbose_name_plural = _("land files")
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(plot__isnull=False, building__isnull=True)
                | models.Q(plot__isnull=True, building__isnull=False),
                name="landfile_one_owner",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=FileKind.values), name="landfile_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def owner(self) -> Plot | Building:
        owner = self.plot if self.plot_id else self.building
        assert owner is not None
        return owner
