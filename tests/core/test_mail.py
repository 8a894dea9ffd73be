import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives, send_mail
from django.db import transaction

from prm.core.mail import message_from_dict, message_to_dict

pytestmark = pytest.mark.django_db


def test_email_is_queued_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            send_mail("Subject", "Body", "from@prm.example", ["to@partner.example"])
        assert mail.outbox == []  # nothing leaves before the transaction commits
    assert len(callbacks) == 1
    callbacks[0]()
    assert [m.subject for m in mail.outbox] == ["Subject"]


def _send_then_fail() -> None:
    with transaction.atomic():
        send_mail("Subject", "Body", "from@prm.example", ["to@partner.example"])
        raise RuntimeError("rolled back")


def test_nothing_is_sent_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        _send_then_fail()
    assert mail.outbox == []


def test_message_round_trips_through_json_payload():
    message = EmailMultiAlternatives(
        "對帳單已核准",
        "本文",
        "from@prm.example",
        ["a@x.test"],
        cc=["c@x.test"],
        headers={"X-Partner": "P-A"},
    )
    message.attach_alternative("<p>本文</p>", "text/html")
    message.attach("statement.csv", "sku,amount\nSW-24,100.00\n", "text/csv")
    import json

    rebuilt = message_from_dict(json.loads(json.dumps(message_to_dict(message))))
    assert (rebuilt.subject, rebuilt.body, rebuilt.to, rebuilt.cc) == (
        "對帳單已核准",
        "本文",
        ["a@x.test"],
        ["c@x.test"],
    )
    assert rebuilt.extra_headers == {"X-Partner": "P-A"}
    assert rebuilt.alternatives[0][1] == "text/html"
    assert rebuilt.attachments[0][0] == "statement.csv"


def test_binary_attachments_survive_the_queue():
    """A PDF travels through the broker as base64 text and comes out as the same bytes."""
    import json

    message = EmailMultiAlternatives("Subject", "Body", "from@prm.example", ["to@x.example"])
    pdf = b"%PDF-1.7\n\x00\xff\xfe binary"
    message.attach("statement.pdf", pdf, "application/pdf")
    message.attach("note.txt", "plain text", "text/plain")
    payload = json.loads(json.dumps(message_to_dict(message)))
    rebuilt = message_from_dict(payload)
    assert [(a[0], a[1], a[2]) for a in rebuilt.attachments] == [
        ("statement.pdf", pdf, "application/pdf"),
        ("note.txt", "plain text", "text/plain"),
    ]
