from django.db import migrations

from guanjia.core.pg import trigram_index

forwards, backwards = trigram_index("enterprises_enterprise", "name", "enterprise_name_trgm")


class Migration(migrations.Migration):
    dependencies = [("enterprises", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
