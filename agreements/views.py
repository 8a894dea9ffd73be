import csv
import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from partners.selectors import (
    event_list,
    partner_choice_rows,
    partner_get,
    partner_visible_queryset,
)
from prm.core.access import ALL_ROLES, VENDOR_ROLES, Role, RoleRequiredMixin, request_role
from prm.core.csv import csv_safe
from prm.core.errors import DomainError
from prm.core.params import query_int

from .forms import AgreementCreateForm, ProposeTermsForm, QuestionForm, TerminationForm
from .models import Agreement
from .pricing import (
    PRICE_PAGE_SIZE,
    price_products,
    price_row_as_dict,
    price_sheet,
    price_sheet_pages,
    price_sheet_products,
    product_line_list,
    upcoming_price_changes,
)
from .selectors import (
    AGREEMENT_PAGE_SIZE,
    agreement_get,
    agreement_list_pages,
    exclusivity_overlap_exists,
    terms_revision,
    version_get,
    version_in_force,
    version_list,
    version_pending,
)
from .services.agreements import (
    agreement_create,
    agreement_question_ask,
    agreement_terminate,
    agreement_version_accept,
    agreement_version_propose,
    exclusivity_conflicts,
)
from .terms import terms_diff, terms_rows


class AgreementListView(RoleRequiredMixin, TemplateView):
    allowed_roles = ALL_ROLES
    template_name = "agreements/agreement_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        status = self.request.GET.get("status", "")
        if status not in Agreement.Status.values:
            status = ""
        agreements = agreement_list_pages(
            user=self.request.user, current_partner=self.request.partner, status=status
        )
        page = Paginator(agreements, AGREEMENT_PAGE_SIZE).get_page(self.request.GET.get("page"))
        context.update(
            page_obj=page,
            agreements=page.object_list,
            status=status,
            statuses=Agreement.Status.choices,
        )
        return context


class AgreementMixin:
    def get_agreement(self) -> Agreement:
        if not hasattr(self, "_agreement"):
            self._agreement = agreement_get(
                user=self.request.user,
                number=self.kwargs["number"],
                current_partner=self.request.partner,
            )
        return self._agreement


class AgreementDetailView(RoleRequiredMixin, AgreementMixin, TemplateView):
    """The agreement: terms in force, a proposal beside them, versions, termination, history."""

    allowed_roles = ALL_ROLES
    template_name = "agreements/agreement_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        agreement = self.get_agreement()
        today = timezone.localdate()
        in_force = version_in_force(agreement=agreement, on=today)
        pending = version_pending(agreement=agreement)
        role = request_role(self.request)
        context.update(
            agreement=agreement,
            in_force=in_force,
            in_force_rows=terms_rows(in_force) if in_force else [],
            pending=pending,
            pending_rows=terms_diff(in_force, pending) if pending else [],
            versions=version_list(agreement=agreement),
            can_accept=role == Role.PARTNER_ADMIN,
            can_ask=role in (Role.PARTNER_ADMIN, Role.PARTNER_FINANCE),
            can_terminate=role in (Role.PARTNER_ADMIN, Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER),
            can_propose=role == Role.VENDOR_ADMIN,
            termination_form=TerminationForm(initial={"requested": today}),
            question_form=QuestionForm(),
            history=event_list(
                user=self.request.user,
                role=role,
                partner=agreement.partner,
                targets=[agreement, agreement.versions.all()],
                limit=30,
            ),
        )
        # Vendor staff see which agreements overlap; a partner learns only that one does.
        if in_force is not None and role in VENDOR_ROLES:
            context["conflicts"] = exclusivity_conflicts(agreement=agreement, version=in_force)
        elif in_force is not None:
            context["conflict_under_review"] = exclusivity_overlap_exists(
                agreement=agreement, version=in_force
            )
        return context


class VersionDetailView(RoleRequiredMixin, AgreementMixin, TemplateView):
    """One version's terms, optionally compared with any other version (?compare=N)."""

    allowed_roles = ALL_ROLES
    template_name = "agreements/version_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        agreement = self.get_agreement()
        version = version_get(agreement=agreement, number=self.kwargs["version"])
        other = None
        compare = query_int(self.request.GET, "compare", maximum=2**31 - 1)
        if compare is not None:
            other = version_get(agreement=agreement, number=compare)
        context.update(
            agreement=agreement,
            version=version,
            other=other,
            rows=terms_diff(other, version) if other else terms_rows(version),
            versions=version_list(agreement=agreement),
        )
        return context


