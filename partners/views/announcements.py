"""Announcement pages, mounted at /announcements/: the partner's feed and the vendor's list share
the address, as do the partner's reading page and the vendor's preview and tracking page."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from prm.core.access import ALL_ROLES, VENDOR_ROLES, Role, RoleRequiredMixin, is_vendor
from prm.core.errors import DomainError

from ..announcement_forms import CATEGORY_FILTER_CHOICES, AnnouncementForm
from ..models import Announcement
from ..selectors import (
    announcement_feed_counts,
    announcement_feed_pages,
    announcement_get_for_partner,
    announcement_get_for_vendor,
    announcement_pages_for_vendor,
    announcement_recipient_list,
)
from ..services import (
    announcement_acknowledge,
    announcement_audience,
    announcement_can_acknowledge,
    announcement_create,
    announcement_delete,
    announcement_mark_read,
    announcement_publish,
    announcement_remind,
    announcement_update,
)
from .base import ActionView

# The preview lists this many partners of the audience by name; the count covers all of them.
PREVIEW_PARTNERS = 50


def _category(request) -> str:
    value = request.GET.get("category", "")
    return value if value in Announcement.Category.values else ""


class AnnouncementListView(RoleRequiredMixin, TemplateView):
    """Partners: the feed of their current organisation with unread counts per category.
    Vendor staff: the announcements with how many partners acknowledged them."""

    allowed_roles = ALL_ROLES
    template_name = "partners/announcement_list.html"
    paginate_by = 20

    def get_template_names(self) -> list[str]:
        if self.request.htmx and not is_vendor(self.request):
            return [f"{self.template_name}#announcement-feed"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.request
        category = _category(request)
        if is_vendor(request):
            rows = announcement_pages_for_vendor(user=request.user, category=category)
        else:
            rows = announcement_feed_pages(
                user=request.user, partner=request.partner, category=category
            )
            counts = announcement_feed_counts(user=request.user, partner=request.partner)
            context.update(
                unread_by_category=[
                    (value, label, counts.unread[value])
                    for value, label in Announcement.Category.choices
                ],
                unread_total=sum(counts.unread.values()),
                awaiting_count=counts.awaiting,
            )
        paginator = Paginator(rows, self.paginate_by)
        if not is_vendor(request):
            # The feed's size, counted with its unread announcements.
            totals = counts.total
            paginator.count = totals[category] if category else sum(totals.values())
        page = paginator.get_page(request.GET.get("page"))
        context.update(
            page_obj=page,
            announcements=page.object_list,
            category=category,
            categories=CATEGORY_FILTER_CHOICES,
        )
        return context


class _AnnouncementFormView(RoleRequiredMixin, FormView):
    allowed_roles = VENDOR_ROLES
    template_name = "partners/announcement_form.html"
    form_class = AnnouncementForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs

    def form_valid(self, form):
        data = form.cleaned_data
        values = {
            "title": data["title"],
            "local_title": data["local_title"],
            "body": data["body"],
            "local_body": data["local_body"],
            "category": data["category"],
            "audience": data["audience"],
            "tiers": data["tiers"],
            "territories": data["territories"],
            "partners": data["partners"],
            "requires_acknowledgement": data["requires_acknowledgement"],
            "acknowledge_by": data["acknowledge_by"],
        }
        try:
            announcement = self.save(values)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("The draft was saved. Check the preview and the audience, then publish it."),
        )
        return redirect("announcement_detail", pk=announcement.pk)


class AnnouncementCreateView(_AnnouncementFormView):
    """Vendor staff write a draft."""

    def save(self, values):
        return announcement_create(actor=self.request.user, **values)


class AnnouncementUpdateView(_AnnouncementFormView):
    """Change a draft; a published announcement is not edited (publish a correction)."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and is_vendor(request):
            self.announcement = announcement_get_for_vendor(user=request.user, pk=kwargs["pk"])
            if self.announcement.published_at is not None:
                messages.error(
                    request,
                    _("A published announcement is not changed. Publish a new one to correct it."),
                )
                return redirect("announcement_detail", pk=self.announcement.pk)
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return AnnouncementForm.initial_from(self.announcement)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["announcement"] = self.announcement
        return context

    def save(self, values):
        return announcement_update(
            announcement=self.announcement, actor=self.request.user, **values
        )


