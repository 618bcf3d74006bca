"""Eligibility rules: a small JSON tree, checked strictly, run as SQL and in plain Python.

A rule is {"all": [...]} or {"any": [...]} (nodes combined with and / or), or a leaf
{"fact": ..., "op": ..., "value": ...}. The empty rule {} matches every enterprise.

Facts and the operators each takes:

- industry: in [industry codes]
- ownership: in [ownership values]
- region: in [region codes] (registered in exactly one of them), within <region code>
  (registered in it or anywhere under it)
- investment_wan: gte / lte <number> (has a project, not withdrawn, of at least / at most
  that total investment in 10k yuan)
- headcount: gte / lte / eq <integer> (an unknown headcount never matches)
- high_tech: eq <true|false>
- tag: in [tags] (has at least one of them)
"""

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

OPS: dict[str, tuple[str, ...]] = {
    "industry": ("in",),
    "ownership": ("in",),
    "region": ("in", "within"),
    "investment_wan": ("gte", "lte"),
    "headcount": ("gte", "lte", "eq"),
    "high_tech": ("eq",),
    "tag": ("in",),
}
MAX_DEPTH = 6


class RuleError(ValueError):
    """A rule that does not have the shape above; the message names the bad node."""


def _where(path: str) -> str:
    return path or "rule"


def validate(rule: Any, path: str = "") -> None:
    """Raise RuleError naming the first bad node (e.g. "rule.all[1].value: ...")."""
    where = _where(path)
    if not isinstance(rule, dict):
        raise RuleError(_("%(where)s: a rule node must be an object") % {"where": where})
    if path.count("[") >= MAX_DEPTH:
        raise RuleError(_("%(where)s: nested too deeply") % {"where": where})
    if not rule and not path:
        return
    keys = set(rule)
    if keys & {"all", "any"}:
        if len(keys) != 1:
            raise RuleError(
                _("%(where)s: a group has exactly one key, all or any") % {"where": where}
            )
        (kind,) = keys
        children = rule[kind]
        if not isinstance(children, list) or not children:
            raise RuleError(
                _("%(where)s.%(kind)s: must be a non-empty list") % {"where": where, "kind": kind}
            )
        for i, child in enumerate(children):
            validate(child, f"{where}.{kind}[{i}]")
        return
    if keys != {"fact", "op", "value"}:
        raise RuleError(
            _("%(where)s: a condition has exactly the keys fact, op and value") % {"where": where}
        )
    fact, op, value = rule["fact"], rule["op"], rule["value"]
    if fact not in OPS:
        raise RuleError(
            _("%(where)s.fact: unknown fact %(fact)r (known: %(known)s)")
            % {"where": where, "fact": fact, "known": ", ".join(OPS)}
        )
    if op not in OPS[fact]:
        raise RuleError(
            _("%(where)s.op: %(fact)s takes %(ops)s, not %(op)r")
            % {"where": where, "fact": fact, "ops": " / ".join(OPS[fact]), "op": op}
        )
    bad = _("%(where)s.value: ") % {"where": where}
    if op == "in":
        if not isinstance(value, list) or not value:
            raise RuleError(bad + _("a non-empty list"))
        if not all(isinstance(v, str) and v.strip() for v in value):
            raise RuleError(bad + _("every item must be non-empty text"))
    elif op == "within":
        if not isinstance(value, str) or not value.strip():
            raise RuleError(bad + _("a region code"))
    elif fact == "high_tech":
        if not isinstance(value, bool):
            raise RuleError(bad + _("true or false"))
    elif fact == "headcount":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise RuleError(bad + _("a whole number, zero or more"))
    else:  # investment_wan
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise RuleError(bad + _("a number"))
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            raise RuleError(bad + _("a number")) from None
        if not amount.is_finite() or amount < 0:
            raise RuleError(bad + _("a number, zero or more"))


def leaves(rule: dict[str, Any]) -> list[dict[str, Any]]:
    """The conditions of a rule, in order."""
    if not rule:
        return []
    for kind in ("all", "any"):
        if kind in rule:
            return [leaf for child in rule[kind] for leaf in leaves(child)]
    return [rule]


# ----------------------------------------------------------------------------- SQL


def to_q(rule: dict[str, Any]) -> Q:
    """The rule as a filter on Enterprise (joins the profile; projects via EXISTS)."""
    if not rule:
        return Q()
    if "all" in rule:
        result = Q()
        for child in rule["all"]:
            result &= to_q(child)
        return result
    if "any" in rule:
        parts = [to_q(child) for child in rule["any"]]
        result = parts[0]
        for part in parts[1:]:
            result |= part
        return result
    return _leaf_q(rule["fact"], rule["op"], rule["value"])


