"""The lead list to .xlsx, as the user sees it (filters and sort kept), on the sheet kit."""

from django.db.models import QuerySet
from django.http import FileResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanjia.core.sheets import export
from guanjia.core.sheets.cells import Amount
from guanjia.core.sheets.columns import Column, Table
from guanjia.core.xlsx import stamp

from .models import Lead

MAX_ROWS = 100_000

TABLE = Table(
    [
        Column("name", gettext_lazy("Intended project"), "意向项目", width=30),
        Column("investor", gettext_lazy("Investor"), "客商", width=30, get=lambda r: r.investor.name),
        Column("credit_code", gettext_lazy("Credit code"), "统一社会信用代码", width=20, get=lambda r: r.investor.credit_code or ""),
        Column("group", gettext_lazy("Group"), "所属集团", get=lambda r: r.investor.group),
        Column("home_city", gettext_lazy("Home city"), "客商所在地", get=lambda r: r.investor.home_city),
        Column("industry", gettext_lazy("Industry"), "产业", get=lambda r: r.industry.name if r.industry else ""),
        Column("investment_wan", gettext_lazy("Intended investment"), "意向投资额", parser=Amount("万元"), kind="amount"),
        Column("land_mu", gettext_lazy("Land (mu)"), "用地(亩)", kind="amount"),
        Column("power_kva", gettext_lazy("Power (kVA)"), "用电(kVA)", kind="amount"),
        Column("energy_tce", gettext_lazy("Energy (tce a year)"), "能耗(吨标煤/年)", kind="amount"),
        Column("water_tons", gettext_lazy("Water (tonnes a day)"), "用水(吨/日)", kind="amount"),
        Column("workers", gettext_lazy("Workers"), "用工(人)", kind="int"),
        Column("source", gettext_lazy("Source"), "线索来源", get=lambda r: r.get_source_display()),
        Column("region", gettext_lazy("Area"), "所属地区", get=lambda r: r.region.name),
        Column("department", gettext_lazy("Team"), "招商小分队", get=lambda r: r.department.name if r.department else ""),
        Column("owner", gettext_lazy("Owner"), "负责人", get=lambda r: str(r.owner)),
        Column("status", gettext_lazy("Status"), "状态", get=lambda r: r.get_status_display()),
        Column("status_reason", gettext_lazy("Reason"), "原因", width=24),
        Column("lead_on", gettext_lazy("Lead since"), "线索日期", kind="date"),
        Column("last_contact_on", gettext_lazy("Last contact"), "最近洽谈", kind="date"),
        Column("next_follow_up_on", gettext_lazy("Next follow-up"), "下次跟进", kind="date"),
        Column("signed_on", gettext_lazy("Signed on"), "签约日期", kind="date"),
        Column("project", gettext_lazy("Ledger project"), "台账项目", get=lambda r: r.project.name if r.project else ""),
        Column("notes", gettext_lazy("Notes"), "备注", width=30),
    ]
)  # fmt: skip


def export_leads(qs: QuerySet[Lead]) -> FileResponse:
    rows = qs.select_related("investor", "industry", "region", "department", "owner", "project")[
        :MAX_ROWS
    ].iterator(chunk_size=2000)
    return export.download(f"{_('leads')}-{stamp()}.xlsx", _("Leads"), TABLE, rows)
