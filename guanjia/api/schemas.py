"""Request and response shapes of the API.

Money is always a string: 万元 (10,000 yuan) with exactly four decimal places, as stored
("6120000.0000" is 612亿元). Strings keep every digit a JSON float would lose.
"""

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from django.conf import settings
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Strict,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from guanjia.core.amounts import WAN_PLACES, AmountError, parse_amount_wan
from guanjia.core.bounds import YEAR_MAX, YEAR_MIN, name_problem, text_limit
from guanjia.enterprises.models import CapitalOrigin, Enterprise, Ownership
from guanjia.events.models import EventKind
from guanjia.projects.ledger import SORTS
from guanjia.projects.models import Level, Project, StageChange, StallKind
from guanjia.projects.stages import Stage
from guanjia.regions.models import RegionKind

MAX_ID = 2**63 - 1  # the database's bigint
MAX_OFFSET = 2**31 - 1
MAX_PAGE = 200
AMOUNT_TEXT_MAX = 60  # "六百一十二亿元", "1,234,567.8900万元": never longer

MONEY_DESCRIPTION = (
    "万元 (10,000 yuan) as a decimal string with exactly four decimal places, "
    'e.g. "6120000.0000" for 612亿元.'
)
AMOUNT_DESCRIPTION = (
    "万元 (10,000 yuan): a number, a decimal string, or a text with its unit such as "
    '"3.5亿元", "612亿元" or "3,500万元" (converted to 万元).'
)


def money(value: Decimal | None) -> str:
    """The one money format of the API: 万元, four places, no exponent."""
    return format((value or Decimal(0)).quantize(WAN_PLACES), "f")


def _no_nul(value: str) -> str:
    # PostgreSQL refuses NUL in text; refuse it here so it is a 422 rather than a 500.
    if "\x00" in value:
        raise PydanticCustomError("nul_character", _("the text contains a NUL character"))
    return value


def _name_chars(value: str) -> str:
    # The model's validate_name, as a 422 before anything is written.
    problem = name_problem(value)
    if problem is not None:
        raise PydanticCustomError("name_character", "{reason}", {"reason": problem})
    return value


def _blank_is_none(value: Any) -> Any:
    # A query string like ?stage=&level= (an untouched form field) means "any".
    return None if value == "" else value


def _amount(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal | float):
        raise PydanticCustomError(
            "amount", _("give the amount as a number or a text such as “3.5亿元”")
        )
    if isinstance(value, Decimal | float) and not Decimal(value).is_finite():
        raise PydanticCustomError("amount", _("the amount is not a finite number"))
    if isinstance(value, str):
        _no_nul(value)
        if len(value) > AMOUNT_TEXT_MAX:
            raise PydanticCustomError(
                "string_too_long", "too long", {"max_length": AMOUNT_TEXT_MAX}
            )
    try:
        return parse_amount_wan(value)
    except AmountError as exc:
        raise PydanticCustomError("amount", "{reason}", {"reason": str(exc)}) from exc
    except (ArithmeticError, InvalidOperation, ValueError) as exc:
        # Decimal cannot even round a number this size: it is far beyond any amount.
        raise PydanticCustomError("amount", _("the amount is too large")) from exc


Text = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_no_nul)]
# Working days of an extension: the model keeps 5 digits, 2 after the point.
WorkingDays = Annotated[
    Decimal,
    Field(gt=0, le=999),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0, "maximum": 999},
                {"type": "string", "maxLength": 10},
            ],
            "description": 'working days, e.g. 5 or "2.5"',
        }
    ),
]
# A name or a title: no control, zero-width or bidirectional-override characters.
Name = Annotated[Text, AfterValidator(_name_chars)]
PlanYear = Annotated[int, Field(ge=YEAR_MIN, le=YEAR_MAX)]
Id = Annotated[int, Strict(), Field(ge=1, le=MAX_ID)]
Money = Annotated[str, Field(description=MONEY_DESCRIPTION, examples=["6120000.0000"])]
Amount = Annotated[
    Decimal,
    BeforeValidator(_amount),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string", "maxLength": AMOUNT_TEXT_MAX}, {"type": "number"}],
            "description": AMOUNT_DESCRIPTION,
        }
    ),
]


