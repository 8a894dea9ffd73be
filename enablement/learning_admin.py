"""Course authoring in Django admin: a course with its modules inline, a quiz with its
questions, and each question with its choices."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from partners.models import Membership

from .models import (
    Certification,
    Choice,
    Course,
    Enrollment,
    Module,
    Question,
    Quiz,
    QuizAttempt,
    Workshop,
    WorkshopRegistration,
)
from .workshops import workshop_seats_fill


class CourseAdminForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(
        label=_("audience roles"),
        choices=Membership.Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty for every role."),
    )

    class Meta:
        model = Course
        fields = [
            "code",
            "title",
            "title_zh_hant",
            "body",
            "body_zh_hant",
            "tiers",
            "roles",
            "certification",
            "published",
            "order",
        ]


class ModuleInline(admin.StackedInline):
    model = Module
    extra = 0
    fields = ["order", "kind", "title", "title_zh_hant", "body", "body_zh_hant", "file", "url"]


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    form = CourseAdminForm
    list_display = ["code", "title", "certification", "published", "order"]
    list_filter = ["published", "tiers"]
    search_fields = ["code", "title", "title_zh_hant"]
    filter_horizontal = ["tiers"]
    inlines = [ModuleInline]


class QuestionInline(admin.StackedInline):
    model = Question
    extra = 0
    fields = ["order", "text", "text_zh_hant"]
    show_change_link = True


@admin.register(Quiz)
class QuizAdmin(admin.ModelAdmin):
    list_display = ["course", "pass_mark"]
    inlines = [QuestionInline]


class ChoiceInline(admin.TabularInline):
    model = Choice
    extra = 2
    fields = ["text", "text_zh_hant", "correct"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "quiz", "order"]
    list_filter = ["quiz"]
    inlines = [ChoiceInline]


@admin.register(Certification)
class CertificationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "validity_months"]
    search_fields = ["code", "name"]


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ["user", "course", "started_at", "completed_at", "passed_at"]
    list_filter = ["course"]
    readonly_fields = ["user", "course", "modules_done", "started_at", "completed_at", "passed_at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(QuizAttempt)
class QuizAttemptAdmin(admin.ModelAdmin):
    list_display = ["user", "quiz", "score", "passed", "submitted_at"]
    list_filter = ["passed", "quiz"]
    readonly_fields = ["user", "quiz", "answers", "score", "passed", "submitted_at"]

    def has_add_permission(self, request) -> bool:
        return False


class WorkshopRegistrationInline(admin.TabularInline):
    model = WorkshopRegistration
    fields = ["user", "partner", "status", "promoted_at", "attended", "reminded_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Workshop)
class WorkshopAdmin(admin.ModelAdmin):
    list_display = ["title", "course", "starts_at", "ends_at", "capacity", "place"]
    list_filter = ["course"]
    search_fields = ["title", "title_zh_hant", "place"]
    fields = [
        "course",
        "title",
        "title_zh_hant",
        "description",
        "starts_at",
        "ends_at",
        "online_url",
        "place",
        "capacity",
    ]
    inlines = [WorkshopRegistrationInline]

    def save_model(self, request, obj, form, change) -> None:
        if change:
            # Calendar clients keep the invitation with the highest sequence.
            obj.sequence += 1
        super().save_model(request, obj, form, change)
        if change and "capacity" in form.changed_data:
            workshop_seats_fill(obj)
