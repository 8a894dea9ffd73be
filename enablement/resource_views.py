"""The resource library at /resources/: everyone reads the resources meant for them, searched
and filtered, with what is new since their last visit; downloads are counted per partner.
Vendor staff add resources and versions, see the downloads per partner and draft an
announcement of a resource."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from prm.core.access import ALL_ROLES, VENDOR_ROLES, RoleRequiredMixin, request_role
from prm.core.errors import DomainError

from .resource_forms import ResourceFilterForm, ResourceForm, ResourceVersionForm
from .resource_selectors import (
    Reader,
    resource_audience_roles,
    resource_downloads_by_partner,
    resource_get,
    resource_list,
    resource_version_get,
    resource_versions,
)
from .resource_services import (
    resource_announce,
    resource_create,
    resource_download_record,
    resource_version_add,
    resource_visit_record,
)

PAGE_SIZE = 20


def reader_of(request) -> Reader:
    return Reader(
        user=request.user,
        role=request_role(request),
        partner=getattr(request, "partner", None),
        language=translation.get_language() or "en",
    )


def _is_new(resource, since) -> bool:
    return since is None or resource.updated_on > since


class ResourceListView(RoleRequiredMixin, TemplateView):
    """The resources meant for the reader, latest first, 20 a page; htmx requests get the
    results only."""

    allowed_roles = ALL_ROLES
    template_name = "enablement/resource_list.html"

    def get_template_names(self) -> list[str]:
        if self.request.htmx:
            return [f"{self.template_name}#resource-results"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        reader = reader_of(self.request)
        since = resource_visit_record(user=self.request.user)
        form = ResourceFilterForm(self.request.GET or None)
        rows = resource_list(reader, **(form.filters() if form.is_bound else {}))
        page = Paginator(rows, PAGE_SIZE).get_page(self.request.GET.get("page"))
        for resource in page.object_list:
            resource.is_new = _is_new(resource, since)
        context.update(
            form=form,
            page_obj=page,
            resources=page.object_list,
            since=since,
            is_vendor=reader.is_vendor,
        )
        return context


class ResourceDetailView(RoleRequiredMixin, TemplateView):
    """One resource with every version; for vendor staff, the downloads per partner."""

    allowed_roles = ALL_ROLES
    template_name = "enablement/resource_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        reader = reader_of(self.request)
        resource = resource_get(reader, pk=self.kwargs["pk"])
        context.update(
            resource=resource,
            versions=resource_versions(resource),
            roles=resource_audience_roles(resource),
            is_vendor=reader.is_vendor,
        )
        if reader.is_vendor:
            context.update(
                tiers=list(resource.tiers.all()),
                territories=list(resource.territories.all()),
                downloads=resource_downloads_by_partner(resource=resource, user=self.request.user),
            )
        return context


class ResourceDownloadView(RoleRequiredMixin, View):
    """A version's file as a download, or a redirect to its link; counted for the partner the
    reader acts for. Without a number, the current version."""

    allowed_roles = ALL_ROLES

    def get(self, request, pk: int, number: int | None = None):
        resource = resource_get(reader_of(request), pk=pk)
        if number is None:
            version = resource.current_version
        else:
            version = resource_version_get(resource, number=number)
        resource_download_record(
            version=version, user=request.user, partner=getattr(request, "partner", None)
        )
        if version.is_link:
            return HttpResponseRedirect(version.link)
        response = FileResponse(
            version.file.open("rb"),
            as_attachment=True,
            filename=version.file_name,
            content_type="application/octet-stream",
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


class ResourceCreateView(RoleRequiredMixin, FormView):
    allowed_roles = VENDOR_ROLES
    template_name = "enablement/resource_form.html"
    form_class = ResourceForm

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            resource = resource_create(
                actor=self.request.user,
                title=data["title"],
                local_title=data["local_title"],
                description=data["description"],
                local_description=data["local_description"],
                category=data["category"],
                language=data["language"],
                tiers=data["tiers"],
                territories=data["territories"],
                for_admin=data["for_admin"],
                for_finance=data["for_finance"],
                for_sales=data["for_sales"],
                upload=data["file"],
                link=data["link"],
                notes=data["notes"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            return self.form_invalid(form)
        messages.success(
            self.request, _("“%(title)s” is in the library.") % {"title": resource.title}
        )
        return redirect("resource_detail", pk=resource.pk)


class ResourceVersionCreateView(RoleRequiredMixin, FormView):
    allowed_roles = VENDOR_ROLES
    template_name = "enablement/resource_version_form.html"
    form_class = ResourceVersionForm

    def get_resource(self):
        if not hasattr(self, "resource"):
            self.resource = resource_get(reader_of(self.request), pk=self.kwargs["pk"])
        return self.resource

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["resource"] = self.get_resource()
        return context

    def form_valid(self, form):
        resource = self.get_resource()
        data = form.cleaned_data
        try:
            version = resource_version_add(
                actor=self.request.user,
                resource=resource,
                upload=data["file"],
                link=data["link"],
                notes=data["notes"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Version %(number)s of “%(title)s” is now current.")
            % {"number": version.number, "title": resource.title},
        )
        return redirect("resource_detail", pk=resource.pk)


class ResourceAnnounceView(RoleRequiredMixin, View):
    """Draft an announcement of the resource and open it to preview and publish."""

    allowed_roles = VENDOR_ROLES

    def post(self, request, pk: int):
        resource = resource_get(reader_of(request), pk=pk)
        try:
            announcement = resource_announce(actor=request.user, resource=resource)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("resource_detail", pk=pk)
        messages.success(
            request, _("The announcement is drafted: check its recipients, then publish it.")
        )
        return redirect("announcement_detail", pk=announcement.pk)