def omittable(**constraints: Any) -> Any:
    """An edit's field: it may be left out (unchanged) but, when sent, may not be null."""
    # Pydantic does not validate defaults, so None means "not sent" without allowing null.
    return Field(default=None, **constraints)


class Input(Schema):
    # Unknown fields are errors: a client that sends "stage" in an edit must hear that it
    # was not applied (stages move through /transition), not believe it was.
    model_config = ConfigDict(extra="forbid")


# --- errors ---------------------------------------------------------------------------


class FieldError(Schema):
    field: str | None = Field(description="the input field, or null for the whole request")
    message: str


class ErrorOut(Schema):
    detail: str


class InvalidOut(Schema):
    detail: str
    errors: list[FieldError]


class DuplicateOut(InvalidOut):
    existing_id: int | None = Field(
        None,
        description="the enterprise that already has this credit code; absent when the caller "
        "may not see it (another area's enterprise)",
    )


class RateLimitedOut(Schema):
    """A 429: the client used up its allowance (docs/security.md, rate limits)."""

    detail: str
    retry_after: int = Field(description="seconds until the window resets (also Retry-After)")
    limit: int = Field(description="requests allowed per window (also X-RateLimit-Limit)")


# --- references -----------------------------------------------------------------------


class RegionRef(Schema):
    id: int
    code: str
    name: str


class IndustryRef(Schema):
    id: int
    name: str


class EnterpriseRef(Schema):
    id: int
    name: str
    credit_code: str | None


class UserRef(Schema):
    id: int
    name: str


class ProjectRef(Schema):
    id: int
    name: str


class RegionOut(Schema):
    id: int
    code: str = Field(description="stable key: the GB/T 2260 code, or a city-made code for zones")
    gb_code: str = Field(description="GB/T 2260 code; empty for functional zones")
    name: str
    short_name: str
    kind: RegionKind
    parent_id: int | None


class IndustryOut(Schema):
    id: int
    code: str
    name: str
    group: str
    gbt4754: list[str] = Field(description="GB/T 4754-2017 sections or divisions")


class RegionList(Schema):
    count: int
    items: list[RegionOut]


class IndustryList(Schema):
    count: int
    items: list[IndustryOut]


# --- paging ---------------------------------------------------------------------------


class Page(Schema):
    limit: int = Field(settings.GUANJIA_PAGE_SIZE, ge=1, le=MAX_PAGE)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


# --- enterprises ----------------------------------------------------------------------


class ContactOut(Schema):
    id: int
    name: str
    title: str
    phone: str = Field(description="masked: 138****5678")
    id_number: str = Field(
        description="the resident ID number, masked: 210702********123X (empty if none)"
    )
    is_primary: bool


class EnterpriseItem(Schema):
    id: int
    name: str
    credit_code: str | None
    ownership: Ownership
    capital_origin: CapitalOrigin
    home_city: str
    region: RegionRef | None
    industry: IndustryRef | None


class EnterpriseOut(EnterpriseItem):
    address: str
    description: str
    steward: UserRef | None
    contacts: list[ContactOut]
    created_at: dt.datetime
    updated_at: dt.datetime


class EnterpriseList(Schema):
    count: int
    items: list[EnterpriseItem]


class EnterpriseFilters(Page):
    q: Text = Field("", max_length=100, description="part of the name, or a whole credit code")


# A credit code may arrive with spaces or hyphens between its 18 characters.
CREDIT_CODE_INPUT_MAX = 40


class EnterpriseCreate(Input):
    name: Name = Field(min_length=1, max_length=text_limit(Enterprise, "name"))
    credit_code: Text = Field(
        min_length=1,
        max_length=CREDIT_CODE_INPUT_MAX,
        description="统一社会信用代码, 18 characters",
    )
    ownership: Ownership = Ownership.PRIVATE
    capital_origin: CapitalOrigin = CapitalOrigin.PRIVATE
    home_city: Name = Field("", max_length=text_limit(Enterprise, "home_city"))
    region_id: Id | None = None
    industry_id: Id | None = None
    address: Text = Field("", max_length=text_limit(Enterprise, "address"))
    description: Text = Field("", max_length=text_limit(Enterprise, "description"))


