"""One home for decisions: FundRequest, FundClaim and PriceProtectionClaim share the abstract
`Decision` (decided_by, decided_at, decision_reason). `reason` is renamed, not dropped: every
recorded reason stays."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("funds", "0003_protection_tier_discount_trigger")]

    operations = [
        migrations.RenameField(model_name=model, old_name="reason", new_name="decision_reason")
        for model in ("fundrequest", "fundclaim", "priceprotectionclaim")
    ]
