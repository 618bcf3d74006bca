"""The ledger app is gone (its pages and Excel work live in projects, its import jobs in
core): remove what it left in the database.

- `ledger_importjob`, on a database that had ledger 0001–0002 but never ran ledger 0003:
  0007_import_job has copied its rows into core_importjob, so the table goes.
- The ScheduledJob row of the sweep's old name (its task is now
  guanjia.core.sheets.jobs.fail_abandoned_imports, a row of its own).
- The `ledger` content types (with their permissions), once nothing else points at them:
  0007_import_job moved the notifications' targets to core.importjob.
"""

from django.db import migrations

OLD_SWEEP = "guanjia.ledger.tasks.fail_abandoned_imports"


def drop_ledger_leftovers(apps, schema_editor):
    connection = schema_editor.connection
    if "ledger_importjob" in connection.introspection.table_names():
        schema_editor.execute(f"DROP TABLE {schema_editor.quote_name('ledger_importjob')}")
    db = connection.alias
    apps.get_model("core", "ScheduledJob").objects.using(db).filter(name=OLD_SWEEP).delete()
    ContentType = apps.get_model("contenttypes", "ContentType")
    StatusChange = apps.get_model("core", "StatusChange")
    for content_type in ContentType.objects.using(db).filter(app_label="ledger"):
        if StatusChange.objects.using(db).filter(content_type=content_type).exists():
            continue  # still referenced: left for a person to look at
        # Its permissions (and their grants) go with it; admin log entries keep a null type.
        content_type.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0009_import_job_mapping"),
        # The models that point at content types, so that deleting one follows their rules.
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]

    operations = [
        migrations.RunPython(drop_ledger_leftovers, migrations.RunPython.noop, elidable=True),
    ]
