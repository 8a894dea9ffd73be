"""Learning pages at /learning/: a partner user's courses, a course with its modules, its quiz;
for vendor staff the completion and pass rates and the partners to chase."""

from __future__ import annotations

import os
from datetime import timedelta

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import TemplateView

from partners.selectors import partner_get
from partners.views.base import ActionView
from prm.core.access import ALL_ROLES, PARTNER_ROLES, VENDOR_ROLES, RoleRequiredMixin, request_role
from prm.core.errors import DomainError

from .learning import (
    course_get_for_member,
    course_list_for_member,
    course_modules,
    enrollment_for,
    localized,
    module_mark_done,
    quiz_of,
    quiz_questions,
    quiz_submit,
)
from .learning_report import chase_list, chase_partner, learning_report
from .models import QuizAttempt, WorkshopRegistration
from .workshops import (
    attendance_record,
    registrations_visible,
    workshop_cancel,
    workshop_get,
    workshop_ics,
    workshop_register,
    workshops_for,
)

# The role's key among the partner's membership roles ("partner_sales" → "sales").
_PREFIX = "partner_"


class _MemberMixin(RoleRequiredMixin):
    allowed_roles = PARTNER_ROLES

    @property
    def member_role(self) -> str:
        return str(request_role(self.request)).removeprefix(_PREFIX)

    def get_course(self):
        if not hasattr(self, "_course"):
            self._course = course_get_for_member(
                user=self.request.user,
                partner=self.request.partner,
                role=self.member_role,
                code=self.kwargs["code"],
            )
        return self._course


class LearningHomeView(RoleRequiredMixin, TemplateView):
    """A partner user's courses with their progress; vendor staff go to the course report."""

    allowed_roles = ALL_ROLES
    template_name = "enablement/learning_home.html"

    def get(self, request, *args, **kwargs):
        if request_role(request) in VENDOR_ROLES:
            return redirect("learning_course_report")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        role = str(request_role(self.request)).removeprefix(_PREFIX)
        context["courses"] = course_list_for_member(
            user=self.request.user, partner=self.request.partner, role=role
        )
        return context


class CourseDetailView(_MemberMixin, TemplateView):
    template_name = "enablement/course_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        course = self.get_course()
        enrollment = enrollment_for(user=self.request.user, course=course)
        done = set(enrollment.modules_done.values_list("pk", flat=True)) if enrollment else set()
        modules = course_modules(course)
        for module in modules:
            module.done = module.pk in done
        quiz = quiz_of(course)
        context.update(
            course=course,
            modules=modules,
            enrollment=enrollment,
            done_count=len(done),
            quiz=quiz,
            last_attempt=(
                QuizAttempt.objects.filter(user=self.request.user, quiz=quiz).first()
                if quiz
                else None
            ),
            certificate=self.request.user.certificates.filter(
                certification_id=course.certification_id
            )
            .order_by("-expires")
            .first()
            if course.certification_id
            else None,
        )
        return context


class ModuleDoneView(_MemberMixin, ActionView):
    allowed_roles = PARTNER_ROLES

    def post(self, request, code, pk):
        course = self.get_course()
        module_mark_done(user=request.user, course=course, module_pk=pk)
        return redirect(f"{course_url(course)}#module-{pk}")


