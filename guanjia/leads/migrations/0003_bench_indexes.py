"""Indexes the leads benchmark asked for (bench/leads.py, docs/benchmarks.md): the default
order alone and within a status, and a trigram index for searching intended projects by name
on PostgreSQL."""

from django.db import migrations, models

from guanjia.core.pg import trigram_index

forwards, backwards = trigram_index("leads_lead", "name", "lead_name_trgm")


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0002_visits_trips"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(fields=["-updated_at", "-id"], name="lead_updated"),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                fields=["status", "-updated_at", "-id"], name="lead_status_updated"
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