class AcceptVersionView(RoleRequiredMixin, AgreementMixin, View):
    allowed_roles = frozenset({Role.PARTNER_ADMIN})

    def post(self, request, number):
        agreement = self.get_agreement()
        pending = version_pending(agreement=agreement)
        if pending is None:
            messages.error(request, _("There is no proposal to accept."))
            return redirect("agreement_detail", number=number)
        try:
            version = agreement_version_accept(
                actor=request.user,
                version=pending,
                ip=request.META.get("REMOTE_ADDR"),
                seen_hash=request.POST.get("terms_hash", ""),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("You accepted version %(version)s. It is in force from %(date)s.")
                % {"version": version.number, "date": version.in_force_from},
            )
        return redirect("agreement_detail", number=number)


class AskQuestionView(RoleRequiredMixin, AgreementMixin, View):
    allowed_roles = frozenset({Role.PARTNER_ADMIN, Role.PARTNER_FINANCE})

    def post(self, request, number):
        agreement = self.get_agreement()
        form = QuestionForm(request.POST)
        version = version_pending(agreement=agreement) or version_in_force(
            agreement=agreement, on=timezone.localdate()
        )
        if not form.is_valid() or version is None:
            messages.error(request, _("Write your question before sending it."))
        else:
            agreement_question_ask(
                actor=request.user, version=version, text=form.cleaned_data["text"]
            )
            messages.success(request, _("Your question was sent to your account manager."))
        return redirect("agreement_detail", number=number)