def _leaf_q(fact: str, op: str, value: Any) -> Q:
    from guanjia.projects.models import Project

    if fact == "industry":
        return Q(industry__code__in=value)
    if fact == "ownership":
        return Q(ownership__in=value)
    if fact == "region":
        if op == "within":
            return Q(region__path__contains=f"/{value}/")
        return Q(region__code__in=value)
    if fact == "investment_wan":
        lookup = f"total_investment_wan__{op}"
        projects = Project.objects.active().filter(
            enterprise=OuterRef("pk"), **{lookup: Decimal(str(value))}
        )
        return Q(Exists(projects))
    if fact == "headcount":
        return Q(**{f"policy_profile__headcount__{op.replace('eq', 'exact')}": value})
    if fact == "high_tech":
        if value:
            return Q(policy_profile__high_tech=True)
        return Q(policy_profile__high_tech=False) | Q(policy_profile__isnull=True)
    # tag: has any of them
    result = Q(pk__in=[])
    for tag in value:
        result |= Q(policy_profile__tags__contains=f",{tag.strip()},")
    return result


# ----------------------------------------------------------------------------- Python


def facts_for(enterprise: Any) -> dict[str, Any]:
    """The facts a rule is evaluated on, for one enterprise (three small queries)."""
    from guanjia.projects.models import Project

    from .models import EnterpriseProfile

    profile = EnterpriseProfile.objects.filter(enterprise=enterprise).first()
    region = enterprise.region
    industry = enterprise.industry
    return {
        "industry": industry.code if industry else None,
        "industry_name": industry.name if industry else "",
        "ownership": enterprise.ownership,
        "region": region.code if region else None,
        "region_path": region.path if region else "",
        "region_name": region.name if region else "",
        "investments_wan": [
            Decimal(v)
            for v in Project.objects.active()
            .filter(enterprise=enterprise)
            .values_list("total_investment_wan", flat=True)
            if v is not None
        ],
        "headcount": profile.headcount if profile else None,
        "high_tech": bool(profile and profile.high_tech),
        "tags": set(profile.tag_list()) if profile else set(),
    }


def evaluate(rule: dict[str, Any], facts: dict[str, Any]) -> bool:
    """The rule on one enterprise's facts, in plain Python (the SQL's reference)."""
    if not rule:
        return True
    if "all" in rule:
        return all(evaluate(child, facts) for child in rule["all"])
    if "any" in rule:
        return any(evaluate(child, facts) for child in rule["any"])
    return _leaf(rule["fact"], rule["op"], rule["value"], facts)


def _leaf(fact: str, op: str, value: Any, facts: dict[str, Any]) -> bool:
    if fact == "industry":
        return facts["industry"] in value
    if fact == "ownership":
        return facts["ownership"] in value
    if fact == "region":
        if op == "within":
            return f"/{value}/" in facts["region_path"]
        return facts["region"] in value
    if fact == "investment_wan":
        bound = Decimal(str(value))
        if op == "gte":
            return any(v >= bound for v in facts["investments_wan"])
        return any(v <= bound for v in facts["investments_wan"])
    if fact == "headcount":
        count = facts["headcount"]
        if count is None:
            return False
        return {"gte": count >= value, "lte": count <= value, "eq": count == value}[op]
    if fact == "high_tech":
        return bool(facts["high_tech"]) == value
    return bool(facts["tags"] & {t.strip() for t in value})


def _yi(amount: Decimal) -> str:
    """10k yuan shown the way people say it: 50000 → 5亿元, 3000 → 3000万元."""
    if amount >= 10000:
        return f"{(amount / 10000).normalize():f}亿元"
    return f"{amount.normalize():f}万元"


def describe(leaf: dict[str, Any]) -> str:
    """One condition in words ("industry is one of 新能源")."""
    fact, op, value = leaf["fact"], leaf["op"], leaf["value"]
    names = {
        "industry": _("industry"),
        "ownership": _("ownership"),
        "region": _("region"),
        "tag": _("tag"),
    }
    if op == "in":
        return _("%(fact)s is one of %(values)s") % {
            "fact": names[fact],
            "values": "、".join(_label(fact, v) for v in value),
        }
    if op == "within":
        return _("registered in %(region)s or below") % {"region": _label("region", value)}
    if fact == "investment_wan":
        amount = _yi(Decimal(str(value)))
        if op == "gte":
            return _("has a project of at least %(amount)s") % {"amount": amount}
        return _("has a project of at most %(amount)s") % {"amount": amount}
    if fact == "headcount":
        text = {
            "gte": _("at least %(n)s employees"),
            "lte": _("at most %(n)s employees"),
            "eq": _("exactly %(n)s employees"),
        }[op]
        return text % {"n": value}
    return _("is a high-tech enterprise") if value else _("is not a high-tech enterprise")


