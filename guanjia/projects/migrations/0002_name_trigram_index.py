from django.db import migrations

from guanjia.core.pg import trigram_index

# Ledger search ("name contains …") over 100,000 projects uses this index on PostgreSQL.
forwards, backwards = trigram_index("projects_project", "name", "project_name_trgm")


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
