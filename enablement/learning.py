"""Courses for partner users: which courses a person may take, their progress, and the quiz.

A course is meant for a partner user when it is published, its tiers are empty or include the
partner's tier, and its roles are empty or include the user's role at that partner. Anything else
answers 404. The quiz is marked here, on the server, against the stored correct choices: the page
never carries which choice is correct, and a certificate is earned only through a passing attempt
(or attendance at a linked workshop)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.utils import timezone, translation

from partners.models import Partner

from .models import Choice, Course, Enrollment, Module, Question, Quiz, QuizAttempt
from .services import certificate_earn

ZH_HANT = "zh-hant"


def localized(obj, field: str) -> str:
    """The Chinese text of `field` when the interface speaks zh-Hant and it is filled in."""
    if (translation.get_language() or "").lower() == ZH_HANT:
        local = getattr(obj, f"{field}_zh_hant", "")
        if local:
            return local
    return getattr(obj, field)


def _audience(partner: Partner, role: str) -> list[Course]:
    """Published courses for the partner's tier (one query); roles are filtered here, as a JSON
    list is compared the same way on every database."""
    tier_scope = Q(tiers__isnull=True)
    if partner.tier_id:
        tier_scope |= Q(tiers=partner.tier_id)
    courses = (
        Course.objects.filter(published=True)
        .filter(tier_scope)
        .distinct()
        .select_related("certification")
        .order_by("order", "code")
    )
    return [course for course in courses if not course.roles or role in course.roles]


def course_list_for_member(*, user, partner: Partner, role: str) -> list[Course]:
    """The courses meant for the user at `partner`, each with `progress` (3 queries)."""
    courses = _audience(partner, role)
    ids = [course.pk for course in courses]
    module_counts = dict(
        Module.objects.filter(course_id__in=ids)
        .values_list("course_id")
        .annotate(n=Count("pk"))
        .values_list("course_id", "n")
    )
    enrollments = {
        e.course_id: e
        for e in Enrollment.objects.filter(user=user, course_id__in=ids).annotate(
            done=Count("modules_done")
        )
    }
    for course in courses:
        enrollment = enrollments.get(course.pk)
        course.module_count = module_counts.get(course.pk, 0)
        course.done_count = enrollment.done if enrollment else 0
        course.enrollment = enrollment
        course.display_title = localized(course, "title")
        course.display_body = localized(course, "body")
    return courses


def course_get_for_member(*, user, partner: Partner, role: str, code: str) -> Course:
    for course in _audience(partner, role):
        if course.code == code:
            course.display_title = localized(course, "title")
            course.display_body = localized(course, "body")
            return course
    raise Http404


def course_modules(course: Course) -> list[Module]:
    modules = list(course.modules.all())
    for module in modules:
        module.display_title = localized(module, "title")
        module.display_body = localized(module, "body")
    return modules


def enrollment_for(*, user, course: Course) -> Enrollment | None:
    return Enrollment.objects.filter(user=user, course=course).first()


def _enroll(*, user, course: Course) -> Enrollment:
    enrollment, _created = Enrollment.objects.get_or_create(
        user=user, course=course, defaults={"started_at": timezone.now()}
    )
    return enrollment


@transaction.atomic
def module_mark_done(*, user, course: Course, module_pk: int) -> Enrollment:
    """Mark one module of the course done; the course is complete once every module is."""
    try:
        module = course.modules.get(pk=module_pk)
    except Module.DoesNotExist as exc:
        raise Http404 from exc
    enrollment = _enroll(user=user, course=course)
    enrollment.modules_done.add(module)
    if enrollment.completed_at is None:
        remaining = course.modules.exclude(pk__in=enrollment.modules_done.values("pk")).exists()
        if not remaining:
            enrollment.completed_at = timezone.now()
            enrollment.save(update_fields=["completed_at", "updated_at"])
    return enrollment


def quiz_of(course: Course) -> Quiz | None:
    try:
        return course.quiz
    except Quiz.DoesNotExist:
        return None


def quiz_questions(quiz: Quiz) -> list[Question]:
    """The quiz's questions and choices in the reader's language, without what is correct:
    `multiple` tells whether more than one choice is to be picked."""
    questions = list(
        quiz.questions.annotate(correct_count=Count("choices", filter=Q(choices__correct=True)))
        .prefetch_related(Prefetch("choices", queryset=Choice.objects.order_by("pk")))
        .order_by("order", "pk")
    )
    for question in questions:
        question.display_text = localized(question, "text")
        question.multiple = question.correct_count > 1
        question.options = [
            {"pk": choice.pk, "text": localized(choice, "text")}
            for choice in question.choices.all()
        ]
    return questions


@dataclass
class QuizResult:
    attempt: QuizAttempt
    certificate: object | None


def _score(quiz: Quiz, answers: dict[int, set[int]]) -> tuple[Decimal, dict[str, list[int]]]:
    """The share of questions answered exactly right (every correct choice and no other)."""
    correct: dict[int, set[int]] = {}
    valid: dict[int, set[int]] = {}
    for question_id, choice_id, is_correct in Choice.objects.filter(
        question__quiz=quiz
    ).values_list("question_id", "pk", "correct"):
        valid.setdefault(question_id, set()).add(choice_id)
        correct.setdefault(question_id, set())
        if is_correct:
            correct[question_id].add(choice_id)
    question_ids = list(quiz.questions.values_list("pk", flat=True))
    if not question_ids:
        return Decimal("0"), {}
    kept = {
        str(qid): sorted(answers.get(qid, set()) & valid.get(qid, set())) for qid in question_ids
    }
    right = sum(
        1
        for qid in question_ids
        if correct.get(qid) and set(kept[str(qid)]) == correct.get(qid, set())
    )
    score = (Decimal(100) * right / len(question_ids)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    return score, kept


@transaction.atomic
def quiz_submit(*, user, course: Course, answers: dict[int, set[int]]) -> QuizResult:
    """Mark an attempt; a pass (score ≥ pass mark) records the course passed and earns its
    certification today."""
    quiz = quiz_of(course)
    if quiz is None:
        raise Http404
    score, kept = _score(quiz, answers)
    passed = score >= quiz.pass_mark
    attempt = QuizAttempt.objects.create(
        user=user, quiz=quiz, answers=kept, score=score, passed=passed
    )
    certificate = None
    if passed:
        certificate = course_pass(user=user, course=course, actor=user)
    return QuizResult(attempt=attempt, certificate=certificate)


def course_pass(*, user, course: Course, actor=None):
    """Record the course passed and earn its certification (if it grants one) today."""
    enrollment = _enroll(user=user, course=course)
    now = timezone.now()
    if enrollment.passed_at is None:
        enrollment.passed_at = now
        if enrollment.completed_at is None:
            enrollment.completed_at = now
        enrollment.save(update_fields=["passed_at", "completed_at", "updated_at"])
    if course.certification_id is None:
        return None
    return certificate_earn(
        user=user,
        certification=course.certification,
        earned=timezone.localdate(),
        actor=actor,
    )