class TerminateView(RoleRequiredMixin, AgreementMixin, View):
    allowed_roles = frozenset({Role.PARTNER_ADMIN, Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER})

    def post(self, request, number):
        agreement = self.get_agreement()
        form = TerminationForm(request.POST)
        if not form.is_valid():
            for field, errors in form.errors.items():
                messages.error(request, f"{form.fields[field].label}: {' '.join(errors)}")
            return redirect("agreement_detail", number=number)
        side = (
            Agreement.Side.VENDOR
            if request_role(request) in VENDOR_ROLES
            else Agreement.Side.PARTNER
        )
        try:
            agreement = agreement_terminate(
                actor=request.user,
                agreement=agreement,
                side=side,
                reason=form.cleaned_data["reason"],
                requested=form.cleaned_data["requested"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Notice given: the agreement ends on %(date)s.")
                % {"date": agreement.termination_effective},
            )
        return redirect("agreement_detail", number=number)


class ProposeTermsView(RoleRequiredMixin, AgreementMixin, FormView):
    """Vendor admins change terms by proposing a new version; published ones never change."""

    allowed_roles = frozenset({Role.VENDOR_ADMIN})
    form_class = ProposeTermsForm
    template_name = "agreements/terms_form.html"

    def get_initial(self):
        agreement = self.get_agreement()
        latest = version_pending(agreement=agreement) or version_in_force(
            agreement=agreement, on=timezone.localdate()
        )
        return {
            **ProposeTermsForm.initial_from(latest),
            "based_on": terms_revision(agreement),
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(agreement=self.get_agreement(), **kwargs)

    def form_valid(self, form):
        agreement = self.get_agreement()
        try:
            version = agreement_version_propose(
                actor=self.request.user,
                agreement=agreement,
                terms=form.terms(),
                change_summary=form.cleaned_data["change_summary"],
                based_on=form.cleaned_data["based_on"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Version %(version)s was published and awaits the partner's acceptance.")
            % {"version": version.number},
        )
        return redirect("agreement_detail", number=agreement.number)


class AgreementCreateView(RoleRequiredMixin, FormView):
    allowed_roles = frozenset({Role.VENDOR_ADMIN})
    form_class = AgreementCreateForm
    template_name = "agreements/agreement_form.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["partners"] = partner_visible_queryset(user=self.request.user)
        return kwargs

    def get_initial(self):
        today = timezone.localdate()
        return {
            "effective_date": today,
            "start": today,
            "end": today.replace(year=today.year + 1) - dt.timedelta(days=1),
            "partner": self.request.GET.get("partner", ""),
        }

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            agreement = agreement_create(
                actor=self.request.user,
                partner=data["partner"],
                number=data["number"],
                type=data["type"],
                start=data["start"],
                end=data["end"],
                auto_renew=data["auto_renew"],
                terms=form.terms(),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Agreement %(number)s was created and sent for acceptance.")
            % {"number": agreement.number},
        )
        return redirect("agreement_detail", number=agreement.number)


class PriceSheetMixin:
    """Resolve whose prices to show: the current organisation, or ?partner=CODE for vendors."""

    def get_sheet_partner(self):
        request = self.request
        if request_role(request) in VENDOR_ROLES:
            code = request.GET.get("partner", "")
            if not code:
                return None
            return partner_get(user=request.user, code=code)
        return request.partner

    def get_sheet_date(self) -> dt.date:
        raw = self.request.GET.get("date", "")
        try:
            return dt.date.fromisoformat(raw) if raw else timezone.localdate()
        except ValueError:
            return timezone.localdate()

    def get_products(self, partner):
        return price_sheet_products(
            currency=partner.currency,
            search=self.request.GET.get("q", "").strip(),
            line=self.request.GET.get("line", ""),
        )


class PriceSheetView(RoleRequiredMixin, PriceSheetMixin, TemplateView):
    """Every product's list price, discount, promotion, net price and MAP, each explained."""

    allowed_roles = ALL_ROLES
    template_name = "agreements/price_sheet.html"
    paginate_by = PRICE_PAGE_SIZE

    def in_place(self) -> bool:
        """Whether the request asks for the table alone, in place of the one on the page
        (htmx), rather than the whole page."""
        return bool(self.request.htmx) and not self.request.htmx.boosted

    def get_template_names(self):
        if self.in_place():
            # The table in place of the one on the page, or the prompt to choose a partner.
            part = "price-table" if self.sheet_partner is not None else "price-prompt"
            return [f"{self.template_name}#{part}"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        partner = self.sheet_partner = self.get_sheet_partner()
        on = self.get_sheet_date()
        search = self.request.GET.get("q", "").strip()
        line = self.request.GET.get("line", "")
        context.update(sheet_partner=partner, on=on, search=search, line=line)
        if request_role(self.request) in VENDOR_ROLES and not self.in_place():
            # The partner select is in the filter form, not in the table alone.
            context["partner_choices"] = partner_choice_rows(user=self.request.user)
        if partner is None:
            context["lines"] = product_line_list()
            return context
        products, context["lines"] = price_sheet_pages(
            partner=partner, on=on, search=search, line=line
        )
        page = Paginator(products, self.paginate_by).get_page(self.request.GET.get("page"))
        rows = price_products(
            partner=partner, on=on, priced=page.object_list, lines=context["lines"]
        )
        context.update(page_obj=page, rows=rows)
        if not self.in_place():
            # The upcoming changes follow the table on the page, not in the table alone.
            context["upcoming"] = upcoming_price_changes(partner=partner, on=on)
        return context


class PriceExportView(RoleRequiredMixin, PriceSheetMixin, View):
    """The price sheet as CSV: UTF-8 with BOM for Excel, formula-injection safe."""

    allowed_roles = ALL_ROLES

    def get(self, request):
        partner = self.get_sheet_partner()
        if partner is None:
            return redirect(reverse("price_sheet"))
        on = self.get_sheet_date()
        rows = price_sheet(partner=partner, on=on, products=self.get_products(partner))
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="prices-{partner.code}-{on.isoformat()}.csv"'
        )
        response.write("\ufeff")
        writer = csv.writer(response)
        writer.writerow(
            [
                "sku",
                "name",
                "line",
                "list_price",
                "discount",
                "promotion",
                "promotion_code",
                "net_price",
                "map_price",
                "currency",
                "derivation",
            ]
        )
        for row in rows:
            data = price_row_as_dict(row)
            writer.writerow(
                csv_safe(v if v is not None else "")
                for v in (
                    data["sku"],
                    row.product.name,
                    row.product.line.code,
                    data["list_price"],
                    data["discount"],
                    data["promotion"],
                    row.promotion.code if row.promotion else "",
                    data["net_price"],
                    data["map_price"],
                    data["currency"],
                    " ".join(row.steps),
                )
            )
        return response
