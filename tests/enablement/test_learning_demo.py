"""The demo courses: open to the demo partners' people, with modules and a quiz that a demo user
passes to a certificate; written once."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from enablement.demo_learning import seed_demo_learning, seed_demo_workshops
from enablement.learning import course_list_for_member, quiz_submit
from enablement.models import Certificate, Choice, Course, Module, Workshop
from partners.models import Partner

pytestmark = pytest.mark.django_db


def test_the_demo_courses_are_taken_to_a_certificate(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    call_command("seed_demo", verbosity=0)
    assert seed_demo_learning() == 0
    assert seed_demo_workshops() == 0
    tomorrow, webinar = Workshop.objects.order_by("starts_at")
    assert tomorrow.registrations.filter(status="confirmed").count() == 2
    # the webinar is full: the third person waits
    assert list(webinar.registrations.values_list("status", flat=True).order_by("pk")) == [
        "confirmed",
        "confirmed",
        "waiting",
    ]
    assert Course.objects.count() == 2
    assert set(Module.objects.values_list("kind", flat=True)) == {"text", "video", "file"}
    finance = get_user_model().objects.get(email="finance@formosa.example")
    formosa = Partner.objects.get(code="P-FORMOSA")
    # the security course is for admins and sales only
    assert [
        c.code for c in course_list_for_member(user=finance, partner=formosa, role="finance")
    ] == ["NET-101"]
    course = Course.objects.get(code="NET-101")
    answers = {
        question.pk: set(
            Choice.objects.filter(question=question, correct=True).values_list("pk", flat=True)
        )
        for question in course.quiz.questions.all()
    }
    result = quiz_submit(user=finance, course=course, answers=answers)
    assert result.attempt.passed
    assert Certificate.objects.filter(user=finance, certification__code="NET-PRO").exists()
