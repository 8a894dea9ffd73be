"""Uploads: size, type (extension and content), names with path tricks, and who may fetch them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from disputes.services import case_message_add, case_open
from disputes.uploads import MAX_ATTACHMENT_BYTES, attachment_safe_name
from prm.core.errors import DomainError

PDF = b"%PDF-1.7\n%test\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def _case(world, partner=None, user="partner_admin"):
    return case_open(
        actor=world.users[user],
        partner=partner or world.partner,
        kind="payout",
        subject="Payout",
        description="Wrong",
    )


def _upload(world, case, name, content, user="partner_admin"):
    return case_message_add(
        case=case,
        actor=world.users[user],
        body="File",
        upload=SimpleUploadedFile(name, content),
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("scan.pdf", PDF),
        ("photo.png", PNG),
        ("photo.JPG", b"\xff\xd8\xff\xe0x"),
        ("a.csv", b"a,b\n"),
    ],
)
def test_allowed_types_are_stored_under_the_case_with_a_random_name(world, name, content):
    case = _case(world)

    message = _upload(world, case, name, content)

    assert message.attachment.name.startswith(f"disputes/{case.pk}/")
    assert name not in message.attachment.name
    assert message.attachment_name == name
    assert message.attachment_size == len(content)


def test_an_oversized_file_is_refused(world):
    case = _case(world)
    with pytest.raises(DomainError, match="10 MB"):
        _upload(world, case, "big.txt", b"a" * (MAX_ATTACHMENT_BYTES + 1))
    assert not case.messages.exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("tool.exe", b"MZ\x90\x00"),
        ("page.html", b"<html></html>"),
        ("fake.pdf", b"<script>alert(1)</script>"),
        ("fake.png", PDF),
        ("binary.txt", b"\x00\x01\x02MZ"),
        ("noextension", b"hello"),
    ],
)
def test_a_wrong_type_is_refused(world, name, content):
    case = _case(world)
    with pytest.raises(DomainError):
        _upload(world, case, name, content)


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\evil.pdf", "evil.pdf"),
        ("/abs/path/.hidden.csv", "hidden.csv"),
        ('we"ird\r\nname.txt', "we_ird__name.txt"),
    ],
)
def test_names_with_path_tricks_are_sanitised(name, safe):
    assert attachment_safe_name(name) == safe


def test_a_path_trick_name_is_stored_safely(world):
    case = _case(world)

    message = _upload(world, case, "../../../settings.txt", b"hello")

    assert message.attachment_name == "settings.txt"
    assert ".." not in message.attachment.name


@pytest.mark.reliability("attack", "uploaded files served only to those who may see them")
def test_the_download_is_an_attachment_that_browsers_do_not_sniff(world):
    case = _case(world)
    message = _upload(world, case, "scan.pdf", PDF)
    url = reverse("case_attachment", kwargs={"pk": case.pk, "message_pk": message.pk})

    response = world.client("partner_finance").get(url)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="scan.pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF


@pytest.mark.reliability("attack", "uploaded files served only to those who may see them")
def test_another_partner_fetching_the_attachment_url_gets_404(world):
    case = _case(world)
    message = _upload(world, case, "scan.pdf", PDF)
    url = reverse("case_attachment", kwargs={"pk": case.pk, "message_pk": message.pk})

    assert world.client("other_partner").get(url).status_code == 404
    assert world.client("cm_unassigned").get(url).status_code == 404
    # The stored file has no public address: /media/ is not served outside DEBUG.
    stored = "/media/" + message.attachment.name
    for role in ("anonymous", "other_partner", "partner_finance"):
        assert world.client(role).get(stored).status_code == 404


@pytest.mark.reliability("attack", "uploaded files served only to those who may see them")
def test_an_attachment_on_an_internal_note_is_hidden_from_the_partner(world):
    case = _case(world)
    message = case_message_add(
        case=case,
        actor=world.users["cm_assigned"],
        body="Internal",
        internal=True,
        upload=SimpleUploadedFile("memo.txt", b"secret"),
    )
    url = reverse("case_attachment", kwargs={"pk": case.pk, "message_pk": message.pk})

    assert world.client("partner_admin").get(url).status_code == 404
    assert world.client("vendor_admin").get(url).status_code == 200


def test_an_upload_through_the_page_reports_a_refusal(world):
    case = _case(world)
    client = world.client("partner_admin")

    response = client.post(
        reverse("case_message", kwargs={"pk": case.pk}),
        {"body": "Here", "attachment": SimpleUploadedFile("x.exe", b"MZ")},
        follow=True,
    )

    assert response.status_code == 200
    assert "Attach a PDF" in response.content.decode()
    assert not case.messages.exists()
