"""Writes of the resource library: vendor staff add resources and their versions and draft an
announcement of one; every reader's download and visit is recorded."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from disputes.uploads import attachment_check
from partners.models import Announcement, Partner, Territory, Tier
from partners.services.announcements import announcement_create
from prm.core.errors import DomainError
from prm.core.events import event_record

from .resource_models import Resource, ResourceDownload, ResourceVersion, ResourceVisit

# A reader's requests to the library closer together than this are one visit: the badges of
# "new since your last visit" stay while they page, search and come back from a download.
VISIT_GAP = dt.timedelta(minutes=30)

# The announcement category that carries each kind of resource.
ANNOUNCEMENT_CATEGORY = {
    Resource.Category.PRODUCT_INFORMATION: Announcement.Category.PRODUCT_UPDATE,
    Resource.Category.MARKET_RESEARCH: Announcement.Category.MARKET_INFORMATION,
    Resource.Category.COMPETITIVE_INTELLIGENCE: Announcement.Category.COMPETITIVE_INTELLIGENCE,
    Resource.Category.SALES_PLAYBOOK: Announcement.Category.MARKET_INFORMATION,
    Resource.Category.SUCCESS_STORY: Announcement.Category.MARKET_INFORMATION,
}


def _require_vendor_staff(actor) -> None:
    if not getattr(actor, "is_vendor_staff", False):
        raise DomainError(_("Only vendor staff maintain the resource library."))


def _version(*, resource: Resource, number: int, actor, upload, link: str, notes: str):
    link = (link or "").strip()
    if bool(upload) == bool(link):
        raise DomainError(_("Upload a file or give a link, not both."), field="file")
    version = ResourceVersion(
        resource=resource,
        number=number,
        notes=(notes or "").strip(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    if link:
        try:
            URLValidator(schemes=["https", "http"])(link)
        except ValidationError as exc:
            raise DomainError(_("Enter a web address (https://…)."), field="link") from exc
        version.link = link
    else:
        try:
            version.file_name = attachment_check(upload)
        except DomainError as error:
            raise DomainError(error.message, field="file") from error
        version.file_size = upload.size
        version.file = default_storage.save(f"resources/{resource.pk}/{uuid.uuid4().hex}", upload)
    version.full_clean(exclude=["resource"])
    version.save()
    return version


@transaction.atomic
def resource_create(
    *,
    actor,
    title: str,
    category: str,
    local_title: str = "",
    description: str = "",
    local_description: str = "",
    language: str = "",
    tiers: Iterable[Tier] = (),
    territories: Iterable[Territory] = (),
    for_admin: bool = True,
    for_finance: bool = True,
    for_sales: bool = True,
    upload=None,
    link: str = "",
    notes: str = "",
    now: dt.datetime | None = None,
) -> Resource:
    """Add a resource with its first version (a file checked like a case attachment, or a
    link). No tier or territory means every partner."""
    _require_vendor_staff(actor)
    if not (for_admin or for_finance or for_sales):
        raise DomainError(_("Choose at least one partner role."), field="for_admin")
    resource = Resource(
        title=title.strip(),
        local_title=local_title.strip(),
        description=description.strip(),
        local_description=local_description.strip(),
        category=category,
        language=language,
        for_admin=for_admin,
        for_finance=for_finance,
        for_sales=for_sales,
        updated_on=now or timezone.now(),
        created_by=actor,
    )
    resource.full_clean(exclude=["current_version", "created_by"])
    resource.save()
    resource.tiers.set(list(tiers))
    resource.territories.set(list(territories))
    version = _version(
        resource=resource, number=1, actor=actor, upload=upload, link=link, notes=notes
    )
    resource.current_version = version
    resource.save(update_fields=["current_version", "updated_at"])
    event_record(
        actor=actor, verb="resource.created", target=resource, after={"title": resource.title}
    )
    return resource


@transaction.atomic
def resource_version_add(
    *,
    actor,
    resource: Resource,
    upload=None,
    link: str = "",
    notes: str = "",
    now: dt.datetime | None = None,
) -> ResourceVersion:
    """Add the next version and make it current; the earlier versions stay downloadable. The
    resource shows as new to readers who have not visited since."""
    _require_vendor_staff(actor)
    locked = Resource.objects.select_for_update().get(pk=resource.pk)
    number = (locked.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = _version(
        resource=locked, number=number, actor=actor, upload=upload, link=link, notes=notes
    )
    locked.current_version = version
    locked.updated_on = now or timezone.now()
    locked.save(update_fields=["current_version", "updated_on", "updated_at"])
    event_record(
        actor=actor,
        verb="resource.version_added",
        target=locked,
        after={"title": locked.title, "number": number},
    )
    resource.current_version, resource.updated_on = version, locked.updated_on
    return version


def resource_download_record(
    *, version: ResourceVersion, user, partner: Partner | None
) -> ResourceDownload:
    """Count one download (or opened link) for the partner the reader acts for."""
    return ResourceDownload.objects.create(
        version=version,
        partner=partner,
        user=user if getattr(user, "is_authenticated", False) else None,
    )


def resource_visit_record(*, user, now: dt.datetime | None = None) -> dt.datetime | None:
    """Note a visit to the library and answer the moment before which nothing is new to the
    reader (None on their first visit: everything is new). Requests within VISIT_GAP of the
    last one belong to the same visit and keep its threshold."""
    now = now or timezone.now()
    with transaction.atomic():
        visit = ResourceVisit.objects.select_for_update().filter(user=user).first()
        if visit is None:
            try:
                with transaction.atomic():
                    ResourceVisit.objects.create(user=user, last_visit=now)
                return None
            except IntegrityError:
                # The same reader's other request recorded the first visit a moment ago.
                visit = ResourceVisit.objects.select_for_update().get(user=user)
        if now - visit.last_visit > VISIT_GAP:
            visit.previous_visit = visit.last_visit
        visit.last_visit = now
        visit.save(update_fields=["previous_visit", "last_visit"])
        return visit.previous_visit


@transaction.atomic
def resource_announce(*, actor, resource: Resource) -> Announcement:
    """Draft an announcement of the resource to its audience (its tiers, else its territories,
    else every partner), for the author to preview and publish from the announcement pages."""
    _require_vendor_staff(actor)
    tiers = list(resource.tiers.all())
    territories = list(resource.territories.all())
    if tiers:
        audience = Announcement.Audience.TIERS
    elif territories:
        audience = Announcement.Audience.TERRITORIES
    else:
        audience = Announcement.Audience.ALL
    path = reverse("resource_detail", kwargs={"pk": resource.pk})
    announcement = announcement_create(
        actor=actor,
        title=resource.title[:200],
        local_title=resource.local_title[:200],
        body=f"{resource.description}\n\n{path}".strip(),
        local_body=f"{resource.local_description}\n\n{path}".strip()
        if resource.local_description
        else "",
        category=ANNOUNCEMENT_CATEGORY[resource.category],
        audience=audience,
        tiers=tiers,
        territories=territories,
    )
    event_record(
        actor=actor,
        verb="resource.announced",
        target=resource,
        after={"title": resource.title, "announcement": announcement.pk},
    )
    return announcement
