from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("projects", "0006_status_check")]

    operations = [
        migrations.AddField(
            model_name="project",
            name="public",
            field=models.BooleanField(
                db_index=True, default=False, verbose_name="shown on the public portal"
            ),
        ),
    ]
