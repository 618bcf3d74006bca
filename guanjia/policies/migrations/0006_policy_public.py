from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("policies", "0005_status_check")]

    operations = [
        migrations.AddField(
            model_name="policy",
            name="public",
            field=models.BooleanField(
                db_index=True, default=False, verbose_name="shown on the public portal"
            ),
        ),
    ]
