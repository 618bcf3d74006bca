"""Reading a news report or bulletin into proposed records, every figure traced to its sentence.

`extract(text, published, regions)` is pure: it needs no database. It returns the JSON the CLI
prints (documented in docs/api.md): the document's year, events, signings, milestones,
service statistics, targets, running totals and reported problems. Each field is
{"value", "approximate", "text", "span", "evidence": {"text", "start", "end"}}.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .numbers import (
    DateFigure,
    Figure,
    date_value,
    document_year,
    find_counts,
    find_dates,
    find_loose_dates,
    find_money,
    find_percents,
    plain,
)

EVENT_WORDS = (
    "对接会议",
    "对接会",
    "推介会",
    "洽谈会",
    "恳谈会",
    "招商会",
    "博览会",
    "交易会",
    "论坛",
    "峰会",
    "签约仪式",
    "签约活动",
    "签约会",
    "大会",
)
_EVENT_WORD = "(?:" + "|".join(EVENT_WORDS) + ")"
# “X对接会于4月10日在锦州举行”: the name before the verb
_EVENT_RE = re.compile(
    r"(?P<name>[^,，。;；:：\s]{2,60}?" + _EVENT_WORD + r")"
    r"(?:(?:于|(?=[\d〇一二三四五六七八九十]{1,4}[年月日]))(?P<when>[^,，。;；在]{2,20}?))?"
    r"(?:在(?P<place>[^,，。;；]{2,30}?))?(?:隆重|成功|盛大|圆满)?"
    r"(?:举行|召开|举办|开幕|闭幕|落幕|拉开帷幕|启幕)"
)
# “锦州市在深圳举办招商推介会”: the host, the place, then the name
_EVENT_AFTER_RE = re.compile(
    r"(?P<host>[^,，。;；:：\s]{0,30}?)(?:(?:在|赴)(?P<place>[^,，。;；]{2,30}?))?"
    r"(?:联合|成功|隆重)?(?:举办|召开|举行)(?:了|的)?"
    r"(?P<name>[^,，。;；:：\s]{2,60}?" + _EVENT_WORD + r")(?:上|现场)?"
    r"(?=[,，。;；!！?？\s]|$)"
)
# a paragraph that goes on about the event: 会上，… / 活动现场，… / 来自…
# (after a lead-in: 据统计，推介会共促成…)
_EVENT_FOLLOW_RE = re.compile(
    r"^(?:(?:据统计|据了解|据介绍|据悉|记者了解到|记者获悉)[,，])?"
    r"(?:[\u4e00-\u9fa5]{0,6}(?:会上|现场|期间|仪式上)|来自|会上|活动中|签约环节"
    r"|(?:本次|此次|本届|这次)[\u4e00-\u9fa5]{0,8}(?:会|论坛|峰会|仪式|活动)"
    r"|[\u4e00-\u9fa5]{0,8}?(?:推介会|对接会|洽谈会|恳谈会|招商会|大会|论坛|峰会|签约仪式|签约活动)"
    r"(?:上|中|期间)?(?:共|现场|累计|共计)?(?:促成|达成|签约|完成|吸引|邀请))"
)
# “由…主办的”, “以…为主题的”: who held it or its theme, not its name
_ORGANISER_RE = re.compile(r"^.*(?:主办|承办|举办|召开|组织|指导|为主题|为题)的")
MONEY_LABELS = (
    "总投资",
    "投资额",
    "合计投资",
    "协议投资",
    "计划投资",
    "投资总额",
    "签约总额",
    "签约金额",
    "签约额",
    "总额",
)
MILESTONE_KINDS = [  # the first that matches wins
    ("全容量并网", "full_capacity"),
    ("达产", "full_capacity"),
    ("并网", "grid_connected"),
    ("投产", "in_operation"),
    ("开工", "started"),
]
_ENTERPRISE_RE = re.compile(
    r"[\u4e00-\u9fa5A-Za-z0-9（）()]{2,40}?(?:有限责任公司|股份有限公司|有限公司|集团|公司)"
)
_UNNAMED = ("一家", "某", "多家", "一批")
# “国家电投集团北镇新能源有限公司”, “XX集团有限公司”: a group's company goes on to its 有限公司
_GROUP_COMPANY_RE = re.compile(
    r"[\u4e00-\u9fa5A-Za-z（）()]{0,20}?(?:有限责任公司|股份有限公司|有限公司)"
)


def _company_end(text: str, m: re.Match[str]) -> int:
    """The end of the enterprise `m` found: past 集团 when the name goes on to a 有限公司
    (with no project words on the way)."""
    if not m.group(0).endswith("集团"):
        return m.end()
    more = _GROUP_COMPANY_RE.match(text, m.end())
    if more and not re.search(r"年产|项目|\d", more.group(0)):
        return more.end()
    return m.end()


@dataclass
class Sentence:
    text: str
    start: int
    end: int
    paragraph: int
    section: str = ""

    def evidence(self) -> dict[str, Any]:
        return {"text": self.text, "start": self.start, "end": self.end}


@dataclass
class Region:
    """An entry of the gazetteer: a name as written → the region it means."""

    alias: str
    name: str
    code: str
    is_city: bool = False
    # a name many cities use (高新区, 滨海新区): only this city's when the text names it too
    generic: bool = False


@dataclass
class Extraction:
    text: str
    year: int | None
    published: dt.date | None
    year_source: str
    regions: list[Region]
    claimed: set[tuple[int, int]] = field(default_factory=set)
    # the text names a region of the gazetteer by a name of its own (锦州, 凌海市, 锦州高新区),
    # or a zone's own account or bulletin heads it (“松山新区发布”): not only by a name every
    # city has (“天津滨海新区”: Tianjin's, not Jinzhou's)
    anchored: bool = False

    def __post_init__(self) -> None:
        heading = "\n".join(self.text.splitlines()[:3])
        self.anchored = any(r.alias in (heading if r.generic else self.text) for r in self.regions)

    def _foreign(self, text: str, pos: int) -> bool:
        """A generic name right after another place's name (“天津滨海新区”, “大连高新区”),
        not after this city's (“锦州高新区”) or a word such as 在, 的, 与."""
        before = text[max(0, pos - 1) : pos]
        if not before or not re.match(r"[\u4e00-\u9fa5]", before) or before in _BEFORE_A_PLACE:
            return False
        return not any(not r.generic and text[:pos].endswith(r.alias) for r in self.regions)

    # -- building fields ---------------------------------------------------------------------

    def field(
        self, sentence: Sentence, value: Any, start: int, end: int, approximate: bool = False
    ) -> dict[str, Any]:
        """A value found at sentence-relative [start, end)."""
        self.claimed.add((sentence.start + start, sentence.start + end))
        return {
            "value": value,
            "approximate": approximate,
            "text": sentence.text[start:end],
            "span": [sentence.start + start, sentence.start + end],
            "evidence": sentence.evidence(),
        }

    def figure(self, sentence: Sentence, fig: Figure, value: Any = None) -> dict[str, Any]:
        return self.field(
            sentence, fig.value if value is None else value, fig.start, fig.end, fig.approximate
        )

    def money(self, sentence: Sentence, fig: Figure) -> dict[str, Any]:
        return self.figure(sentence, fig, plain(Decimal(fig.value)))

    def date(self, sentence: Sentence, fig: DateFigure) -> dict[str, Any]:
        return self.figure(sentence, fig, date_value(fig))

    def region_in(self, text: str) -> tuple[Region, int, int] | None:
        """The most specific region named in `text` (a county before the city)."""
        best: tuple[Region, int, int] | None = None
        for region in self.regions:
            if region.generic and not self.anchored:
                continue
            pos = text.find(region.alias)
            if pos < 0 or region.generic and self._foreign(text, pos):
                continue
            candidate = (region, pos, pos + len(region.alias))
            if best is None:
                best = candidate
                continue
            if (
                best[0].is_city
                and not region.is_city
                or best[0].is_city == region.is_city
                and (pos < best[1] or (pos == best[1] and len(region.alias) > best[2] - best[1]))
            ):
                best = candidate
        return best

    def region_field(self, sentence: Sentence, text_start: int, text: str) -> dict[str, Any] | None:
        found = self.region_in(text)
        if found is None:
            return None
        region, s, e = found
        result = self.field(sentence, region.name, text_start + s, text_start + e)
        result["code"] = region.code
        return result


