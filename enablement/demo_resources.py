"""Demo resources: one of each category, in English, Chinese or every language, some for a tier
or a territory, one link, and a battlecard with two versions (the first stays downloadable).
Idempotent: a resource whose title exists is left alone."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from partners.models import Territory, Tier

from .resource_models import Resource
from .resource_services import resource_create, resource_version_add

C = Resource.Category


def _pdf(text: str) -> bytes:
    """A small one-page PDF carrying `text` (ASCII)."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _file(name: str, text: str) -> SimpleUploadedFile:
    if name.endswith(".pdf"):
        return SimpleUploadedFile(name, _pdf(text), content_type="application/pdf")
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/plain")


# title, local title, description, local description, category, language, tiers, territories,
# file name or link, text
RESOURCES = [
    (
        "Wi-Fi 7 access point datasheet",
        "Wi-Fi 7 無線基地台規格書",
        "Specifications, ordering codes and licensing of the AP-7.",
        "AP-7 的規格、訂購代碼與授權方式。",
        C.PRODUCT_INFORMATION,
        "",
        [],
        [],
        "ap-7-datasheet.pdf",
        "AP-7 datasheet",
    ),
    (
        "Taiwan SMB networking market 2026",
        "2026 台灣中小企業網路市場研究",
        "Market size, growth and buying criteria of small businesses in Taiwan.",
        "台灣中小企業的市場規模、成長與採購考量。",
        C.MARKET_RESEARCH,
        "zh-hant",
        [],
        ["TW"],
        "tw-smb-market-2026.pdf",
        "Taiwan SMB market 2026",
    ),
    (
        "Firewall competitive battlecard",
        "防火牆競品比較卡",
        "How the FW-100 and FW-500 compare with the two main competitors, and how to answer "
        "their claims.",
        "FW-100 與 FW-500 對比兩大競品，以及如何回應對手的說法。",
        C.COMPETITIVE_INTELLIGENCE,
        "",
        ["gold", "platinum"],
        [],
        "firewall-battlecard.pdf",
        "Firewall battlecard v1",
    ),
    (
        "Campus refresh sales playbook",
        "校園網路更新銷售手冊",
        "Discovery questions, proposal outline and objection handling for campus network "
        "refresh projects.",
        "",
        C.SALES_PLAYBOOK,
        "en",
        [],
        [],
        "https://www.example.com/playbooks/campus-refresh",
        "",
    ),
    (
        "Success story: hospital Wi-Fi roll-out in Kowloon",
        "成功案例：九龍醫院 Wi-Fi 建置",
        "What went well and what we would do differently: a 600-bed hospital moved to Wi-Fi 6 "
        "in eight weeks.",
        "",
        C.SUCCESS_STORY,
        "",
        [],
        ["HK"],
        "hospital-wifi-lessons.txt",
        "Lessons learned: survey every floor before ordering; schedule cut-overs at night.",
    ),
]
BATTLECARD_V2 = ("firewall-battlecard-v2.pdf", "Firewall battlecard v2", "Adds the FW-500 figures.")


def seed_demo_resources(*, actor, now: dt.datetime | None = None) -> int:
    """Create the demo resources; returns the number created."""
    now = now or timezone.now()
    tiers = {t.code: t for t in Tier.objects.all()}
    territories = {t.code: t for t in Territory.objects.all()}
    existing = set(Resource.objects.values_list("title", flat=True))
    created = 0
    for index, row in enumerate(RESOURCES):
        title, local_title, description, local_description, category, language = row[:6]
        tier_codes, territory_codes, source, text = row[6:]
        if title in existing:
            continue
        is_link = source.startswith("https://")
        resource = resource_create(
            actor=actor,
            title=title,
            local_title=local_title,
            description=description,
            local_description=local_description,
            category=category,
            language=language,
            tiers=[tiers[c] for c in tier_codes if c in tiers],
            territories=[territories[c] for c in territory_codes if c in territories],
            upload=None if is_link else _file(source, text),
            link=source if is_link else "",
            notes="First edition.",
            # Older resources first, so that the list reads latest first.
            now=now - dt.timedelta(days=30 - index * 5),
        )
        if category == C.COMPETITIVE_INTELLIGENCE:
            name, content, notes = BATTLECARD_V2
            resource_version_add(
                actor=actor, resource=resource, upload=_file(name, content), notes=notes, now=now
            )
        created += 1
    return created
