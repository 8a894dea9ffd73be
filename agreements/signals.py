"""Published versions keep their scope: the many-to-many terms cannot change after publishing."""

from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from .models import AgreementVersion, PublishedVersionImmutableError

GUARDED = {
    AgreementVersion.territories.through: "territories",
    AgreementVersion.product_lines.through: "product_lines",
    AgreementVersion.segments.through: "segments",
}


@receiver(m2m_changed)
def refuse_scope_change_of_published_version(sender, instance, action, reverse, **kwargs):
    if sender not in GUARDED or not action.startswith("pre_"):
        return
    versions = (
        [instance]
        if not reverse
        else list(AgreementVersion.objects.filter(pk__in=kwargs.get("pk_set") or []))
    )
    for version in versions:
        if isinstance(version, AgreementVersion) and version.pk:
            stored = AgreementVersion.objects.filter(pk=version.pk).values_list("status", flat=True)
            if stored and stored[0] != AgreementVersion.Status.DRAFT:
                raise PublishedVersionImmutableError(version, [GUARDED[sender]])