# words a place name follows without being part of another place's name (在滨海新区, 位于高新区)
_BEFORE_A_PLACE = set("在于的与和及是到赴至为了由讯向从对据经")


def normalise(text: str) -> str:
    """Line endings and a byte-order mark do not make a different document."""
    return text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").strip() + "\n"


def split_sentences(text: str) -> list[Sentence]:
    """Sentences (ending at 。！？；; or the end of a line), with offsets into `text`."""
    sentences: list[Sentence] = []
    paragraph, section, offset = 0, "", 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        if not body.strip():
            paragraph += 1
            offset += len(line)
            continue
        if re.match(r"^\s*[一二三四五六七八九十]+、", body):
            section = body.strip()
        for m in re.finditer(r"[^。！？；;!?]+[。！？；;!?]?", body):
            chunk = m.group(0)
            lead = len(chunk) - len(chunk.lstrip())
            chunk = chunk.strip()
            if chunk:
                start = offset + m.start() + lead
                sentences.append(Sentence(chunk, start, start + len(chunk), paragraph, section))
        offset += len(line)
        if re.match(r"^\s*\d+[.、．]", body) or section == body.strip():
            paragraph += 1  # list items and headings stand alone
    return sentences


def _first(figs: list[Figure], after: int = 0, unit: str | None = None) -> Figure | None:
    for fig in figs:
        if fig.start >= after and (unit is None or fig.unit == unit):
            return fig
    return None


def _money_after_label(sentence: Sentence, start: int = 0) -> Figure | None:
    money = find_money(sentence.text)
    for label in MONEY_LABELS:
        pos = sentence.text.find(label, start)
        if pos >= 0:
            fig = _first(money, pos)
            if fig is not None:
                return fig
    return _first(money, start)


def _after_unopened_bracket(name: str) -> int:
    """Where a name starts after a bracket closed but not opened in it: a byline (“（记者
    李明）2025中国（锦州）…论坛”), a column tag (“【招商动态】”)."""
    depth, start = 0, 0
    for i, char in enumerate(name):
        if char in "（(【[":
            depth += 1
        elif char in "）)】]":
            if depth:
                depth -= 1
            else:
                start = i + 1
    return start


def _event_kind(name: str) -> str:
    if "论坛" in name or "峰会" in name:
        return "forum"
    if "推介" in name:
        return "promotion"
    if "对接" in name or "洽谈" in name or "招商" in name:
        return "matchmaking"
    return "other"


def _enterprise_field(
    ex: Extraction, sentence: Sentence, text: str, start: int
) -> dict[str, Any] | None:
    """A named enterprise in `text` (sentence-relative `start`); unnamed ones (一家…企业) give None."""
    if text.startswith(_UNNAMED):
        return None
    m = _ENTERPRISE_RE.search(text)
    if not m:
        return None
    end = _company_end(text, m)
    return ex.field(sentence, text[m.start() : end], start + m.start(), start + end)


def _event_date(ex: Extraction, text: str) -> DateFigure | None:
    """The day an event was held, from the text before its name: the last date written there
    (a day without a month is in the month of publication), but not a wire's dateline
    (“3月22日电”), nor the end of a span (“11日至12日”: the first day)."""
    assert ex.year is not None
    found = [
        d
        for d in [*find_dates(text, ex.year), *find_loose_dates(text, ex.published)]
        if d.precision == "day"
        and text[d.end : d.end + 1] != "电"
        and not re.search(r"(?:至|到|—|-|－)$", text[: d.start])
    ]
    found.sort(key=lambda d: d.start)
    return found[-1] if found else None


