"""Data migration: phone identities stored as typed digits become E.164 (+886912345678).

A number that would become the same as another customer's already-normalised number is
left as it was (it still matches as typed); merging those two customers is an agent's call.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from tingjian.customers.handles import normalise_phone

    Identity = apps.get_model("customers", "Identity")
    taken = set(Identity.objects.filter(kind="phone").values_list("external_id", flat=True))
    for identity in Identity.objects.filter(kind="phone").order_by("pk"):
        try:
            value = normalise_phone(identity.external_id)
        except Exception:
            continue
        if value == identity.external_id or value in taken:
            continue
        taken.discard(identity.external_id)
        taken.add(value)
        identity.external_id = value
        identity.save(update_fields=["external_id"])


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_customer_merged_into_identity_source_and_more")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
