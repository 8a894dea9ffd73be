"""The bad-input corpus for case attachments: each file is refused with its reason and nothing is
stored, or stored under a safe name."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from disputes.models import CaseMessage
from disputes.services import case_message_add, case_open
from disputes.uploads import MAX_ATTACHMENT_BYTES
from prm.core.errors import DomainError

WRONG_TYPE = "Attach a PDF, PNG, JPEG, CSV or text file."
MISMATCH = "The file's content does not match its type."
PDF = b"%PDF-1.7\n%test\n"

REFUSED = {
    "an executable": ("tool.exe", b"MZ\x90\x00", WRONG_TYPE),
    "an executable disguised as a PDF": ("invoice.pdf", b"MZ\x90\x00\x03", MISMATCH),
    "HTML disguised as a PNG": ("photo.png", b"<html><script>x</script>", MISMATCH),
    "a PDF disguised as a JPEG": ("photo.jpg", PDF, MISMATCH),
    "a double extension ending in .exe": ("report.pdf.exe", PDF, WRONG_TYPE),
    "binary bytes named .txt": ("notes.txt", b"\x00\x01\x02\x03", MISMATCH),
    "UTF-16 text named .csv": ("rows.csv", "a,b\n".encode("utf-16"), MISMATCH),
    "Latin-1 text named .txt": ("notes.txt", "Café crème".encode("latin-1"), MISMATCH),
    "an SVG": ("logo.svg", b"<svg onload=alert(1)>", WRONG_TYPE),
    "no extension": ("README", b"hello", WRONG_TYPE),
    "an empty file": ("empty.pdf", b"", "The file is empty."),
    "an empty text file": ("empty.txt", b"", "The file is empty."),
    "one byte over 10 MB": (
        "big.txt",
        b"a" * (MAX_ATTACHMENT_BYTES + 1),
        "Attachments are limited",
    ),
}
STORED = {
    "a NUL byte in the name": ("scan\x00.pdf", PDF, "scan_.pdf"),
    "control characters in the name": ("a\x07b\x1b.txt", b"ok", "a_b_.txt"),
    "a path in the name": ("../../etc/passwd.txt", b"ok", "passwd.txt"),
    "a 300-character name keeps its extension": ("n" * 300 + ".pdf", PDF, "n" * 96 + ".pdf"),
    "exactly 10 MB": ("big.txt", b"a" * MAX_ATTACHMENT_BYTES, "big.txt"),
    "a name of dots only": ("...", b"x", None),
}


def _case(world):
    return case_open(
        actor=world.users["partner_admin"],
        partner=world.partner,
        kind="payout",
        subject="Payout",
        description="Wrong",
    )


def _upload(world, case, name, content):
    return case_message_add(
        case=case,
        actor=world.users["partner_admin"],
        body="File",
        upload=SimpleUploadedFile(name, content),
    )


@pytest.mark.reliability("bad input", "attachments")
@pytest.mark.parametrize(("name", "content", "reason"), REFUSED.values(), ids=list(REFUSED))
def test_a_bad_attachment_is_refused_and_nothing_is_stored(world, name, content, reason):
    case = _case(world)

    with pytest.raises(DomainError) as raised:
        _upload(world, case, name, content)

    assert str(
        raised.value.message if hasattr(raised.value, "message") else raised.value
    ).startswith(reason)
    assert not CaseMessage.objects.filter(case=case).exclude(attachment="").exists()


@pytest.mark.reliability("bad input", "attachments")
@pytest.mark.parametrize(("name", "content", "safe"), STORED.values(), ids=list(STORED))
def test_an_odd_name_is_stored_safely(world, name, content, safe):
    case = _case(world)

    if safe is None:
        with pytest.raises(DomainError):
            _upload(world, case, name, content)
        return
    message = _upload(world, case, name, content)

    assert message.attachment_name == safe
    assert message.attachment.name.startswith(f"disputes/{case.pk}/")