class EnterpriseUpdate(Input):
    # Every field may be left out (unchanged); only region_id and industry_id may be null.
    name: Name = omittable(min_length=1, max_length=text_limit(Enterprise, "name"))
    credit_code: Text = omittable(min_length=1, max_length=CREDIT_CODE_INPUT_MAX)
    ownership: Ownership = omittable()
    capital_origin: CapitalOrigin = omittable()
    home_city: Name = omittable(max_length=text_limit(Enterprise, "home_city"))
    region_id: Id | None = None
    industry_id: Id | None = None
    address: Text = omittable(max_length=text_limit(Enterprise, "address"))
    description: Text = omittable(max_length=text_limit(Enterprise, "description"))


# --- projects -------------------------------------------------------------------------


class ProjectItem(Schema):
    id: int
    name: str
    enterprise: EnterpriseRef
    region: RegionRef
    industry: IndustryRef | None
    level: Level
    stage: Stage
    lead_on: dt.date | None
    negotiating_on: dt.date | None
    signed_on: dt.date | None
    registered_on: dt.date | None
    approvals_on: dt.date | None
    construction_on: dt.date | None
    operation_on: dt.date | None
    full_capacity_on: dt.date | None
    withdrawn_on: dt.date | None
    total_investment_wan: Money
    plan_year: int | None
    planned_investment_year_wan: Money
    completed_investment_year_wan: Money
    funds_in_place_wan: Money
    steward_id: int | None
    stalled: bool | None = Field(
        description="past a stall limit (signed not registered, …) today; null for enterprise "
        "contacts (the bureau's flag)"
    )
    updated_at: dt.datetime


class StageChangeOut(Schema):
    from_stage: Stage | None = Field(description="null for the entry into the ledger")
    to_stage: Stage
    effective_on: dt.date
    is_correction: bool
    evidence: str
    reason: str
    actor: UserRef | None
    recorded_at: dt.datetime


class ProjectOut(ProjectItem):
    steward: UserRef | None
    partners: list[EnterpriseRef]
    leader: UserRef | None
    task_force: str
    construction_content: str
    withdrawn_reason: str
    allowed_moves: list[Stage] = Field(description="forward stages it may move to now")
    stage_history: list[StageChangeOut]
    created_at: dt.datetime


class ProjectList(Schema):
    count: int
    total_investment_wan: Money = Field(description="of every project the filters match")
    items: list[ProjectItem]


def _sort_key(value: str) -> str:
    if value.lstrip("-") not in SORTS:
        raise PydanticCustomError(
            "sort",
            _("sort by one of: %(keys)s, with “-” in front to reverse")
            % {"keys": ", ".join(SORTS)},
        )
    return value


_CODE = r"^[0-9A-Za-z_.-]{1,20}$"


class ProjectFilters(Page):
    region: str = Field(
        "", pattern=r"^$|" + _CODE, description="region id or code, with its subtree"
    )
    industry: str = Field("", pattern=r"^$|" + _CODE, description="industry id or code")
    stage: Annotated[Stage | None, BeforeValidator(_blank_is_none)] = None
    level: Annotated[Level | None, BeforeValidator(_blank_is_none)] = None
    stalled: Annotated[bool | StallKind | None, BeforeValidator(_blank_is_none)] = Field(
        None, description="true for any stall list, or one list's name"
    )
    q: Text = Field("", max_length=100, description="project or enterprise name, or a credit code")
    sort: Annotated[str, AfterValidator(_sort_key)] = Field(
        "-id",
        description="name, investment, stage, signed_on, region, updated or id; "
        "prefix “-” to reverse",
    )

    def ledger_params(self) -> dict[str, str]:
        """The query as `LedgerFilter.from_params` reads it from the web page's GET."""
        stalled = self.stalled
        return {
            "region": self.region,
            "industry": self.industry,
            "stage": self.stage or "",
            "level": self.level or "",
            "stalled": "1" if stalled is True else (stalled or ""),
            "q": self.q,
            "sort": self.sort,
        }


class ProjectCreate(Input):
    name: Name = Field(min_length=1, max_length=text_limit(Project, "name"))
    enterprise_id: Id
    region_id: Id
    industry_id: Id | None = None
    level: Level = Level.GENERAL
    total_investment_wan: Amount = Decimal(0)
    plan_year: PlanYear | None = None
    planned_investment_year_wan: Amount = Decimal(0)
    completed_investment_year_wan: Amount = Decimal(0)
    funds_in_place_wan: Amount = Decimal(0)
    construction_content: Text = Field("", max_length=text_limit(Project, "construction_content"))
    task_force: Name = Field("", max_length=text_limit(Project, "task_force"))
    steward_id: Id | None = Field(None, description="defaults to the caller when a steward")
    leader_id: Id | None = None
    partner_ids: list[Id] = Field(default_factory=list, max_length=100)
    stage: Stage = Stage.LEAD
    stage_on: dt.date | None = Field(None, description="when it reached `stage`; today if omitted")


