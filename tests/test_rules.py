"""Domain rules: credit codes, amounts, the counting rule, merging, the audit log."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from guanjia.core.amounts import AmountError, parse_amount_wan, parse_count
from guanjia.core.models import AuditEntry
from guanjia.enterprises import creditcode, services
from guanjia.enterprises.models import CreditCodeWhitelist, Enterprise
from guanjia.events import services as event_services
from guanjia.events.models import Event, Signing
from guanjia.projects.stages import Stage
from guanjia.testing.factories import (
    EnterpriseFactory,
    EventFactory,
    ProjectFactory,
    credit_code,
)

VALID = creditcode.make_code("91210700" + "MA0QC1XX1")


class TestCreditCodes:
    def test_a_valid_code_has_no_problems(self):
        assert creditcode.problems(VALID) == []
        assert creditcode.region_code(VALID) == "210700"

    def test_a_short_code_says_how_long_it_is(self):
        (problem,) = creditcode.problems("91210700MA0QC")
        assert "18" in problem and "13" in problem

    def test_a_forbidden_letter_is_named_with_its_position(self):
        code = VALID[:10] + "O" + VALID[11:]
        (problem,) = creditcode.problems(code)
        assert "11" in problem and "O" in problem

    def test_a_wrong_check_digit_says_what_it_should_be(self):
        wrong = VALID[:17] + ("0" if VALID[17] != "0" else "1")
        (problem,) = creditcode.problems(wrong)
        assert VALID[17] in problem

    def test_spaces_and_lower_case_are_forgiven(self):
        assert creditcode.problems(" " + VALID.lower()[:9] + " " + VALID[9:]) == []

    @pytest.mark.django_db
    def test_a_whitelisted_code_passes_validation(self):
        wrong = VALID[:17] + ("0" if VALID[17] != "0" else "1")
        with pytest.raises(ValidationError):
            services.create_enterprise(None, name="老企业", credit_code=wrong)
        CreditCodeWhitelist.objects.create(code=wrong, reason="1990s registration, verified")
        enterprise = services.create_enterprise(None, name="老企业", credit_code=wrong)
        assert enterprise.credit_code == wrong

    @pytest.mark.django_db
    def test_one_enterprise_per_code(self):
        code = credit_code()
        services.create_enterprise(None, name="甲公司", credit_code=code)
        with pytest.raises(ValidationError) as exc:
            services.create_enterprise(None, name="甲公司（重复）", credit_code=code.lower())
        assert "甲公司" in str(exc.value.message_dict["credit_code"])
        assert Enterprise.objects.count() == 1


class TestAmounts:
    @pytest.mark.parametrize(
        ("text", "wan"),
        [
            ("612亿元", "6120000"),
            ("105.16亿元", "1051600"),
            ("1.2万亿元", "120000000"),
            ("六百一十二亿元", "6120000"),
            ("3,500", "3500"),
            ("3500万元", "3500"),
            ("一万二千元", "1.2"),
            ("约30亿元", "300000"),
        ],
    )
    def test_it_reads_amounts_as_chinese_texts_write_them(self, text, wan):
        assert parse_amount_wan(text) == Decimal(wan)

    def test_counts_read_approximate_words(self):
        assert parse_count("6000余次") == 6000
        assert parse_count("一百二十九家") == 129

    @pytest.mark.parametrize("text", ["abc", "5美元", "", "1,2,3", "-5亿元"])
    def test_it_refuses_what_is_not_an_amount(self, text):
        with pytest.raises(AmountError):
            parse_amount_wan(text)

    def test_no_float_ever_leaks(self):
        assert isinstance(parse_amount_wan(1.1), Decimal)
        assert parse_amount_wan(1.1) == Decimal("1.1")


@pytest.mark.django_db
class TestCountingRule:
    def test_a_project_counts_once_at_its_first_signing_and_later_only_the_increase(self, linghai):
        first_event = EventFactory(region=linghai, date=dt.date(2023, 3, 23))
        later_event = EventFactory(region=linghai, date=dt.date(2024, 5, 1))
        project = ProjectFactory(region=linghai)
        event_services.record_signing(
            None,
            project=project,
            government=linghai,
            signed_on=dt.date(2023, 3, 23),
            amount_wan=Decimal(100000),
            event=first_event,
        )
        event_services.record_signing(
            None,
            project=project,
            government=linghai,
            signed_on=dt.date(2024, 5, 1),
            amount_wan=Decimal(150000),
            event=later_event,
        )
        figures = {e.pk: e for e in Event.objects.with_figures()}
        assert figures[first_event.pk].signing_count == 1
        assert figures[first_event.pk].signed_investment_wan == Decimal(100000)
        assert figures[later_event.pk].signing_count == 0
        assert figures[later_event.pk].signed_investment_wan == Decimal(50000)

    def test_a_re_signing_for_less_counts_nothing(self, linghai):
        project = ProjectFactory(region=linghai)
        for day, amount in ((1, 80000), (2, 60000)):
            event_services.record_signing(
                None,
                project=project,
                government=linghai,
                signed_on=dt.date(2023, 3, day),
                amount_wan=Decimal(amount),
            )
        counted = list(
            Signing.objects.order_by("signed_on").values_list("counted_amount_wan", flat=True)
        )
        assert counted == [Decimal(80000), Decimal(0)]

    def test_a_signing_moves_a_lead_to_signed(self, linghai):
        project = ProjectFactory(region=linghai, stage=Stage.LEAD)
        event_services.record_signing(
            None,
            project=project,
            government=linghai,
            signed_on=dt.date(2023, 3, 23),
            amount_wan=Decimal(1000),
        )
        project.refresh_from_db()
        assert project.stage == Stage.SIGNED and project.signed_on == dt.date(2023, 3, 23)

    def test_the_city_count_is_the_distinct_home_cities_of_participants(self, linghai):
        event = EventFactory(region=linghai)
        event.participants.set(
            [EnterpriseFactory(home_city=c) for c in ("北京市", "北京市", "上海市", "")]
        )
        figures = Event.objects.with_figures().get(pk=event.pk)
        assert figures.enterprise_count == 4
        assert figures.city_count == 2


@pytest.mark.django_db
class TestMerge:
    def test_merging_moves_projects_and_keeps_the_code(self, linghai, users):
        keep = EnterpriseFactory(name="锦州万得集团", credit_code=None)
        dupe = EnterpriseFactory(name="万得集团有限公司")
        code = dupe.credit_code
        project = ProjectFactory(enterprise=dupe, region=linghai)
        services.merge(keep, dupe, users["admin"], reason="same firm, two spellings")
        project.refresh_from_db()
        keep.refresh_from_db()
        assert project.enterprise == keep
        assert keep.credit_code == code
        assert not Enterprise.objects.filter(pk=dupe.pk).exists()
        assert AuditEntry.objects.filter(action="merge", object_id=str(keep.pk)).exists()

    def test_merging_needs_a_reason(self):
        a, b = EnterpriseFactory(), EnterpriseFactory()
        with pytest.raises(ValidationError):
            services.merge(a, b, None, reason=" ")


@pytest.mark.django_db
class TestAuditLog:
    def test_an_update_records_before_and_after(self, users):
        enterprise = services.create_enterprise(
            users["admin"], name="甲", credit_code=credit_code()
        )
        services.update_enterprise(enterprise, users["official"], home_city="沈阳市")
        entry = AuditEntry.objects.get(action="update", object_id=str(enterprise.pk))
        assert entry.actor == users["official"]
        assert entry.before == {"home_city": ""}
        assert entry.after == {"home_city": "沈阳市"}

    def test_the_log_cannot_be_rewritten(self, users):
        enterprise = services.create_enterprise(
            users["admin"], name="乙", credit_code=credit_code()
        )
        entry = AuditEntry.objects.get(object_id=str(enterprise.pk))
        entry.note = "tampered"
        with pytest.raises(PermissionError):
            entry.save()
        with pytest.raises(PermissionError):
            AuditEntry.objects.all().delete()
        with pytest.raises(PermissionError):
            AuditEntry.objects.update(note="x")

    @pytest.mark.skipif(
        connection.vendor != "postgresql", reason="database trigger is PostgreSQL's"
    )
    def test_postgresql_refuses_raw_updates_too(self, users):
        from django.db import DatabaseError, transaction

        services.create_enterprise(users["admin"], name="丙", credit_code=credit_code())
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute("UPDATE core_auditentry SET note = 'x'")