class AnnouncementDetailView(RoleRequiredMixin, TemplateView):
    """Partners read the announcement (it is marked read) and their admin acknowledges it.
    Vendor staff see a draft's preview and audience, or who has acknowledged and who has not."""

    allowed_roles = ALL_ROLES
    template_name = "partners/announcement_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request, pk = self.request, self.kwargs["pk"]
        if is_vendor(request):
            announcement = announcement_get_for_vendor(user=request.user, pk=pk)
            context["announcement"] = announcement
            if announcement.published_at is None:
                audience = announcement_audience(announcement=announcement)
                context.update(
                    audience_count=audience.count(),
                    audience_partners=list(audience[:PREVIEW_PARTNERS]),
                    can_change=request.user.is_vendor_admin
                    or announcement.author_id == request.user.pk,
                )
            else:
                recipients = announcement_recipient_list(
                    user=request.user, announcement=announcement
                )
                acknowledged = [r for r in recipients if r.acknowledged_at]
                context.update(
                    recipients=recipients,
                    acknowledged=acknowledged,
                    pending=[r for r in recipients if not r.acknowledged_at],
                )
            return context
        announcement = announcement_get_for_partner(
            user=request.user, partner=request.partner, pk=pk
        )
        announcement_mark_read(announcement=announcement, user=request.user)
        context.update(
            announcement=announcement,
            can_acknowledge=announcement.awaiting_acknowledgement
            and announcement_can_acknowledge(user=request.user, partner=request.partner),
        )
        if announcement.is_acknowledged:
            context["receipt"] = announcement.recipients.select_related("acknowledged_by").get(
                partner=request.partner
            )
        return context


class _VendorAnnouncementAction(ActionView):
    allowed_roles = VENDOR_ROLES

    def post(self, request, pk):
        announcement = announcement_get_for_vendor(user=request.user, pk=pk)
        try:
            return self.act(announcement)
        except DomainError as exc:
            self.domain_error(exc)
        return redirect("announcement_detail", pk=announcement.pk)


class AnnouncementPublishView(_VendorAnnouncementAction):
    def act(self, announcement):
        announcement = announcement_publish(announcement=announcement, actor=self.request.user)
        count = announcement.recipients.count()
        messages.success(
            self.request,
            _("The announcement was published to %(count)s partners.") % {"count": count},
        )
        return redirect("announcement_detail", pk=announcement.pk)


class AnnouncementDeleteView(_VendorAnnouncementAction):
    def act(self, announcement):
        announcement_delete(announcement=announcement, actor=self.request.user)
        messages.success(self.request, _("The draft was deleted."))
        return redirect("announcement_list")


class AnnouncementRemindView(_VendorAnnouncementAction):
    def act(self, announcement):
        count = announcement_remind(announcement=announcement, actor=self.request.user)
        messages.success(
            self.request,
            _("%(count)s partners that have not acknowledged it were reminded.") % {"count": count},
        )
        return redirect("announcement_detail", pk=announcement.pk)


class AnnouncementAcknowledgeView(ActionView):
    """A partner admin acknowledges for the organisation."""

    allowed_roles = frozenset({Role.PARTNER_ADMIN})

    def post(self, request, pk):
        announcement = announcement_get_for_partner(
            user=request.user, partner=request.partner, pk=pk
        )
        try:
            announcement_acknowledge(
                announcement=announcement, partner=request.partner, actor=request.user
            )
        except DomainError as exc:
            self.domain_error(exc)
        else:
            messages.success(
                request,
                _("Acknowledged on behalf of %(partner)s.")
                % {"partner": request.partner.display_name},
            )
        return redirect("announcement_detail", pk=announcement.pk)
