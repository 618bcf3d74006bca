"""The audit log stays whole.

1. The actor of an entry is PROTECTed: a user who acted can no longer be deleted (on SQLite
   Django used to blank the actor out; on PostgreSQL the append-only trigger refused that
   UPDATE, so deleting a user was a 500). Users are deactivated instead
   (guanjia.accounts.models.User.deactivate); the foreign key refuses a raw DELETE too.
2. On PostgreSQL a statement-level trigger refuses TRUNCATE, which the row-level append-only
   trigger does not see. SQLite has no TRUNCATE. (The test suite's flush between
   transactional tests disables the trigger for that one statement as the table's owner:
   guanjia.testing.pgflush.)
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TRIGGER = """
CREATE OR REPLACE FUNCTION core_auditentry_refuse_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: TRUNCATE is refused';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS core_auditentry_no_truncate ON core_auditentry;
CREATE TRIGGER core_auditentry_no_truncate BEFORE TRUNCATE ON core_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION core_auditentry_refuse_truncate();
"""

UNDO = """
DROP TRIGGER IF EXISTS core_auditentry_no_truncate ON core_auditentry;
DROP FUNCTION IF EXISTS core_auditentry_refuse_truncate();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNDO)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_audit_retention"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditentry",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="actor",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