class ModuleFileView(_MemberMixin, View):
    """A file module's file, to those the course is meant for, always as a download."""

    def get(self, request, code, pk):
        module = self.get_course().modules.filter(pk=pk).exclude(file="").first()
        if module is None:
            raise Http404
        response = FileResponse(
            module.file.open("rb"),
            as_attachment=True,
            filename=os.path.basename(module.file.name),
            content_type="application/octet-stream",
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


def course_url(course) -> str:
    return reverse("learning_course", kwargs={"code": course.code})


def _answers(post, questions) -> dict[int, set[int]]:
    """The posted choices per question; anything that is not a number is ignored."""
    answers: dict[int, set[int]] = {}
    for question in questions:
        picked = set()
        for value in post.getlist(f"q{question.pk}"):
            if value.isascii() and value.isdigit() and len(value) < 19:
                picked.add(int(value))
        answers[question.pk] = picked
    return answers


class QuizView(_MemberMixin, TemplateView):
    """The quiz: questions and choices (never which are correct); a POST is marked on the
    server and, on a pass, earns the course's certification."""

    template_name = "enablement/quiz.html"

    def get_quiz(self):
        quiz = quiz_of(self.get_course())
        if quiz is None:
            raise Http404
        return quiz

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        quiz = self.get_quiz()
        context.update(course=self.get_course(), quiz=quiz, questions=quiz_questions(quiz))
        return context

    def post(self, request, code):
        course = self.get_course()
        quiz = self.get_quiz()
        result = quiz_submit(
            user=request.user, course=course, answers=_answers(request.POST, quiz_questions(quiz))
        )
        attempt = result.attempt
        if attempt.passed:
            messages.success(
                request,
                _("You passed with %(score)s%% (pass mark %(mark)s%%).")
                % {"score": floatformat(attempt.score, -2), "mark": quiz.pass_mark},
            )
        else:
            messages.warning(
                request,
                _(
                    "You scored %(score)s%%; the pass mark is %(mark)s%%. "
                    "Review the modules and try again."
                )
                % {"score": floatformat(attempt.score, -2), "mark": quiz.pass_mark},
            )
        return redirect(course_url(course))


class CourseReportView(RoleRequiredMixin, TemplateView):
    """Vendor staff: completion and pass rates by partner, tier and course, and the partners
    with nobody certified."""

    allowed_roles = VENDOR_ROLES
    template_name = "enablement/course_report.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(learning_report(user=self.request.user))
        context["chase"] = chase_list(user=self.request.user, on=timezone.localdate())
        return context


class ChasePartnerView(ActionView):
    allowed_roles = VENDOR_ROLES

    def post(self, request, code):
        partner = partner_get(user=request.user, code=code, current_partner=request.partner)
        told = chase_partner(partner=partner, actor=request.user, on=timezone.localdate())
        if told:
            messages.success(
                request,
                _("The admins of %(partner)s were reminded.") % {"partner": partner.display_name},
            )
        else:
            messages.info(
                request,
                _("Nobody was reminded: %(partner)s has certified people or no admin.")
                % {"partner": partner.display_name},
            )
        return redirect("learning_course_report")


class WorkshopListView(RoleRequiredMixin, TemplateView):
    """Upcoming and recent workshops: partner users register, cancel and download the
    invitation; vendor staff see the seats taken and record attendance."""

    allowed_roles = ALL_ROLES
    template_name = "enablement/workshop_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        role = request_role(self.request)
        since = timezone.now() - timedelta(days=30)
        workshops = list(
            workshops_for(user=self.request.user, role=role, partner=self.request.partner).filter(
                ends_at__gte=since
            )
        )
        mine = {
            r.workshop_id: r
            for r in WorkshopRegistration.objects.filter(
                user=self.request.user,
                workshop__in=[w.pk for w in workshops],
                status__in=[
                    WorkshopRegistration.Status.CONFIRMED,
                    WorkshopRegistration.Status.WAITING,
                ],
            )
        }
        now = timezone.now()
        for workshop in workshops:
            workshop.display_title = localized(workshop, "title")
            workshop.mine = mine.get(workshop.pk)
            workshop.open = workshop.starts_at > now
            workshop.seats_left = max(workshop.capacity - workshop.seats_taken, 0)
        context["workshops"] = workshops
        return context


class _WorkshopMemberAction(ActionView):
    allowed_roles = PARTNER_ROLES

    def get_workshop(self, pk):
        return workshop_get(
            user=self.request.user,
            role=request_role(self.request),
            partner=self.request.partner,
            pk=pk,
        )


class WorkshopRegisterView(_WorkshopMemberAction):
    def post(self, request, pk):
        workshop = self.get_workshop(pk)
        try:
            registration = workshop_register(
                user=request.user, partner=request.partner, workshop=workshop
            )
        except DomainError as exc:
            self.domain_error(exc)
        else:
            if registration.status == WorkshopRegistration.Status.CONFIRMED:
                messages.success(request, _("Your seat is confirmed."))
            else:
                messages.info(
                    request,
                    _(
                        "The workshop is full: you are on the waiting list and get a seat as soon "
                        "as one frees."
                    ),
                )
        return redirect(f"{reverse('workshop_list')}#workshop-{workshop.pk}")


class WorkshopCancelView(_WorkshopMemberAction):
    def post(self, request, pk):
        workshop = self.get_workshop(pk)
        workshop_cancel(user=request.user, workshop=workshop)
        messages.success(request, _("Your registration is cancelled."))
        return redirect(f"{reverse('workshop_list')}#workshop-{workshop.pk}")


class WorkshopCalendarView(RoleRequiredMixin, View):
    allowed_roles = ALL_ROLES

    def get(self, request, pk):
        workshop = workshop_get(
            user=request.user, role=request_role(request), partner=request.partner, pk=pk
        )
        response = HttpResponse(workshop_ics(workshop), content_type="text/calendar")
        response["Content-Disposition"] = f'attachment; filename="workshop-{workshop.pk}.ics"'
        return response


class WorkshopAttendanceView(RoleRequiredMixin, TemplateView):
    """Vendor staff: the registrations of the partners they may see, and who attended."""

    allowed_roles = VENDOR_ROLES
    template_name = "enablement/workshop_attendance.html"

    def get_workshop(self):
        return workshop_get(
            user=self.request.user,
            role=request_role(self.request),
            partner=None,
            pk=self.kwargs["pk"],
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        workshop = self.get_workshop()
        context.update(
            workshop=workshop,
            registrations=registrations_visible(user=self.request.user, workshop=workshop),
        )
        return context

    def post(self, request, pk):
        workshop = self.get_workshop()
        attended = {
            int(value)
            for value in request.POST.getlist("attended")
            if value.isascii() and value.isdigit() and len(value) < 19
        }
        count = attendance_record(actor=request.user, workshop=workshop, attended_ids=attended)
        messages.success(
            request,
            ngettext(
                "Attendance recorded: %(count)d person attended.",
                "Attendance recorded: %(count)d people attended.",
                count,
            )
            % {"count": count},
        )
        return redirect("workshop_attendance", pk=workshop.pk)
