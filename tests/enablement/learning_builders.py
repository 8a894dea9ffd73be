"""A course to take in tests: two modules, a quiz of two questions (the second with two right
answers), granting a certification."""

from enablement.models import Certification, Choice, Course, Module, Question, Quiz


def course_build(*, code="NET-101", tiers=(), roles=(), certification=None, pass_mark=100):
    if certification is None:
        certification, _ = Certification.objects.get_or_create(
            code="NET-PRO", defaults={"name": "Networking Pro", "validity_months": 24}
        )
    course = Course.objects.create(
        code=code,
        title="Networking basics",
        title_zh_hant="網路基礎",
        body="Switching and routing.",
        roles=list(roles),
        certification=certification,
        published=True,
    )
    course.tiers.set(tiers)
    Module.objects.create(course=course, order=1, title="Switching", body="Frames and ports.")
    Module.objects.create(
        course=course, order=2, kind="video", title="Routing", url="https://video.example/r"
    )
    quiz = Quiz.objects.create(course=course, pass_mark=pass_mark)
    first = Question.objects.create(
        quiz=quiz, order=1, text="Layer of a switch?", text_zh_hant="交換器在哪一層？"
    )
    Choice.objects.create(question=first, text="Layer 1")
    Choice.objects.create(question=first, text="Layer 2", correct=True)
    Choice.objects.create(question=first, text="Layer 7")
    second = Question.objects.create(quiz=quiz, order=2, text="Routing protocols?")
    Choice.objects.create(question=second, text="OSPF", correct=True)
    Choice.objects.create(question=second, text="BGP", correct=True)
    Choice.objects.create(question=second, text="HTTP")
    return course


def right_answers(course) -> dict[str, list[str]]:
    """The POST data answering every question right."""
    data: dict[str, list[str]] = {}
    for question in course.quiz.questions.all():
        data[f"q{question.pk}"] = [
            str(pk) for pk in question.choices.filter(correct=True).values_list("pk", flat=True)
        ]
    return data