class ProjectUpdate(Input):
    name: Name = omittable(min_length=1, max_length=text_limit(Project, "name"))
    enterprise_id: Id = omittable()
    region_id: Id = omittable()
    industry_id: Id | None = None
    level: Level = omittable()
    total_investment_wan: Amount = omittable()
    plan_year: PlanYear | None = None
    planned_investment_year_wan: Amount = omittable()
    completed_investment_year_wan: Amount = omittable()
    funds_in_place_wan: Amount = omittable()
    construction_content: Text = omittable(max_length=text_limit(Project, "construction_content"))
    task_force: Name = omittable(max_length=text_limit(Project, "task_force"))
    steward_id: Id | None = None
    leader_id: Id | None = None
    partner_ids: list[Id] = omittable(max_length=100)


class TransitionIn(Input):
    to_stage: Stage
    on: dt.date | None = Field(None, description="when the stage was reached; today if omitted")
    evidence: Text = Field("", max_length=text_limit(StageChange, "evidence"))
    reason: Text = Field(
        "",
        max_length=text_limit(StageChange, "reason"),
        description="needed to withdraw or to go back",
    )


# --- events ---------------------------------------------------------------------------


class EventItem(Schema):
    id: int
    date: dt.date
    name: str
    enterprise_count: int = Field(description="participating enterprises")
    city_count: int = Field(description="distinct home cities of the participants")
    signing_count: int = Field(description="projects signed here for the first time")
    signed_investment_wan: Money = Field(
        description="counted signed amount: a project's first signing in full, a re-signing "
        "or expansion only by its increase. " + MONEY_DESCRIPTION
    )


class SigningOut(Schema):
    id: int
    project: ProjectRef
    government: RegionRef
    signed_on: dt.date
    amount_wan: Money = Field(description="contracted total after this signing")
    counted_amount_wan: Money = Field(description="what this signing adds to the figures")
    is_first: bool


class EventOut(EventItem):
    kind: EventKind
    organiser: str
    location: str
    region: RegionRef
    signings: list[SigningOut] = Field(
        description="the signings of projects the caller may see; the figures cover them all"
    )


class EventList(Schema):
    count: int
    items: list[EventItem]


# --- running an event: guests and the signing list ---------------------------------------


class AttendeeIn(Input):
    name: Name = Field(min_length=1, max_length=60)
    title: Name = Field("", max_length=60)
    phone: Text = Field("", max_length=30)


class AttendeeOut(Schema):
    name: str
    title: str
    phone: str = Field(description="masked: 138****5678")


class GuestCreate(Input):
    enterprise_id: Id
    city: Name = Field("", max_length=40, description="where it comes from; its home city if empty")
    attendees: list[AttendeeIn] = Field(default_factory=list, max_length=50)


class GuestOut(Schema):
    id: int
    enterprise: EnterpriseRef
    city: str
    status: str = Field(description="invited, accepted, declined or checked_in")
    walk_in: bool
    checked_in_at: dt.datetime | None
    attendees: list[AttendeeOut]


class GuestList(Schema):
    count: int
    invited: int
    accepted: int
    checked_in: int
    cities: int
    items: list[GuestOut]


class SigningRowCreate(Input):
    project_id: Id
    government_id: Id
    enterprise_ids: list[Id] = Field(
        default_factory=list, max_length=20, description="the project's enterprise if empty"
    )
    amount_wan: Amount
    position: int | None = Field(None, ge=1, le=999)


class SigningRowOut(Schema):
    id: int
    position: int
    project: ProjectRef
    government: RegionRef
    enterprises: list[EnterpriseRef]
    amount_wan: Money
    status: str = Field(description="planned (拟签), signed (已签) or not_signed (未签)")
    signing_id: int | None = Field(description="the recorded signing, once confirmed")


class SigningRowList(Schema):
    count: int
    signed: int
    items: list[SigningRowOut]
