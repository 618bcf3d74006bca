"""The audit log's retention: the append-only trigger lets exactly one DELETE through.

UPDATE is always refused. DELETE is refused unless the transaction set
`guanjia.audit_purge` to the retention in days (guanjia.core.audit.purge_expired does) and
the row is older than that retention — and never younger than 180 days, whatever it says.
"""

from django.db import migrations, models

TRIGGER = r"""
CREATE OR REPLACE FUNCTION core_auditentry_refuse_change() RETURNS trigger AS $$
DECLARE
    retention text := coalesce(current_setting('guanjia.audit_purge', true), '');
BEGIN
    IF TG_OP = 'DELETE' AND retention ~ '^[0-9]+$'
       AND OLD.at < now() - make_interval(days => greatest(180, retention::int)) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql;
"""

PREVIOUS = """
CREATE OR REPLACE FUNCTION core_auditentry_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PREVIOUS)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_scheduled_job")]

    operations = [
        migrations.AlterField(
            model_name="auditentry",
            name="action",
            field=models.CharField(
                choices=[
                    ("create", "Create"),
                    ("update", "Update"),
                    ("delete", "Delete"),
                    ("transition", "Stage change"),
                    ("merge", "Merge"),
                    ("import", "Import"),
                    ("login", "Log-in"),
                    ("unmask", "Reveal personal data"),
                    ("export", "Export"),
                    ("purge", "Retention purge"),
                ],
                max_length=20,
                verbose_name="action",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
