"""Courses for partner users: the audience by tier and role, the language of the texts, modules
marked done, the quiz marked on the server, and the certificate that only a pass earns."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from enablement.dates import certificate_expiry
from enablement.learning import quiz_submit
from enablement.models import Certificate, Choice, Course, Enrollment, Module, QuizAttempt
from tests.factories import TierFactory

from .learning_builders import course_build, right_answers


def _course_url(course, name="learning_course"):
    return reverse(name, kwargs={"code": course.code})


def _codes(response):
    return [course.code for course in response.context["courses"]]


# --- audience ----------------------------------------------------------------------------------


def test_courses_for_the_partners_tier_and_the_users_role(world):
    tier = world.partner.tier
    other_tier = world.other_partner.tier
    course_build(code="ALL")
    course_build(code="MY-TIER", tiers=[tier])
    course_build(code="OTHER-TIER", tiers=[other_tier])
    course_build(code="SALES", roles=["sales"])
    course_build(code="FINANCE", tiers=[tier, other_tier], roles=["finance"])
    hidden = course_build(code="DRAFT")
    Course.objects.filter(pk=hidden.pk).update(published=False)

    home = reverse("learning_home")
    assert _codes(world.client("partner_sales").get(home)) == ["ALL", "MY-TIER", "SALES"]
    assert _codes(world.client("partner_finance").get(home)) == ["ALL", "FINANCE", "MY-TIER"]
    assert _codes(world.client("other_partner").get(home)) == ["ALL", "OTHER-TIER"]


@pytest.mark.parametrize(
    ("code", "role", "status"),
    [
        ("OTHER-TIER", "partner_sales", 404),
        ("SALES", "partner_finance", 404),
        ("DRAFT", "partner_sales", 404),
        ("SALES", "partner_sales", 200),
    ],
)
def test_a_course_outside_the_audience_answers_404(world, code, role, status):
    course = course_build(code=code, tiers=[world.other_partner.tier] if "TIER" in code else [])
    Course.objects.filter(pk=course.pk).update(
        roles=["sales"] if code == "SALES" else [], published=code != "DRAFT"
    )
    client = world.client(role)
    assert client.get(_course_url(course)).status_code == status
    assert client.get(_course_url(course, "learning_quiz")).status_code == status
    response = client.post(_course_url(course, "learning_quiz"), right_answers(course))
    assert response.status_code == (302 if status == 200 else status)
    if status == 404:
        assert not Certificate.objects.exists()
        assert not QuizAttempt.objects.exists()


def test_vendor_staff_go_to_the_rates(world):
    response = world.client("cm_assigned").get(reverse("learning_home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("learning_course_report")


def test_texts_in_zh_hant_when_filled_in_else_english(world):
    course = course_build()
    client = world.client("partner_sales")
    client.post(reverse("set_language"), {"language": "zh-hant"})
    body = client.get(_course_url(course)).content.decode()
    assert "網路基礎" in body
    assert "Switching" in body  # no Chinese title for the module: English
    quiz = client.get(_course_url(course, "learning_quiz")).content.decode()
    assert "交換器在哪一層？" in quiz
    assert "Routing protocols?" in quiz
    client.post(reverse("set_language"), {"language": "en"})
    assert "Networking basics" in client.get(_course_url(course)).content.decode()


# --- modules -----------------------------------------------------------------------------------


def test_marking_every_module_done_completes_the_course(world):
    course = course_build()
    client = world.client("partner_sales")
    first, second = course.modules.order_by("order")
    url = reverse("learning_module_done", kwargs={"code": course.code, "pk": first.pk})
    assert client.post(url).status_code == 302
    enrollment = Enrollment.objects.get(user=world.users["partner_sales"], course=course)
    assert list(enrollment.modules_done.all()) == [first]
    assert enrollment.completed_at is None
    assert client.get(reverse("learning_home")).context["courses"][0].done_count == 1
    client.post(reverse("learning_module_done", kwargs={"code": course.code, "pk": second.pk}))
    enrollment.refresh_from_db()
    assert enrollment.completed_at is not None
    assert enrollment.passed_at is None
    assert not Certificate.objects.exists()


def test_a_module_of_another_course_answers_404(world):
    course = course_build()
    other = course_build(code="SEC-101")
    foreign = other.modules.first()
    url = reverse("learning_module_done", kwargs={"code": course.code, "pk": foreign.pk})
    assert world.client("partner_sales").post(url).status_code == 404
    assert not Enrollment.objects.filter(course=other).exists()


def test_a_file_module_refuses_content_that_does_not_match_its_type():
    module = Module(
        course=Course(code="X", title="X"),
        kind="file",
        title="Datasheet",
        file=SimpleUploadedFile("datasheet.pdf", b"MZ\x90\x00 not a pdf"),
    )
    with pytest.raises(ValidationError) as error:
        module.clean()
    assert "file" in error.value.message_dict


# --- the quiz ----------------------------------------------------------------------------------


def test_the_quiz_page_never_tells_which_choice_is_correct(world):
    course = course_build()
    response = world.client("partner_sales").get(_course_url(course, "learning_quiz"))
    body = response.content.decode()
    for question in response.context["questions"]:
        assert all(set(option) == {"pk", "text"} for option in question.options)
    # the form's markup is the same for right and wrong choices
    right = Choice.objects.get(text="Layer 2")
    wrong = Choice.objects.get(text="Layer 1")
    assert body.count(f'value="{right.pk}"') == body.count(f'value="{wrong.pk}"') == 1
    assert "correct" not in body.split('id="quiz-form"')[1].lower()
    # the question with two right answers takes checkboxes, the other radios
    assert body.count('type="checkbox"') == 3
    assert body.count('type="radio"') == 3


def test_passing_the_quiz_earns_the_certification_with_its_expiry(world):
    course = course_build()
    client = world.client("partner_sales")
    response = client.post(_course_url(course, "learning_quiz"), right_answers(course))
    assert response.status_code == 302
    certificate = Certificate.objects.get()
    today = timezone.localdate()
    assert certificate.user == world.users["partner_sales"]
    assert certificate.certification == course.certification
    assert certificate.earned == today
    assert certificate.expires == certificate_expiry(
        earned=today, validity_months=24, previous_expiry=None
    )
    attempt = QuizAttempt.objects.get()
    assert attempt.passed
    assert attempt.score == 100
    enrollment = Enrollment.objects.get()
    assert enrollment.passed_at is not None
    page = client.get(_course_url(course)).content.decode()
    assert reverse("certificate_pdf", kwargs={"pk": certificate.pk}) in page


@pytest.mark.parametrize(
    "tamper",
    [
        "nothing",
        "every_choice",
        "half_of_the_multiple",
        "choices_of_another_quiz",
        "not_numbers",
    ],
)
def test_a_certificate_cannot_be_earned_without_passing(world, tamper):
    course = course_build()
    other = course_build(code="SEC-101")
    questions = list(course.quiz.questions.order_by("order"))
    data: dict[str, list[str]] = {}
    if tamper == "every_choice":
        for question in questions:
            data[f"q{question.pk}"] = [str(c.pk) for c in question.choices.all()]
    elif tamper == "half_of_the_multiple":
        data = right_answers(course)
        data[f"q{questions[1].pk}"] = data[f"q{questions[1].pk}"][:1]
    elif tamper == "choices_of_another_quiz":
        # the right answers of another course's quiz, under this quiz's question names
        theirs = list(right_answers(other).values())
        data = {f"q{q.pk}": answer for q, answer in zip(questions, theirs, strict=True)}
    elif tamper == "not_numbers":
        data = {f"q{q.pk}": ["1 OR 1=1", "-1", "９"] for q in questions}
    client = world.client("partner_sales")
    assert client.post(_course_url(course, "learning_quiz"), data).status_code == 302
    attempt = QuizAttempt.objects.get()
    assert not attempt.passed
    assert not Certificate.objects.exists()
    assert not Enrollment.objects.filter(passed_at__isnull=False).exists()
    # marking every module done does not earn it either
    for module in course.modules.all():
        client.post(reverse("learning_module_done", kwargs={"code": course.code, "pk": module.pk}))
    assert not Certificate.objects.exists()


def test_the_pass_mark_is_inclusive_and_each_attempt_is_kept(world):
    course = course_build(pass_mark=50)
    user = world.users["partner_sales"]
    first, second = course.quiz.questions.order_by("order")
    right_first = set(first.choices.filter(correct=True).values_list("pk", flat=True))
    result = quiz_submit(user=user, course=course, answers={first.pk: right_first})
    assert result.attempt.score == 50
    assert result.attempt.passed
    assert result.certificate is not None
    assert result.attempt.answers == {str(first.pk): sorted(right_first), str(second.pk): []}
    course.quiz.pass_mark = 51
    course.quiz.save()
    again = quiz_submit(user=user, course=course, answers={first.pk: right_first})
    assert not again.attempt.passed
    assert QuizAttempt.objects.filter(user=user).count() == 2
    # the same day's pass is one certificate
    assert Certificate.objects.count() == 1


def test_a_course_without_certification_records_the_pass_only(world):
    course = course_build()
    Course.objects.filter(pk=course.pk).update(certification=None)
    course.refresh_from_db()
    world.client("partner_sales").post(_course_url(course, "learning_quiz"), right_answers(course))
    assert Enrollment.objects.get().passed_at is not None
    assert not Certificate.objects.exists()


def test_a_tier_in_the_audience_that_is_not_the_partners(world):
    platinum = TierFactory(code="platinum-only", rank=9)
    course = course_build(tiers=[platinum])
    assert world.client("partner_admin").get(_course_url(course)).status_code == 404