def _event_region(
    ex: Extraction, sentence: Sentence, parts: list[tuple[int, str]]
) -> dict[str, Any] | None:
    """The most specific region among the place, the host and the name (in that order)."""
    best: tuple[int, str] | None = None
    best_region: Region | None = None
    for start, text in parts:
        found = ex.region_in(text)
        if found is None:
            continue
        if best_region is None or (best_region.is_city and not found[0].is_city):
            best, best_region = (start, text), found[0]
    if best is None:
        return None
    return ex.region_field(sentence, best[0], best[1])


def _events(ex: Extraction, sentences: list[Sentence]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    names: list[str] = []
    for i, sentence in enumerate(sentences):
        if ex.year is None:
            break
        text = sentence.text
        m = _EVENT_RE.search(text)
        after = None if m else _EVENT_AFTER_RE.search(text)
        if m is None and after is None:
            continue
        match = m or after
        assert match is not None
        # (“锦州市昨日在杭州举办…”: the host's clause may carry the day)
        date = _event_date(ex, text[: match.start("name")])
        if m and m.group("when"):
            when = _event_date(ex, m.group("when"))
            if when is not None:
                when.start, when.end = when.start + m.start("when"), when.end + m.start("when")
                date = when
        if date is None and _RELATIVE_DAY_RE.search(text[: match.start("name")]):
            # “5月18日，…抵达深圳。当天下午，锦州市在深圳举办…”: the day written before
            relative = _relative_day(ex, sentences, i)
            if relative is not None:
                date = relative[0]
        if date is None and len(sentences) == 1 and ex.published is not None:
            date = DateFigure(ex.published, 0, 0, "", True, precision="day")
        if date is None:
            continue
        name_start, name_end = match.start("name"), match.end("name")
        if m and date.end <= name_end:
            # the name follows the date and its comma, if they share the clause
            prefix = text[date.end : name_end]
            lead = len(prefix) - len(prefix.lstrip(",，、 "))
            name_start = max(name_start, date.end + lead)
        organiser = _ORGANISER_RE.match(text[name_start:name_end])
        if organiser:
            name_start += organiser.end()
        name_start += _after_unopened_bracket(text[name_start:name_end])
        name = text[name_start:name_end]
        if any(name in seen or seen in name for seen in names):
            continue  # the headline and the report name the same event
        names.append(name)
        event: dict[str, Any] = {
            "date": ex.date(sentence, date),  # (the publication day: an empty span)
            "name": ex.field(sentence, name, name_start, name_end),
            "kind": _event_kind(match.group("name")),
        }
        parts: list[tuple[int, str]] = []
        if match.group("place"):
            event["place"] = ex.field(
                sentence, match.group("place"), match.start("place"), match.end("place")
            )
            parts.append((match.start("place"), match.group("place")))
        if after is not None and after.group("host"):
            parts.append((after.start("host"), after.group("host")))
        parts.append((name_start, name))
        region = _event_region(ex, sentence, parts)
        if region is None:
            # “锦州市党政代表团赴广东考察，并于17日在广州举办…”: the host earlier in the sentence
            region = ex.region_field(sentence, 0, text[:name_start])
        if region:
            event["region"] = region
        for follow in _event_sentences(sentences, i):
            if follow is not sentence and re.search(r"今年以来|累计|截至|同比", follow.text):
                continue
            _event_figures(ex, follow, event)
            if (
                "signing_count" in event
                and "investment_yuan" not in event
                and follow is not sentence
                and not _SIGNING_RE.search(follow.text)
                and any(label in follow.text for label in MONEY_LABELS)
            ):
                money = _money_after_label(follow)
                if money is not None:
                    event["investment_yuan"] = ex.money(follow, money)
        events.append(event)
    return events


def _event_sentences(sentences: list[Sentence], i: int) -> list[Sentence]:
    """The sentence naming an event, the rest of its paragraph, and the next paragraphs (up
    to three) that go on about it (会上，… / 活动现场，… / 来自…)."""
    first = sentences[i]
    out = [first]
    paragraphs: dict[int, list[Sentence]] = {}
    for s in sentences[i + 1 :]:
        if s.paragraph == first.paragraph:
            if _EVENT_RE.search(s.text) or _EVENT_AFTER_RE.search(s.text):
                break  # “…。11月12日，锦州市又在成都举办…洽谈会”: the next event's
            out.append(s)
        elif s.paragraph <= first.paragraph + 3:
            paragraphs.setdefault(s.paragraph, []).append(s)
    for _number, group in sorted(paragraphs.items()):
        if _EVENT_RE.search(group[0].text) or _EVENT_AFTER_RE.search(group[0].text):
            break
        if _EVENT_FOLLOW_RE.match(group[0].text):
            out.extend(group)
    return out


_PLACES_COUNTED = ("城市", "省市", "地市", "国家和地区", "省区市", "省（区", "省份", "省、")


def _event_figures(ex: Extraction, sentence: Sentence, event: dict[str, Any]) -> None:
    text = sentence.text
    counts = find_counts(text)
    for fig in counts:
        after = text[fig.end : fig.end + 4]
        before = text[max(0, fig.start - 6) : fig.start]
        # the clause the count closes: “集中签约亿元以上项目15个” (not “其中亿元以上项目12个”)
        clause = re.split(r"[,，;；:：]", text[: fig.start])[-1].strip()
        if fig.unit == "个" and (
            after.startswith(_PLACES_COUNTED)
            or after.startswith("市")  # “来自省内14个市的…”, not “…个市场主体”
            and not after.startswith("市场")
        ):
            if "city_count" not in event:
                event["city_count"] = ex.figure(sentence, fig)
        elif fig.unit == "家" and "enterprise_count" not in event:
            event["enterprise_count"] = ex.figure(sentence, fig)
        elif (
            fig.unit in ("个", "项")
            and (
                "签约" in before
                or after.startswith("项目")
                or "签约" in clause
                and not clause.startswith("其中")
            )
            and "签约" in text
        ) and "signing_count" not in event:
            event["signing_count"] = ex.figure(sentence, fig)
    if "signing_count" in event and "investment_yuan" not in event:
        money = _money_after_label(sentence)
        if money is not None:
            event["investment_yuan"] = ex.money(sentence, money)


_SIGNING_RE = re.compile(
    r"(?:(?:与|和|同)(?P<enterprise>[^,，。;；]{2,40}?))?(?P<verb>签约|签订了?|签署了?)"
    r"(?P<project>[^,，。;；]{2,60}?项目)"
    r"(?P<count>\d+|[一二三四五六七八九十]+)?(?:个)?"
    r"(?P<deal>(?:投资|合作|框架|入驻|招商)*(?:协议书?|合同))?"
)
# “与北京中科光电有限公司就光电子产业园项目签约”
_SIGNING_ON_RE = re.compile(
    r"(?:与|和|同)(?P<enterprise>[^,，。;；]{2,40}?)就(?P<project>[^,，。;；]{2,60}?项目)"
    r"(?:进行)?(?:成功|正式|现场)?(?:签约|签订(?:投资|合作)?协议|签署(?:投资|合作)?协议)"
)
# “北京中科光电有限公司光电子产业园项目签约落户锦州高新区”
_SIGNING_SETTLES_RE = re.compile(
    r"(?P<enterprise>" + _ENTERPRISE_RE.pattern + r")(?P<project>[^,，。;；]{0,40}?项目)"
    r"(?:成功|正式|现场)?签约落户(?P<where>[^,，。;；]{2,20})"
)


@dataclass
class _Deal:
    """One signing found in a sentence: the spans of what it names."""

    start: int
    end: int
    enterprise: tuple[int, int] | None
    project: tuple[int, int]
    count: tuple[int, int] | None = None
    where: tuple[int, int] | None = None  # where it settles (签约落户…), when said after it
    verb: str = "签约"
    deal: str = ""


def _span(m: re.Match[str], group: str) -> tuple[int, int] | None:
    return (m.start(group), m.end(group)) if m.group(group) else None


def _deals(text: str, pos: int) -> _Deal | None:
    """The first signing at or after `pos`, in any of the ways a text words one."""
    found: list[_Deal] = []
    m = _SIGNING_RE.search(text, pos)
    if m:
        found.append(
            _Deal(
                m.start(),
                m.end(),
                _span(m, "enterprise"),
                (m.start("project"), m.end("project")),
                _span(m, "count"),
                verb=m.group("verb"),
                deal=m.group("deal") or "",
            )
        )
    for regex in (_SIGNING_ON_RE, _SIGNING_SETTLES_RE):
        o = regex.search(text, pos)
        if o:
            where = _span(o, "where") if "where" in regex.groupindex else None
            found.append(
                _Deal(
                    o.start(),
                    o.end(),
                    _span(o, "enterprise"),
                    (o.start("project"), o.end("project")),
                    where=where,
                )
            )
    return min(found, key=lambda d: d.start) if found else None


def _is_claimed(ex: Extraction, position: int) -> bool:
    return any(s <= position < e for s, e in ex.claimed)


_AGGREGATE_RE = re.compile(r"今年|以来|累计|季度|上半年|全年|\d+至\d+月|截至")


def _signings(
    ex: Extraction, sentences: list[Sentence], claimed_events: bool
) -> list[dict[str, Any]]:
    signings: list[dict[str, Any]] = []
    previous: tuple[Sentence, dict[str, Any]] | None = None
    local = ex.region_in(ex.text) is not None  # else a text about another city: no regions
    for sentence in sentences:
        text = sentence.text
        pos = 0
        while True:
            d = _deals(text, pos)
            if d is None:
                break
            pos = d.start + 1
            project = text[d.project[0] : d.project[1]]
            enterprise = text[d.enterprise[0] : d.enterprise[1]] if d.enterprise else ""
            if re.match(r"^[\d一二三四五六七八九十]+个", project) or re.match(
                r"^(?:[\d.]+)?[万亿]元以上", project
            ):
                continue  # “签约23个项目”, “签约亿元以上项目53个”: counts, not one signing
            if project.startswith("的"):
                continue  # “与中国石油签约的…项目建成投产”: which project, not a signing
            if d.verb != "签约" and not d.deal:
                continue  # 签订/签署 a project's 协议 or 合同 is a signing; anything else is not
            head = text[: d.start]
            if re.search(r"(?:共|共计|合计|总计|累计)(?:现场|集中)?$", text[: d.project[0] - 2]):
                continue  # “共签约新材料项目14个”: the event's count, not one signing
            if _AGGREGATE_RE.search(head):
                continue  # a running figure (今年以来…签约…): a total, not a signing
            if d.count and _is_claimed(ex, sentence.start + d.count[0]):
                continue  # “锦州市与央企现场签约合作项目13个”: the event's count, no signing
            if d.where:
                region = ex.region_field(sentence, d.where[0], text[d.where[0] : d.where[1]])
            else:
                region = ex.region_field(sentence, 0, head)
            if d.enterprise and not _ENTERPRISE_RE.search(enterprise):
                # “辽宁海宏化工有限公司与凌海市签约…”: the company first, the area after 与
                named = ex.region_in(enterprise)
                company = _ENTERPRISE_RE.search(head)
                if named and company and named[1] == 0 and named[2] == len(enterprise):
                    region = ex.region_field(sentence, d.enterprise[0], enterprise)
                    d.enterprise = (company.start(), _company_end(head, company))
                    enterprise = text[d.enterprise[0] : d.enterprise[1]]
            if region is None and d.enterprise and previous is not None:
                # “…；与辽宁云帆…签约…项目”: the same signing area as the clause before
                last_sentence, last_region = previous
                if (
                    last_sentence.paragraph == sentence.paragraph
                    and not head.strip(",，;； ")
                    or head.strip(",，;； ") == ""
                ):
                    region = last_region
            if region is None and (local or not d.enterprise):
                continue  # “太和区与…”: the 和 of a place name is no “and”; look further
            signing: dict[str, Any] = {"region": region} if region else {}
            if d.enterprise:
                signing["enterprise_text"] = enterprise
                ent = _enterprise_field(ex, sentence, enterprise, d.enterprise[0])
                if ent:
                    signing["enterprise"] = ent
            signing["project"] = ex.field(sentence, project, d.project[0], d.project[1])
            if d.count:
                counts = [f for f in find_counts(text) if f.start == d.count[0]]
                if counts:
                    signing["project_count"] = ex.figure(sentence, counts[0])
            fig = _money_after_label(sentence, d.project[1])
            if fig is not None:
                signing["investment_yuan"] = ex.money(sentence, fig)
            if claimed_events:
                signing["event"] = 0
            signings.append(signing)
            if region:
                previous = (sentence, region)
            pos = d.end
    return signings


_MILESTONE_VERB_RE = re.compile(
    r"全容量并网|首批机组并网|竣工投产|试生产|投入生产|并网|投产|达产|竣工|开工|动工"
)
_MILESTONE_KIND = {
    "全容量并网": "full_capacity",
    "达产": "full_capacity",
    "首批机组并网": "grid_connected",
    "并网": "grid_connected",
    "竣工投产": "in_operation",
    "试生产": "in_operation",
    "投入生产": "in_operation",
    "投产": "in_operation",
    "竣工": "completed",
    "开工": "started",
    "动工": "started",
}
_PLAN_WORDS = ("计划", "预计", "力争", "将", "明年", "争取", "确保", "拟", "推动", "即将")
_LIST_MARKER_RE = re.compile(
    r"^\s*(?:\d+[.、．]|[（(][一二三四五六七八九十\d]+[）)]|【[^】]{0,8}】|[一二三四五六七八九十]+、)\s*"
)
_CLAUSE_LEAD_RE = re.compile(  # (used with match() at a position: no ^)
    r"(?:本报讯\s*)?(?:\d{1,2}月\d{1,2}[日号](?:上午|下午|晚)?[,，]?\s*)?(?:位于[^,，。的]{2,30}的)?"
    r"(?:(?:计划)?总投资[^,，。的]{1,12}?元的)?"  # “总投资12亿元的…项目”: its investment
)


_VERB_THEN_PROJECT_RE = re.compile(
    r"的(?P<project>" + _ENTERPRISE_RE.pattern + r"[^,，。:：;；]{0,40}?项目)"
)


_NAMED_PROJECT_RE = re.compile(_ENTERPRISE_RE.pattern + r"[^,，。:：;；]{0,40}?项目")


def _project_named_before(sentences: list[Sentence], i: int) -> tuple[Sentence, int, int] | None:
    """The project “该项目” points back to: the last one named with its company in the two
    sentences before, in the same paragraph."""
    for before in reversed(sentences[max(0, i - 2) : i]):
        if before.paragraph != sentences[i].paragraph:
            break
        found = list(_NAMED_PROJECT_RE.finditer(before.text))
        if found:
            m = found[-1]
            lead = _CLAUSE_LEAD_RE.match(m.group(0))
            start = m.start() + (lead.end() if lead else 0)
            return before, start, m.end()
    return None


def _milestone_verb(text: str) -> re.Match[str] | None:
    """The first milestone verb that reports a fact: not a plan (计划明年投产), a count
    (开工项目57个, 开工率), a condition (达产后) or a batch (集中开工)."""
    for m in _MILESTONE_VERB_RE.finditer(text):
        clause = re.split(r"[,，;；]", text[: m.start()])[-1]
        after = text[m.end() : m.end() + 1]
        if after == "的" and _VERB_THEN_PROJECT_RE.match(text, m.end()):
            return m  # “主会场开工的辽宁锦港新材料有限公司…项目”
        if (
            after in ("率", "后", "项", "的")
            or text[m.end() : m.end() + 2] in ("项目", "时间")
            or re.match(r"[\d一二三四五六七八九十百]+(?:余|多)?[个项家]", text[m.end() :])
            or text[max(0, m.start() - 2) : m.start()] in ("集中", "推迟", "延期")
            or any(w in clause for w in _PLAN_WORDS)
        ):
            continue
        return m
    return None


def _milestone_project(text: str, verb: re.Match[str]) -> tuple[int, int] | None:
    """Where the project is named: in the verb's clause (“…有限公司年产20万吨…项目于6月6日在…
    开工”), else at the head of a list item (“1. …项目，企业：…，6月3日开工”)."""
    after = _VERB_THEN_PROJECT_RE.match(text, verb.end())
    if after:
        return after.start("project"), after.end("project")
    clause_start = max(text.rfind(p, 0, verb.start()) for p in ",，;；:：") + 1
    clause = text[clause_start : verb.start()]
    marker = _LIST_MARKER_RE.match(clause)
    skip = marker.end() if marker else 0
    lead = _CLAUSE_LEAD_RE.match(clause, skip)
    skip = lead.end() if lead else skip
    end = clause.rfind("项目")
    if end >= skip + 2 or end == skip + 1 and clause[skip] in "该此":  # (“该项目…并网”)
        return clause_start + skip, clause_start + end + 2
    marker = _LIST_MARKER_RE.match(text)
    skip = marker.end() if marker else 0
    m = re.compile(r"(?P<project>[^,，。:：;；]{2,60}?项目)").match(text, skip)
    if m and clause_start > 0:
        return m.start("project"), m.end("project")
    return None


def _milestones(ex: Extraction, sentences: list[Sentence]) -> list[dict[str, Any]]:
    milestones: list[dict[str, Any]] = []
    names: list[str] = []
    for i, sentence in enumerate(sentences):
        text = sentence.text
        if "推迟" in text or "延期" in text or ex.year is None:
            continue
        verb = _milestone_verb(text)
        if verb is None:
            continue
        where = _milestone_project(text, verb)
        if where is None:
            continue
        project = text[where[0] : where[1]]
        named = None
        if re.fullmatch(r"(?:该|此|这一?)项目", project):
            # “在义县七里河镇，辽宁义瑞风电有限公司…项目现场一片繁忙。5月18日，该项目…并网”
            named = _project_named_before(sentences, i)
        if (
            project.startswith(("该", "此", "这", "一批", "重点", "亿元", "今年", "全年", "全市"))
            and named is None
            or "亿元以上" in project
            or re.search(r"举行|举办|召开|开展", project)  # “太和区举行重点项目开工仪式”
            or (named[0].text[named[1] : named[2]] if named else project) in names
        ):
            continue
        # (a day without its month and 昨天 count from the publication day, as for events;
        # not 日前, which is no day, nor the day a reporter learnt of it: “记者30日从…获悉”)
        dates = sorted(
            (
                d
                for d in [*find_dates(text, ex.year), *find_loose_dates(text, ex.published)]
                if d.precision == "day"
                and not d.approximate
                and text[d.end : d.end + 1] != "电"
                and not _LEARNT_RE.match(text, d.end)
            ),
            key=lambda d: d.start,
        )
        if not dates and not (text.endswith("。") and (i > 0 or len(sentences) == 1)):
            continue  # a headline without a day repeats the report below it
        # where the project is named: here, or the sentence before that “该项目” points back to
        home, p_start, p_end = named or (sentence, where[0], where[1])
        project = home.text[p_start:p_end]
        names.append(project)
        milestone: dict[str, Any] = {}
        if dates:
            milestone["date"] = ex.date(sentence, dates[-1])
        else:
            relative = _relative_day(ex, sentences, i)
            if relative is not None:
                milestone["date"] = ex.date(sentence, relative[0])
        milestone["project"] = ex.field(home, project, p_start, p_end)
        milestone["kind"] = _MILESTONE_KIND[verb.group(0)]
        # the area: the most specific the gazetteer finds, nearest the project first — its
        # name, its clause, the rest of its sentence, the next sentence about it, the venue it
        # started at, the head of its paragraph, the bulletin's or the account's own area
        region = ex.region_field(home, p_start, project)
        for start, end in ((where[1], verb.start()), (0, where[0]), (verb.end(), len(text))):
            region = _more_specific(ex, region, ex.region_field(sentence, start, text[start:end]))
        em = re.search(r"企业[:：](?P<ent>[^,，。;；]+)", text)
        if em:
            milestone["enterprise"] = ex.field(
                sentence, em.group("ent"), em.start("ent"), em.end("ent")
            )
        else:
            cm = _ENTERPRISE_RE.match(project)
            if cm and not cm.group(0).startswith(_UNNAMED):
                end = _company_end(project, cm)
                milestone["enterprise"] = ex.field(home, project[:end], p_start, p_start + end)
        fig = _money_after_label(sentence, where[1])
        if fig is None:  # “总投资12亿元的…项目”
            lead = re.search(r"总投资([^,，。的]{1,12}?元)的$", text[: where[0]])
            fig = _first(find_money(text[: where[0]]), lead.start(1)) if lead else None
        if fig is not None:
            milestone["investment_yuan"] = ex.money(sentence, fig)
        # “该项目总投资36亿元，位于凌海市。”: the next sentence says more about it
        for follow in sentences[i + 1 : i + 2]:
            if not _ABOUT_THE_PROJECT_RE.match(follow.text):
                continue
            if "investment_yuan" not in milestone:
                fig = _money_after_label(follow)
                if fig is not None:
                    milestone["investment_yuan"] = ex.money(follow, fig)
            region = _more_specific(ex, region, ex.region_field(follow, 0, follow.text))
        venue = _venue_sentence(ex, sentences, i)
        if venue is not None:
            there = ex.region_field(venue, 0, venue.text)
            if there and not _is_city(ex, there):
                region = _more_specific(ex, region, there)
        for earlier in reversed(sentences[:i]):
            if region is not None and not _is_city(ex, region):
                break
            if earlier.paragraph != sentence.paragraph:
                break
            there = ex.region_field(earlier, 0, earlier.text)
            if there and not _is_city(ex, there):
                region = there
        if region is None or _is_city(ex, region):
            region = _heading_region(ex, sentences) or region
        if region:
            milestone["region"] = region
        milestones.append(milestone)
    return milestones


_LEARNT_RE = re.compile(r"[^,，。;；]*?(?:获悉|了解到|获知|得知)")
_RELATIVE_DAY_RE = re.compile(
    r"同日|当日|当天|同一天|同天|主会场|分会场|仪式上|(前一天|前一日)|(次日|第二天)"
)
_VENUE_WORDS = ("主会场", "分会场", "仪式上")


def _relative_day(
    ex: Extraction, sentences: list[Sentence], i: int
) -> tuple[DateFigure, Sentence] | None:
    """A day said relative to the last day written before (同日, 前一天, 次日; a batch start's
    主会场 and a ceremony's 仪式上 are on its day), with the span of the word that says so, and
    the sentence that gave the day."""
    m = _RELATIVE_DAY_RE.search(sentences[i].text)
    if m is None or ex.year is None:
        return None
    for before in reversed(sentences[:i]):
        days = [
            d
            for d in [
                *find_dates(before.text, ex.year),
                *find_loose_dates(before.text, ex.published),
            ]
            if d.precision == "day" and before.text[d.end : d.end + 1] != "电"
        ]
        if days:
            days.sort(key=lambda d: d.start)
            shift = -1 if m.group(1) else 1 if m.group(2) else 0
            value = days[-1].value + dt.timedelta(days=shift)
            return DateFigure(value, m.start(), m.end(), m.group(0), precision="day"), before
    return None


def _venue_sentence(ex: Extraction, sentences: list[Sentence], i: int) -> Sentence | None:
    """For a project at a batch start's main venue or at a ceremony (主会场, 仪式上): the
    sentence that says when and where that was, whose area is the project's."""
    if not any(w in sentences[i].text for w in _VENUE_WORDS):
        return None
    relative = _relative_day(ex, sentences, i)
    return relative[1] if relative else None


# “该项目总投资…”, “项目位于…”, “据介绍，该项目…”: the next sentence says more about the project
_ABOUT_THE_PROJECT_RE = re.compile(
    r"^(?:(?:据介绍|据了解|记者了解到|据悉)[,，])?(?:该|此|这一?|上述)?项目(?:总投资|计划总投资|"
    r"位于|选址|落户|坐落|由|建成|是|占地|规划|计划|$)|^(?:该|此|这一?|上述)项目"
)


def _more_specific(
    ex: Extraction, region: dict[str, Any] | None, candidate: dict[str, Any] | None
) -> dict[str, Any] | None:
    """`candidate` when it says more than `region` (a county, a district or a zone rather than
    the city, or anything rather than nothing)."""
    if candidate is None:
        return region
    if region is None or _is_city(ex, region) and not _is_city(ex, candidate):
        return candidate
    return region


# what a bulletin's or an account's own heading lines carry: its name, its source
_HEADING_WORDS_RE = re.compile(
    r"简报|周报|月报|快报|专报|通报|动态|发布|来源|融媒|人民政府|管委会|政府网"
)


def _heading_region(ex: Extraction, sentences: list[Sentence]) -> dict[str, Any] | None:
    """The area a county's or a zone's own bulletin, site or account is about, named in its
    heading lines (“义县重点项目周报”, “来源：凌海市人民政府”, “北镇发布”): not the city."""
    for sentence in sentences[:3]:
        if sentence.paragraph > 0 or re.search(r"[,，。；;]", sentence.text):
            break
        if not _HEADING_WORDS_RE.search(sentence.text):
            continue
        region = ex.region_field(sentence, 0, sentence.text)
        if region and not _is_city(ex, region):
            return region
    return None


def _is_city(ex: Extraction, region: dict[str, Any]) -> bool:
    return any(r.is_city and r.code == region.get("code") for r in ex.regions)


def _service_stats(ex: Extraction, sentences: list[Sentence]) -> list[dict[str, Any]]:
    stats = []
    for sentence in sentences:
        text = sentence.text
        if not any(w in text for w in ("项目管家", "政企直通车", "满意率", "诉求")):
            continue
        stat: dict[str, Any] = {}
        m = re.search(r"截至(?P<when>[^,，。]+)", text)
        if m and ex.year:
            dates = find_dates(m.group("when"), ex.year)
            if dates:
                d = dates[0]
                d.start += m.start("when")
                d.end += m.start("when")
                stat["date"] = ex.date(sentence, d)
        for fig in find_counts(text):
            before = text[max(0, fig.start - 8) : fig.start]
            after = text[fig.end : fig.end + 6]
            if fig.unit in ("人", "名") and (
                "管家" in before or after.startswith(("项目管家", "管家"))
            ):
                stat["steward_count"] = ex.figure(sentence, fig)
            elif fig.unit == "次" and "服务" in before:
                stat["service_count"] = ex.figure(sentence, fig)
            elif fig.unit == "件" and "诉求" in before:
                stat["requests_resolved"] = ex.figure(sentence, fig)
        for fig in find_percents(text):
            if "满意" in text[max(0, fig.start - 6) : fig.start]:
                stat["satisfaction_rate"] = ex.figure(sentence, fig, plain(fig.value))
        if len(stat) > ("date" in stat):
            stats.append(stat)
    return stats


_SCOPE_WORDS = (
    "截至本周",
    "截至目前",
    "今年以来",
    "全市",
    "今年",
    "全年",
    "其中",
    "已经",
    "力争",
    "确保",
    "目标",
    "共",
)


_SHARE_OF_PLAN_RE = re.compile(r"(?:计划|目标|任务)的")
_PERIOD_RE = re.compile(
    r"上半年|下半年|前三季度|[一二三四]季度|第[一二三四]季度|\d{1,2}(?:至|—|-|－)\d{1,2}月|本月|本周"
)


def _label(clause: str) -> str:
    label = clause
    for word in _SCOPE_WORDS:
        label = label.replace(word, "")
    label = (
        re.sub(r"^截至[^,，]*?(?=[\u4e00-\u9fa5])", "", label)
        if label.startswith("截至")
        else label
    )
    cumulative = "累计" in label
    label = label.replace("累计", "").strip(" ,，、:：")
    return ("累计" + label) if cumulative else label


def _totals_and_targets(
    ex: Extraction, sentences: list[Sentence]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Running figures (累计…, 开工率) and targets (力争/目标…), from the figures nobody claimed."""
    totals: list[dict[str, Any]] = []
    targets: list[dict[str, Any]] = []
    carried: str | None = None  # “…力争…；各县（市）区至少举办1场…”: the clause after a ；
    # “今年以来，全市…签约项目186个…。新开工亿元以上项目57个…。”: the paragraph's next
    # sentences on projects are of the same period
    running_paragraph: int | None = None
    for sentence in sentences:
        text = sentence.text
        # (“完成年度目标的62%”: a share of a target is a running figure)
        wording = _SHARE_OF_PLAN_RE.sub("", text)
        is_target = any(w in wording for w in ("力争", "目标", "确保", "计划到")) or (
            carried == "target"
        )
        is_total = carried == "total" or any(
            w in text
            for w in (
                "累计",
                "今年以来",
                "截至",
                "全市",
                "开工率",
                "落地率",
                "投产率",
                "同比",
                "今年",
                "集中开工",
                "其中",
            )
        )
        # “上半年，锦州市共引进…项目29个”: a period opening the sentence makes it a running figure
        is_total = is_total or bool(_PERIOD_RE.search(re.split(r"[,，]", text)[0]))
        if is_total and not is_target and re.search(r"今年以来|累计|截至|上半年|前三季度", text):
            running_paragraph = sentence.paragraph
        elif running_paragraph != sentence.paragraph:
            running_paragraph = None
        elif (
            not is_target
            and "项目" in text
            and not re.search(r"预计|将|后|产值|计划|力争|目标", text)
            and not _ENTERPRISE_RE.search(text)  # (one company's project: not a running count)
        ):
            is_total = True
        carried = None
        if (is_target or is_total) and text.endswith(("；", ";")):
            carried = "target" if is_target else "total"
        if not is_target and not is_total:
            continue
        figs: list[Figure] = [*find_money(text), *find_counts(text), *find_percents(text)]
        figs.sort(key=lambda f: f.start)
        clause_start = 0
        for fig in figs:
            absolute = (sentence.start + fig.start, sentence.start + fig.end)
            if any(s <= absolute[0] < e for s, e in ex.claimed):
                continue
            # the label is the clause text just before the figure
            cut = max(text.rfind(p, 0, fig.start) for p in ",，;；:：、")
            clause_start = max(cut + 1, 0)
            label_text = text[clause_start : fig.start]
            label_text = re.sub(r"(突破|达到|超过|达|为|是|完成|实现)$", "", label_text)
            indicator = _label(label_text)
            if not indicator:
                after = text[fig.end : fig.end + 6]
                indicator = _label(re.split(r"[,，;；。]", after)[0])
            item: dict[str, Any] = {"indicator": indicator}
            # “今年计划实施项目45个，目前已开工18个”: the plan is a target, the rest a total
            clause = text[clause_start : fig.start]
            fig_target = (is_target or bool(re.search(r"计划(?!的)", clause))) and not (
                _SHARE_OF_PLAN_RE.search(clause)
            )
            if label_text.startswith("其中") and (targets if fig_target else totals):
                item["part_of"] = (targets if fig_target else totals)[-1]["indicator"]
            if fig.unit == "yuan":
                item["value_yuan"] = ex.money(sentence, fig)
            elif fig.unit == "%":
                item["value"] = ex.figure(sentence, fig, plain(Decimal(fig.value)))
                item["unit"] = "%"
            else:
                item["value"] = ex.figure(sentence, fig)
                item["unit"] = fig.unit
            if fig_target:
                pm = re.search(r"(?:到|至)(\d{4})年", text)
                item["period"] = pm.group(1) if pm else (str(ex.year) if ex.year else "")
                targets.append(item)
            else:
                item["period"] = str(ex.year) if ex.year else ""
                m = re.search(r"截至(?P<when>[^,，。]+)", text)
                if m and ex.year:
                    dates = find_dates(m.group("when"), ex.year)
                    if dates:
                        item["date"] = date_value(dates[0])
                totals.append(item)
    return totals, targets


def _issues(ex: Extraction, sentences: list[Sentence]) -> list[dict[str, Any]]:
    """Delays reported (推迟/延期): the project, the cause and the months moved."""
    issues = []
    for sentence in sentences:
        text = sentence.text
        m = re.search(r"由(?P<from>\d{1,2}月)(?:份)?(?:推迟|延期)至(?P<to>\d{1,2}月)", text)
        if not m or ex.year is None:
            continue
        item: dict[str, Any] = {}
        marker = _LIST_MARKER_RE.match(text)
        skip = marker.end() if marker else 0
        pm = re.compile(r"(?P<project>[^,，。]{2,60}?项目)").match(text, skip)
        if pm:
            item["project"] = ex.field(
                sentence, pm.group("project"), pm.start("project"), pm.end("project")
            )
            region = ex.region_field(sentence, 0, pm.group("project"))
            if region:
                item["region"] = region
        cm = re.search(r"因(?P<cause>[^,，。]+)", text)
        if cm:
            item["cause"] = ex.field(
                sentence, cm.group("cause"), cm.start("cause"), cm.end("cause")
            )
        for key in ("from", "to"):
            d = find_dates(m.group(key), ex.year)[0]
            d.start, d.end = m.start(key), m.end(key)
            item[f"planned_{key}"] = ex.date(sentence, d)
        issues.append(item)
    return issues


def extract(
    text: str, published: dt.date | None = None, regions: list[Region] | None = None
) -> dict[str, Any]:
    """The proposed records of a document (see the module doc for the format)."""
    year, published_on, source = document_year(text, published)
    ex = Extraction(
        text=text, year=year, published=published_on, year_source=source, regions=regions or []
    )
    sentences = split_sentences(text)
    events = _events(ex, sentences)
    signings = _signings(ex, sentences, claimed_events=len(events) == 1)
    milestones = _milestones(ex, sentences)
    stats = _service_stats(ex, sentences)
    issues = _issues(ex, sentences)
    totals, targets = _totals_and_targets(ex, sentences)
    return {
        "document": {
            "published": published_on.isoformat() if published_on else None,
            "year": year,
            "year_source": source,
            "title": next((s.text for s in sentences), ""),
        },
        "events": events,
        "signings": signings,
        "milestones": milestones,
        "service_stats": stats,
        "targets": targets,
        "totals": totals,
        "issues": issues,
    }


def figures(result: dict[str, Any]) -> list[tuple[str, str, str, int]]:
    """Every value found, as (section, field, value, start offset), once per record that holds
    it (a signing area carried over from the clause before is that signing's too): what
    precision and recall are measured on."""
    found = []
    for section, records in result.items():
        if not isinstance(records, list):
            continue
        for record in records:
            for key, item in record.items():
                if isinstance(item, dict) and "span" in item:
                    found.append((section, key, str(item["value"]), int(item["span"][0])))
    return found
