"""The resource library: the audience rule, versions, downloads counted per partner, "new since
your last visit", search and filters, the vendor's forms, announcing a resource, and the list's
query count at two sizes."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from enablement.resource_models import Resource, ResourceDownload, ResourceVisit
from enablement.resource_selectors import Reader, resource_list
from enablement.resource_services import (
    VISIT_GAP,
    resource_create,
    resource_version_add,
    resource_visit_record,
)
from partners.models import Announcement, Territory
from prm.core.access import Role
from prm.core.errors import DomainError
from tests.factories import TierFactory

from .resource_objects import PDF, pdf, resource

pytestmark = pytest.mark.django_db
C = Resource.Category


@pytest.fixture(autouse=True)
def _memory_storage(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


def _reader(world, role: str, language: str = "en") -> Reader:
    user = world.users[role]
    if role.startswith("partner_") or role == "other_partner":
        membership = user.memberships.get()
        return Reader(
            user=user,
            role=Role(f"partner_{membership.role}"),
            partner=membership.partner,
            language=language,
        )
    vendor = Role.VENDOR_ADMIN if role == "vendor_admin" else Role.CHANNEL_MANAGER
    return Reader(user=user, role=vendor, partner=None, language=language)


def _titles(reader: Reader, **filters) -> set[str]:
    return set(resource_list(reader, **filters).values_list("title", flat=True))


def test_partner_users_see_the_resources_meant_for_their_tier_territory_role_and_language(world):
    # given partner A in gold and Taipei, partner B in silver and Hong Kong
    gold, silver = TierFactory(code="gold", rank=3), TierFactory(code="silver", rank=2)
    tw = Territory.objects.create(code="TW", name="Taiwan")
    tw_tpe = Territory.objects.create(code="TW-TPE", name="Taipei")
    hk = Territory.objects.create(code="HK", name="Hong Kong")
    world.partner.tier, world.other_partner.tier = gold, silver
    world.partner.save(update_fields=["tier"])
    world.other_partner.save(update_fields=["tier"])
    world.partner.territories.set([tw_tpe])
    world.other_partner.territories.set([hk])
    resource(world, "For everyone")
    resource(world, "Gold only", tiers=[gold])
    resource(world, "Silver only", tiers=[silver])
    resource(world, "Taiwan", territories=[tw])
    resource(world, "Taipei", territories=[tw_tpe])
    resource(world, "Hong Kong", territories=[hk])
    resource(world, "Sales only", for_admin=False, for_finance=False)
    resource(world, "Finance only", for_admin=False, for_sales=False)
    resource(world, "In Chinese", language="zh-hant")
    resource(world, "In English", language="en")
    everyone = {"For everyone", "Gold only", "Taiwan", "Taipei", "In English"}

    # then
    assert _titles(_reader(world, "partner_sales")) == everyone | {"Sales only"}
    assert _titles(_reader(world, "partner_finance")) == everyone | {"Finance only"}
    assert _titles(_reader(world, "partner_admin", "zh-hant")) == (everyone - {"In English"}) | {
        "In Chinese"
    }
    assert _titles(_reader(world, "other_partner")) == {
        "For everyone",
        "Silver only",
        "Hong Kong",
        "In English",
    }
    assert len(_titles(_reader(world, "cm_unassigned"))) == Resource.objects.count() == 10


def test_a_resource_outside_the_audience_answers_404_and_counts_no_download(world):
    hidden = resource(world, "Sales only", for_admin=False, for_finance=False)
    client = world.client("partner_admin")
    for name in ("resource_detail", "resource_download"):
        assert client.get(reverse(name, kwargs={"pk": hidden.pk})).status_code == 404
    url = reverse("resource_version_download", kwargs={"pk": hidden.pk, "number": 1})
    assert client.get(url).status_code == 404
    assert not ResourceDownload.objects.exists()
    response = world.client("partner_sales").get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF


def test_old_versions_stay_downloadable_and_downloads_are_counted_per_partner(world):
    # given a resource in two versions
    brochure = resource(world)
    v2 = resource_version_add(
        actor=world.users["cm_assigned"],
        resource=brochure,
        upload=pdf("brochure-v2.pdf", PDF + b"v2"),
        notes="New prices",
    )
    brochure.refresh_from_db()
    assert brochure.current_version == v2
    assert v2.number == 2

    # when users of both partners download
    sales, admin, other = (
        world.client(r) for r in ("partner_sales", "partner_admin", "other_partner")
    )
    current = reverse("resource_download", kwargs={"pk": brochure.pk})
    first = reverse("resource_version_download", kwargs={"pk": brochure.pk, "number": 1})
    assert b"".join(sales.get(current).streaming_content) == PDF + b"v2"
    assert b"".join(sales.get(first).streaming_content) == PDF
    response = admin.get(current)
    assert response["Content-Disposition"] == 'attachment; filename="brochure-v2.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    other.get(current)
    world.client("vendor_admin").get(current)

    # then
    counts = {
        (d.partner.code if d.partner else None, d.version.number)
        for d in ResourceDownload.objects.select_related("partner", "version")
    }
    assert counts == {("P-A", 2), ("P-A", 1), ("P-B", 2), (None, 2)}
    page = world.client("vendor_admin").get(reverse("resource_detail", kwargs={"pk": brochure.pk}))
    rows = {p.code: (p.downloads, p.readers) for p in page.context["downloads"]}
    assert rows == {"P-A": (3, 2), "P-B": (1, 1)}
    # A channel manager sees the partners assigned to them only.
    page = world.client("cm_assigned").get(reverse("resource_detail", kwargs={"pk": brochure.pk}))
    assert [p.code for p in page.context["downloads"]] == ["P-A"]
    # Partner users do not see the counts.
    page = sales.get(reverse("resource_detail", kwargs={"pk": brochure.pk}))
    assert "downloads" not in page.context
    assert "Downloads by partner" not in page.content.decode()


def test_a_link_version_redirects_and_is_counted(world):
    guide = resource_create(
        actor=world.users["vendor_admin"],
        title="Online guide",
        category=C.SALES_PLAYBOOK,
        link="https://example.com/guide",
    )
    response = world.client("partner_sales").get(reverse("resource_download", args=[guide.pk]))
    assert response.status_code == 302
    assert response["Location"] == "https://example.com/guide"
    assert ResourceDownload.objects.get().partner == world.partner


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("tool.exe", b"MZ\x90\x00", "Attach a PDF"),
        ("fake.pdf", b"MZ\x90\x00binary", "does not match its type"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_uploads_are_checked_like_case_attachments(world, name, content, message):
    upload = SimpleUploadedFile(name, content)
    with pytest.raises(DomainError, match=message):
        resource_create(
            actor=world.users["vendor_admin"],
            title="Bad",
            category=C.PRODUCT_INFORMATION,
            upload=upload,
        )
    assert not Resource.objects.exists()


def test_a_version_is_a_file_or_a_link_and_only_vendor_staff_write(world):
    with pytest.raises(DomainError):
        resource_create(
            actor=world.users["vendor_admin"],
            title="Both",
            category=C.PRODUCT_INFORMATION,
            upload=pdf(),
            link="https://example.com/",
        )
    with pytest.raises(DomainError):
        resource_create(
            actor=world.users["partner_admin"],
            title="Mine",
            category=C.PRODUCT_INFORMATION,
            upload=pdf(),
        )
    with pytest.raises(DomainError, match="role"):
        resource_create(
            actor=world.users["vendor_admin"],
            title="Nobody",
            category=C.PRODUCT_INFORMATION,
            upload=pdf(),
            for_admin=False,
            for_finance=False,
            for_sales=False,
        )
    assert not Resource.objects.exists()


def test_search_and_filters(world):
    resource(world, "Firewall battlecard", category=C.COMPETITIVE_INTELLIGENCE)
    resource(world, "防火牆市場研究", category=C.MARKET_RESEARCH, language="zh-hant")
    resource(
        world,
        "Campus playbook",
        category=C.SALES_PLAYBOOK,
        language="en",
        description="Winning FIREWALL refresh deals",
    )
    vendor = _reader(world, "vendor_admin")
    assert _titles(vendor, search="firewall") == {"Firewall battlecard", "Campus playbook"}
    assert _titles(vendor, search="防火牆") == {"防火牆市場研究"}
    assert _titles(vendor, category=C.SALES_PLAYBOOK) == {"Campus playbook"}
    assert _titles(vendor, language="zh-hant") == {"防火牆市場研究"}
    assert _titles(vendor, language="") == {"Firewall battlecard"}
    client = world.client("vendor_admin")
    page = client.get(reverse("resource_list"), {"q": "firewall", "category": "sales_playbook"})
    assert [r.title for r in page.context["resources"]] == ["Campus playbook"]
    # A bad filter value filters nothing rather than failing.
    page = client.get(reverse("resource_list"), {"category": "nonsense"})
    assert page.status_code == 200
    assert len(page.context["resources"]) == 3
    # htmx asks for the results only.
    page = client.get(reverse("resource_list"), {"q": "battle"}, headers={"HX-Request": "true"})
    html = page.content.decode()
    assert html.lstrip().startswith('<div id="resource-results"')
    assert "Firewall battlecard" in html
    assert "Campus playbook" not in html


def test_new_since_your_last_visit(world):
    user = world.users["partner_sales"]
    start = timezone.now() - dt.timedelta(days=10)
    old = resource_create(
        actor=world.users["vendor_admin"],
        title="Old",
        category=C.PRODUCT_INFORMATION,
        upload=pdf(),
        now=start,
    )
    # The first visit: everything is new.
    assert resource_visit_record(user=user, now=start + dt.timedelta(days=1)) is None
    # A later visit: what was added since the first visit is new.
    later = resource_create(
        actor=world.users["vendor_admin"],
        title="Later",
        category=C.PRODUCT_INFORMATION,
        upload=pdf(),
        now=start + dt.timedelta(days=2),
    )
    second = start + dt.timedelta(days=3)
    assert resource_visit_record(user=user, now=second) == start + dt.timedelta(days=1)
    # Paging within the same visit keeps the threshold.
    within = second + VISIT_GAP - dt.timedelta(seconds=1)
    assert resource_visit_record(user=user, now=within) == start + dt.timedelta(days=1)
    # A new version of the old resource makes it new again at the next visit.
    resource_version_add(
        actor=world.users["vendor_admin"],
        resource=old,
        upload=pdf(),
        now=within + dt.timedelta(hours=1),
    )
    page = world.client("partner_sales").get(reverse("resource_list"))
    new = {r.title: r.is_new for r in page.context["resources"]}
    assert new == {"Old": True, "Later": False}
    assert page.content.decode().count("New since your last visit") == 1
    assert ResourceVisit.objects.get(user=user).previous_visit == within
    assert later.updated_on < within


def test_vendor_staff_add_a_resource_and_a_version_through_the_pages(world):
    client = world.client("cm_unassigned")
    response = client.post(
        reverse("resource_create"),
        {
            "title": "AP-7 datasheet",
            "category": C.PRODUCT_INFORMATION,
            "language": "",
            "for_admin": "on",
            "for_sales": "on",
            "file": pdf("ap7.pdf"),
            "notes": "First edition",
        },
    )
    created = Resource.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("resource_detail", args=[created.pk])
    assert (created.for_admin, created.for_finance, created.for_sales) == (True, False, True)
    assert created.current_version.file_name == "ap7.pdf"
    # A refused file comes back as a form error.
    bad = client.post(
        reverse("resource_version_create", args=[created.pk]),
        {"file": SimpleUploadedFile("x.pdf", b"not a pdf")},
    )
    assert bad.status_code == 200
    assert "does not match its type" in bad.content.decode()
    response = client.post(
        reverse("resource_version_create", args=[created.pk]),
        {"link": "https://example.com/ap7", "notes": "Moved online"},
    )
    assert response.status_code == 302
    created.refresh_from_db()
    assert created.current_version.number == 2
    assert created.current_version.link == "https://example.com/ap7"
    assert created.versions.count() == 2


def test_announcing_a_resource_drafts_an_announcement_to_its_audience(world):
    gold = TierFactory(code="gold", rank=3)
    battlecard = resource(world, "Battlecard", category=C.COMPETITIVE_INTELLIGENCE, tiers=[gold])
    response = world.client("vendor_admin").post(reverse("resource_announce", args=[battlecard.pk]))
    announcement = Announcement.objects.get()
    assert response["Location"] == reverse("announcement_detail", args=[announcement.pk])
    assert announcement.published_at is None
    assert announcement.category == Announcement.Category.COMPETITIVE_INTELLIGENCE
    assert announcement.audience == Announcement.Audience.TIERS
    assert list(announcement.tiers.all()) == [gold]
    assert reverse("resource_detail", args=[battlecard.pk]) in announcement.body
    assert (
        world.client("partner_admin")
        .post(reverse("resource_announce", args=[battlecard.pk]))
        .status_code
        == 403
    )
    assert Announcement.objects.count() == 1


def _many(world, count: int) -> None:
    gold = TierFactory(code="gold", rank=3)
    hk = Territory.objects.create(code="HK", name="Hong Kong")
    for index in range(count):
        resource(
            world,
            f"Resource {index}",
            tiers=[gold] if index % 3 == 0 else [],
            territories=[hk] if index % 4 == 0 else [],
            link="",
        )


@pytest.mark.parametrize(("role", "queries"), [("partner_sales", 10), ("vendor_admin", 8)])
@pytest.mark.parametrize("count", [3, 30])
def test_the_list_runs_a_constant_number_of_queries(
    world, django_assert_num_queries, role, queries, count
):
    _many(world, count)
    client = world.client(role)
    client.get(reverse("resource_list"))
    with django_assert_num_queries(queries):
        response = client.get(reverse("resource_list"), {"q": "Resource"})
    assert response.status_code == 200


@pytest.mark.parametrize(("role", "queries"), [("partner_sales", 6), ("vendor_admin", 7)])
@pytest.mark.parametrize("count", [1, 6])
def test_the_detail_runs_a_constant_number_of_queries(
    world, django_assert_num_queries, role, queries, count
):
    brochure = resource(world)
    for _ in range(count):
        resource_version_add(actor=world.users["vendor_admin"], resource=brochure, upload=pdf())
    for reader in ("partner_sales", "partner_admin", "other_partner")[: 1 + count % 3]:
        world.client(reader).get(reverse("resource_download", args=[brochure.pk]))
    client = world.client(role)
    with django_assert_num_queries(queries):
        response = client.get(reverse("resource_detail", args=[brochure.pk]))
    assert len(response.context["versions"]) == count + 1
