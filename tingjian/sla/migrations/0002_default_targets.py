from django.db import migrations

from tingjian.sla.defaults import DEFAULT_TARGETS


def load(apps, schema_editor):
    Target = apps.get_model("sla", "Target")
    SlaSettings = apps.get_model("sla", "SlaSettings")
    if not Target.objects.exists():
        Target.objects.bulk_create(
            Target(kind=k, stage=st, severity=sev, channel=ch, minutes=m, business_hours=bh)
            for k, st, sev, ch, m, bh in DEFAULT_TARGETS
        )
    SlaSettings.objects.get_or_create(pk=1, defaults={"pause_on": ["customer"]})


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
