"""Business review pages: the list at /reviews/, one review with its scorecard, notes and action
items, the calendar file, and the actions on a review."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from prm.core.access import (
    ALL_ROLES,
    REVIEW_EDITOR_ROLES,
    VENDOR_ROLES,
    RoleRequiredMixin,
    request_role,
)
from prm.core.errors import DomainError

from .. import calendar as ics
from ..models import BusinessReview, Membership
from ..review_forms import (
    REVIEW_STATUS_CHOICES,
    ActionItemForm,
    ReviewCancelForm,
    ReviewNotesForm,
    ReviewRescheduleForm,
)
from ..selectors.reviews import (
    REVIEW_STATUS_FILTERS,
    action_item_get,
    action_item_list,
    review_get,
    review_is_overdue,
    review_list_pages,
    review_scorecard_build,
)
from ..services.reviews import (
    VENDOR,
    action_item_add,
    action_item_can_toggle,
    action_item_toggle,
    review_can_edit_notes,
    review_cancel,
    review_hold,
    review_notes_update,
    review_reschedule,
)
from .base import ActionView


def _side_role(request) -> str | None:
    """The role as the review services know it: "vendor", or the membership role."""
    role = request_role(request)
    if role in VENDOR_ROLES:
        return VENDOR
    membership = getattr(request, "membership", None)
    return membership.role if membership is not None else None


def _review(request, pk: int) -> BusinessReview:
    return review_get(user=request.user, pk=pk, current_partner=request.partner)


def scheduled_or_held(review: BusinessReview) -> bool:
    return review.status != BusinessReview.Status.CANCELLED


class ReviewListView(RoleRequiredMixin, TemplateView):
    """Vendor staff see the reviews of the partners they may see, upcoming and overdue first;
    partner users their own organisation's. htmx requests get the table only."""

    allowed_roles = ALL_ROLES
    template_name = "partners/review_list.html"
    paginate_by = 25

    def get_template_names(self) -> list[str]:
        if self.request.htmx:
            return [f"{self.template_name}#review-table"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        is_vendor = request_role(self.request) in VENDOR_ROLES
        status = self.request.GET.get("status", "")
        if status not in REVIEW_STATUS_FILTERS:
            status = "scheduled" if is_vendor else "all"
        reviews = review_list_pages(
            user=self.request.user, current_partner=self.request.partner, status=status
        )
        page = Paginator(reviews, self.paginate_by).get_page(self.request.GET.get("page"))
        context.update(
            page_obj=page, reviews=page.object_list, status=status, statuses=REVIEW_STATUS_CHOICES
        )
        return context


class ReviewDetailView(RoleRequiredMixin, TemplateView):
    """One review: when and where, the scorecard (live until held, then the snapshot), the
    shared notes and the action items."""

    allowed_roles = ALL_ROLES
    template_name = "partners/review_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        review = _review(self.request, self.kwargs["pk"])
        role = _side_role(self.request)
        is_vendor = role == VENDOR
        scheduled = review.status == BusinessReview.Status.SCHEDULED
        items = action_item_list(review=review)
        for item in items:
            item.can_toggle = scheduled_or_held(review) and action_item_can_toggle(
                item=item, role=role, user=self.request.user
            )
        is_snapshot = review.status == BusinessReview.Status.HELD and bool(review.scorecard)
        scorecard = review.scorecard if is_snapshot else review_scorecard_build(review=review)
        can_edit_notes = review_can_edit_notes(review=review, role=role)
        can_add_items = scheduled_or_held(review) and role in (VENDOR, "admin")
        context.update(
            review=review,
            partner=review.partner,
            is_overdue=review_is_overdue(review),
            scorecard=scorecard,
            scorecard_is_snapshot=is_snapshot,
            card_start=dt.date.fromisoformat(scorecard["period_start"]),
            card_end=dt.date.fromisoformat(scorecard["period_end"]),
            card_taken_at=dt.datetime.fromisoformat(scorecard["taken_at"]),
            # The same limits as the pages behind the figures: sales users see no payouts,
            # finance users no deal registrations.
            show_payouts=role != Membership.Role.SALES,
            show_deals=role != Membership.Role.FINANCE,
            items=items,
            can_manage=is_vendor and scheduled,
            can_edit_notes=can_edit_notes,
            can_add_items=can_add_items,
        )
        if context["can_manage"]:
            context["reschedule_form"] = ReviewRescheduleForm.for_review(
                review, auto_id="reschedule_%s"
            )
            context["cancel_form"] = ReviewCancelForm(auto_id="cancel_%s")
        if can_edit_notes:
            context["notes_form"] = ReviewNotesForm(
                initial={"notes": review.notes}, auto_id="notes_%s"
            )
        if can_add_items:
            context["item_form"] = ActionItemForm(partner=review.partner, auto_id="item_%s")
        return context


class ReviewCalendarView(RoleRequiredMixin, View):
    """The review as an .ics file, for adding it to a calendar by hand."""

    allowed_roles = ALL_ROLES

    def get(self, request, pk):
        review = _review(request, pk)
        method = ics.CANCEL if review.status == BusinessReview.Status.CANCELLED else ics.REQUEST
        response = HttpResponse(
            ics.review_ics(review, method=method), content_type=ics.MIMETYPE[method]
        )
        response["Content-Disposition"] = f'attachment; filename="review-{review.pk}.ics"'
        return response


class _ReviewActionView(ActionView):
    def post(self, request, pk):
        review = _review(request, pk)
        try:
            self.act(review)
        except DomainError as exc:
            self.domain_error(exc)
        return redirect("review_detail", pk=review.pk)

    def field_error(self, form, exc: DomainError, fields: dict[str, str] | None = None) -> None:
        """A service error on a field, reported with the form's label for it."""
        name = (fields or {}).get(exc.field or "", exc.field)
        label = form.fields[name].label if name in form.fields else ""
        messages.error(self.request, f"{label}: {exc.message}" if label else exc.message)


class ReviewRescheduleView(_ReviewActionView):
    allowed_roles = VENDOR_ROLES

    def act(self, review):
        form = ReviewRescheduleForm(self.request.POST)
        if not form.is_valid():
            self.form_errors(form)
            return
        try:
            review = review_reschedule(
                review=review,
                actor=self.request.user,
                scheduled_at=form.scheduled_at(),
                duration_minutes=form.cleaned_data["duration_minutes"],
                location=form.cleaned_data["location"],
            )
        except DomainError as exc:
            self.field_error(form, exc, {"scheduled_at": "date"})
            return
        messages.success(
            self.request,
            _("The review is now set for %(when)s; the updated invitation was sent.")
            % {"when": date_format(review.scheduled_at, "DATETIME_FORMAT")},
        )


class ReviewCancelView(_ReviewActionView):
    allowed_roles = VENDOR_ROLES

    def act(self, review):
        form = ReviewCancelForm(self.request.POST)
        if not form.is_valid():
            self.form_errors(form)
            return
        review_cancel(review=review, actor=self.request.user, reason=form.cleaned_data["reason"])
        messages.success(self.request, _("The review was cancelled and attendees were told."))


class ReviewHoldView(_ReviewActionView):
    allowed_roles = VENDOR_ROLES

    def act(self, review):
        review_hold(review=review, actor=self.request.user)
        messages.success(
            self.request,
            _("The review was marked held; its scorecard is recorded and the next one scheduled."),
        )


class ReviewNotesView(_ReviewActionView):
    allowed_roles = REVIEW_EDITOR_ROLES

    def act(self, review):
        form = ReviewNotesForm(self.request.POST)
        if not form.is_valid():
            self.form_errors(form)
            return
        notes = form.cleaned_data["notes"]
        review_notes_update(review=review, actor=self.request.user, notes=notes)
        messages.success(self.request, _("The notes were saved."))


class ActionItemAddView(_ReviewActionView):
    allowed_roles = REVIEW_EDITOR_ROLES

    def act(self, review):
        form = ActionItemForm(self.request.POST, partner=review.partner)
        if not form.is_valid():
            self.form_errors(form)
            return
        try:
            item = action_item_add(
                review=review,
                actor=self.request.user,
                title=form.cleaned_data["title"],
                owner=form.cleaned_data["owner"],
                due_on=form.cleaned_data["due_on"],
            )
        except DomainError as exc:
            self.field_error(form, exc)
            return
        messages.success(self.request, _("“%(title)s” was added.") % {"title": item.title})


class ActionItemToggleView(ActionView):
    """Tick an action item off or reopen it. htmx requests get the item's row back; others go
    back to the review."""

    allowed_roles = ALL_ROLES

    def post(self, request, pk, item_pk):
        review = _review(request, pk)
        item = action_item_get(review=review, pk=item_pk)
        role = _side_role(request)
        if not action_item_can_toggle(item=item, role=role, user=request.user):
            raise PermissionDenied
        done = {"1": True, "0": False}.get(request.POST.get("done", ""))
        try:
            item = action_item_toggle(item=item, actor=request.user, done=done)
        except DomainError as exc:
            if request.htmx:
                return HttpResponse(exc.message, status=409)
            self.domain_error(exc)
            return redirect("review_detail", pk=review.pk)
        if request.htmx:
            item.can_toggle = True
            return render(
                request,
                "partners/review_detail.html#action-item",
                {"item": item, "review": review},
            )
        return redirect("review_detail", pk=review.pk)