def _label(fact: str, value: str) -> str:
    from guanjia.enterprises.models import Ownership
    from guanjia.industries.models import Industry
    from guanjia.regions.models import Region

    if fact == "industry":
        found = Industry.objects.filter(code=value).values_list("name", flat=True).first()
        return found or value
    if fact == "region":
        found = Region.objects.filter(code=value).values_list("name", flat=True).first()
        return found or value
    if fact == "ownership":
        return str(dict(Ownership.choices).get(value, value))
    return value


def explain(rule: dict[str, Any], facts: dict[str, Any]) -> list[str]:
    """Why the rule holds for these facts: the conditions that made it match, in words.

    For an "all" group every condition counts; for an "any" group the ones that held."""
    if not rule:
        return [_("open to every enterprise")]
    if "all" in rule:
        return [reason for child in rule["all"] for reason in explain(child, facts)]
    if "any" in rule:
        return [
            reason
            for child in rule["any"]
            if evaluate(child, facts)
            for reason in explain(child, facts)
        ]
    return [describe(rule)] if evaluate(rule, facts) else []


# ----------------------------------------------------------------------------- flat facts

# The full re-match reads every enterprise's facts into one flat temporary table first, so
# that each policy is a scan of it without joins. `flat_sql` compiles a rule against it.
FACTS_TABLE = "policy_facts_tmp"


def facts_table_sql() -> str:
    """CREATE TEMP TABLE … AS SELECT: one row of facts per enterprise (PostgreSQL, SQLite)."""
    return f"""
CREATE TEMP TABLE {FACTS_TABLE} AS
SELECT e.id AS id, i.code AS industry, e.ownership AS ownership, r.code AS region,
       COALESCE(r.path, '') AS region_path, inv.max_inv AS max_inv, inv.min_inv AS min_inv,
       p.headcount AS headcount, COALESCE(p.high_tech, FALSE) AS high_tech,
       COALESCE(p.tags, '') AS tags
FROM enterprises_enterprise e
LEFT JOIN industries_industry i ON i.id = e.industry_id
LEFT JOIN regions_region r ON r.id = e.region_id
LEFT JOIN policies_enterpriseprofile p ON p.enterprise_id = e.id
LEFT JOIN (
    SELECT enterprise_id, MAX(total_investment_wan) AS max_inv,
           MIN(total_investment_wan) AS min_inv
    FROM projects_project
    WHERE stage <> 'withdrawn' AND total_investment_wan IS NOT NULL
    GROUP BY enterprise_id
) inv ON inv.enterprise_id = e.id
ORDER BY i.code, r.path
"""  # noqa: S608 (table names are constants)


# Written in industry and region order and indexed on the columns rules narrow by first, so
# that a policy for one industry or area reads only its own stretch of the table.
FACTS_INDEXES = ("industry", "ownership", "region", "region_path")


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def flat_sql(rule: dict[str, Any], paths: Mapping[str, str] | None = None) -> tuple[str, list[Any]]:
    """The rule as a WHERE condition on the flat facts table, with its parameters. Given the
    regions' paths by code, "within" is a prefix match (the index serves it)."""
    if not rule:
        return "1 = 1", []
    for kind, joiner in (("all", " AND "), ("any", " OR ")):
        if kind in rule:
            parts = [flat_sql(child, paths) for child in rule[kind]]
            sql = joiner.join(f"({p[0]})" for p in parts)
            return sql, [param for p in parts for param in p[1]]
    fact, op, value = rule["fact"], rule["op"], rule["value"]
    cmp = {"gte": ">=", "lte": "<=", "eq": "="}.get(op, "")
    if fact in ("industry", "ownership", "region") and op == "in":
        return f"{fact} IN ({', '.join(['%s'] * len(value))})", list(value)
    if fact == "region":
        if paths is not None:
            if value not in paths:
                return "1 = 0", []
            return "region_path LIKE %s ESCAPE '\\'", [f"{_like(paths[value])}%"]
        return "region_path LIKE %s ESCAPE '\\'", [f"%/{_like(value)}/%"]
    if fact == "investment_wan":
        column = "max_inv" if op == "gte" else "min_inv"
        return f"{column} {cmp} CAST(%s AS NUMERIC)", [Decimal(str(value))]
    if fact == "headcount":
        return f"headcount {cmp} %s", [value]
    if fact == "high_tech":
        return "high_tech = %s", [value]
    sql = " OR ".join(["tags LIKE %s ESCAPE '\\'"] * len(value))
    return sql, [f"%,{_like(t.strip())},%" for t in value]
