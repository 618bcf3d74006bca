"""The region tree: province → city → counties, districts and functional zones."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from guanjia.core.bounds import validate_name


class RegionKind(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    COUNTY = "county", _("County")
    COUNTY_CITY = "county_city", _("County-level city")
    ZONE = "zone", _("Functional zone")


class RegionQuerySet(models.QuerySet["Region"]):
    def active(self) -> "RegionQuerySet":
        return self.filter(abolished_on__isnull=True)

    def within(self, region: "Region") -> "RegionQuerySet":
        """The region and everything under it."""
        return self.filter(path__startswith=region.path)


class Region(models.Model):
    # `code` is our stable key: the GB/T 2260 code where there is one, else a city-made code
    # (zones have none). `gb_code` is blank for zones so statistics never invent one.
    code = models.CharField(_("code"), max_length=20, unique=True)
    gb_code = models.CharField(_("GB/T 2260 code"), max_length=6, blank=True)
    name = models.CharField(_("name"), max_length=60, validators=[validate_name])
    short_name = models.CharField(
        _("short name"), max_length=30, blank=True, validators=[validate_name]
    )
    kind = models.CharField(_("kind"), max_length=20, choices=RegionKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path of codes ("/210000/210700/210781/") makes "this area and below" one
    # indexed prefix query, at province scale too.
    path = models.CharField(_("path"), max_length=255, editable=False, db_index=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    established_on = models.DateField(_("established on"), null=True, blank=True)
    abolished_on = models.DateField(_("abolished on"), null=True, blank=True)
    successor = models.ForeignKey(
        "self",
        verbose_name=_("replaced by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="predecessors",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["path", "sort_order"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        parent_path = self.parent.path if self.parent_id and self.parent else "/"
        self.path = f"{parent_path}{self.code}/"
        super().save(*args, **kwargs)

    @property
    def level(self) -> int:
        return self.path.count("/") - 2

    @property
    def lineage(self) -> list[str]:
        """The paths of this region and every region above it, e.g. ["/21/", "/21/2107/"]."""
        return [self.path[: i + 1] for i, ch in enumerate(self.path) if ch == "/" and i]

    def contains(self, other: "Region | None") -> bool:
        return other is not None and other.path.startswith(self.path)

    def city(self) -> "Region | None":
        node: Region | None = self
        while node is not None and node.kind not in (RegionKind.CITY, RegionKind.PROVINCE):
            node = node.parent
        return node
