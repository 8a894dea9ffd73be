"""Case pages: list, open, detail with its thread, and the actions on a case."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django.views.generic import FormView, TemplateView

from agreements.models import AgreementVersion, Product
from commissions.models import StatementLine
from partners.models import DealRegistration
from partners.selectors import partner_visible_queryset
from prm.core.access import (
    ALL_ROLES,
    PARTNER_ROLES,
    PAYOUT_ROLES,
    VENDOR_ROLES,
    RoleRequiredMixin,
    request_role,
)
from prm.core.errors import DomainError
from prm.core.params import query_int

from .charts import bar_chart, column_chart
from .forms import (
    CaseMediationConcludeForm,
    CaseMediationReferForm,
    CaseMessageForm,
    CaseOpenForm,
    CaseRateForm,
    CaseReassignForm,
    CaseResolveForm,
    CaseStatusForm,
)
from .models import Case
from .selectors import (
    RATINGS,
    VENDOR_LIST_FILTERS,
    case_get,
    case_message_get,
    case_page,
    case_report,
)
from .services import (
    case_mediation_conclude,
    case_mediation_refer,
    case_message_add,
    case_open,
    case_parties_disclose,
    case_rate,
    case_reassign,
    case_reassign_allowed,
    case_resolve,
    case_sla_state,
    case_status_change,
)

CASE_PAGE_SIZE = 50


class CaseListView(RoleRequiredMixin, TemplateView):
    allowed_roles = ALL_ROLES
    template_name = "disputes/case_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        is_vendor = request_role(self.request) in VENDOR_ROLES
        status = self.request.GET.get("status", "active")
        if status in VENDOR_LIST_FILTERS and not is_vendor:
            status = "active"
        now = timezone.now()
        cases = case_page(
            user=self.request.user,
            current_partner=self.request.partner,
            status=status,
            size=CASE_PAGE_SIZE,
            membership=getattr(self.request, "membership", None),
            now=now,
        )
        context.update(
            rows=[(case, case_sla_state(case, now)) for case in cases],
            status=status,
            is_vendor=is_vendor,
        )
        return context


class CaseOpenView(RoleRequiredMixin, FormView):
    """Open a case, optionally about a statement line, a deal or an agreement version."""

    allowed_roles = ALL_ROLES
    template_name = "disputes/case_form.html"
    form_class = CaseOpenForm

    def _partners(self):
        return partner_visible_queryset(
            user=self.request.user, current_partner=self.request.partner
        )

    def _about(self) -> dict:
        params = self.request.POST if self.request.method == "POST" else self.request.GET
        partners = self._partners()
        about = {}
        role = request_role(self.request)
        line_pk, deal_pk = query_int(params, "line"), query_int(params, "deal")
        product_pk, version_pk = query_int(params, "product"), query_int(params, "version")
        if line_pk is not None and role in PAYOUT_ROLES:
            line = (
                StatementLine.objects.filter(pk=line_pk, statement__partner__in=partners)
                .select_related("statement__partner")
                .first()
            )
            if line is None:
                raise Http404
            about["statement_line"] = line
        if deal_pk is not None:
            deal = DealRegistration.objects.filter(pk=deal_pk, partner__in=partners).first()
            if deal is None:
                raise Http404
            about["deal"] = deal
        if product_pk is not None:
            product = Product.objects.filter(pk=product_pk).first()
            if product is None:
                raise Http404
            about["product"] = product
        if version_pk is not None:
            version = (
                AgreementVersion.objects.filter(pk=version_pk, agreement__partner__in=partners)
                .select_related("agreement__partner")
                .first()
            )
            if version is None:
                raise Http404
            about["agreement_version"] = version
        return about

    def dispatch(self, request, *args, **kwargs):
        self.is_vendor = request_role(request) in VENDOR_ROLES
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["partners"] = self._partners() if self.is_vendor else None
        return kwargs

    def get_initial(self):
        about = self._about()
        initial = {}
        if "statement_line" in about:
            line = about["statement_line"]
            initial.update(
                kind=Case.Kind.PAYOUT,
                partner=line.statement.partner,
                subject=_("Statement %(period)s, line %(position)s")
                % {"period": line.statement.period, "position": line.position},
            )
        elif "deal" in about:
            initial.update(kind=Case.Kind.OTHER, partner=about["deal"].partner)
        elif "product" in about:
            initial.update(
                kind=Case.Kind.PRICING,
                subject=_("Price of %(sku)s") % {"sku": about["product"].sku},
            )
        elif "agreement_version" in about:
            version = about["agreement_version"]
            initial.update(kind=Case.Kind.AGREEMENT, partner=version.agreement.partner)
        return {**self._prefill(), **initial}

    def _prefill(self) -> dict:
        """A kind and a subject named in the link (another page's "open a case about this"),
        kept only when valid; the user still reviews the form before sending it."""
        params = self.request.GET
        prefill = {}
        kind = params.get("kind", "")
        if kind in Case.Kind.values and kind != Case.Kind.COMPLIANCE:
            prefill["kind"] = kind
        subject = params.get("subject", "").strip()
        if subject:
            prefill["subject"] = subject[: Case._meta.get_field("subject").max_length]
        return prefill

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["about"] = self._about()
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        about = self._about()
        partner = data["partner"] if self.is_vendor else self.request.partner
        incident = {
            name: data[name]
            for name in ("incident", "severity", "evidence", "penalty")
            if data.get(name) not in (None, "")
        }
        try:
            case = case_open(
                actor=self.request.user,
                partner=partner,
                kind=data["kind"],
                priority=data["priority"],
                subject=data["subject"],
                description=data["description"],
                **incident,
                **about,
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            return self.form_invalid(form)
        messages.success(self.request, _("%(number)s was opened.") % {"number": case.number})
        return redirect("case_detail", pk=case.pk)


class CaseMixin(RoleRequiredMixin):
    allowed_roles = ALL_ROLES

    def get_case(self) -> Case:
        return case_get(
            user=self.request.user, pk=self.kwargs["pk"], current_partner=self.request.partner
        )

    @property
    def is_vendor(self) -> bool:
        return request_role(self.request) in VENDOR_ROLES


class CaseDetailView(CaseMixin, TemplateView):
    template_name = "disputes/case_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        case = self.get_case()
        partner = self.request.partner
        own_side = self.is_vendor or (partner is not None and case.partner_id == partner.pk)
        context.update(
            case=case,
            sla=case_sla_state(case, timezone.now()),
            is_vendor=self.is_vendor,
            # Partners see the other party of a conflict only when the vendor discloses it.
            show_parties=self.is_vendor or case.parties_disclosed,
            own_side=own_side,
            message_form=CaseMessageForm(vendor=self.is_vendor, case=case),
            status_form=CaseStatusForm(current=case.status, case=case),
            resolve_form=CaseResolveForm(
                adjustable=_adjustable(case), two_parties=case.other_partner_id is not None
            ),
            rate_form=CaseRateForm(),
            refer_form=CaseMediationReferForm(),
            conclude_form=CaseMediationConcludeForm(),
            can_rate=not self.is_vendor
            and own_side
            and case.rating is None
            and case.status in (Case.Status.RESOLVED, Case.Status.CLOSED),
            can_see_payouts=request_role(self.request) in PAYOUT_ROLES,
        )
        if self.is_vendor and case.is_active:
            can_reassign = case_reassign_allowed(case=case, actor=self.request.user)
            context["reassign_form"] = CaseReassignForm(case=case) if can_reassign else None
        return context


def _adjustable(case: Case) -> bool:
    """Whether resolving `case` may create an adjustment on the partner's next statement."""
    return case.kind == Case.Kind.PAYOUT and case.adjustment_id is None


class _CaseAction(CaseMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        case = self.get_case()
        try:
            self.act(case)
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("case_detail", pk=case.pk)

    def form_errors(self, form) -> None:
        """Flash each error with the label of the field it is about."""
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else None
            for error in errors:
                if label:
                    error = _("%(field)s: %(error)s") % {"field": label, "error": error}
                messages.error(self.request, error)


class CaseMessageView(_CaseAction):
    def act(self, case: Case) -> None:
        form = CaseMessageForm(
            self.request.POST, self.request.FILES, vendor=self.is_vendor, case=case
        )
        if not form.is_valid():
            self.form_errors(form)
            return
        to = form.cleaned_data.get("to")
        case_message_add(
            case=case,
            actor=self.request.user,
            body=form.cleaned_data["body"],
            internal=form.cleaned_data.get("internal", False),
            upload=form.cleaned_data["attachment"],
            to=case.partner if to == case.partner_id else case.other_partner if to else None,
        )
        messages.success(self.request, _("Your message was added."))


class CaseStatusView(_CaseAction):
    allowed_roles = VENDOR_ROLES

    def act(self, case: Case) -> None:
        form = CaseStatusForm(self.request.POST, current=case.status, case=case)
        if not form.is_valid():
            self.form_errors(form)
            return
        case_status_change(
            case=case,
            actor=self.request.user,
            status=form.cleaned_data["status"],
            reason=form.cleaned_data["reason"],
            **form.reason_audience(),
        )
        messages.success(self.request, _("The status was changed."))


class CaseReassignView(_CaseAction):
    """Hand the case to another vendor admin or channel manager, with the reason."""

    allowed_roles = VENDOR_ROLES

    def act(self, case: Case) -> None:
        form = CaseReassignForm(self.request.POST, case=case)
        if not form.is_valid():
            self.form_errors(form)
            return
        try:
            case = case_reassign(
                case=case,
                actor=self.request.user,
                owner=form.cleaned_data["owner"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            if exc.field in form.fields:
                form.add_error(exc.field, exc.message)
                self.form_errors(form)
                return
            raise
        messages.success(self.request, _("%(owner)s now owns the case.") % {"owner": case.owner})


class CaseResolveView(_CaseAction):
    allowed_roles = VENDOR_ROLES

    def act(self, case: Case) -> None:
        form = CaseResolveForm(self.request.POST, adjustable=_adjustable(case))
        if not form.is_valid():
            self.form_errors(form)
            return
        case_resolve(
            case=case,
            actor=self.request.user,
            resolution=form.cleaned_data["resolution"],
            adjustment_amount=form.cleaned_data.get("adjustment_amount"),
        )
        messages.success(self.request, _("The case was resolved."))


class CaseMediationReferView(_CaseAction):
    allowed_roles = VENDOR_ROLES

    def act(self, case: Case) -> None:
        form = CaseMediationReferForm(self.request.POST)
        if not form.is_valid():
            self.form_errors(form)
            return
        case_mediation_refer(case=case, actor=self.request.user, **form.cleaned_data)
        messages.success(self.request, _("The case was referred to mediation."))


class CaseMediationConcludeView(_CaseAction):
    allowed_roles = VENDOR_ROLES

    def act(self, case: Case) -> None:
        form = CaseMediationConcludeForm(self.request.POST)
        if not form.is_valid():
            self.form_errors(form)
            return
        case_mediation_conclude(case=case, actor=self.request.user, **form.cleaned_data)
        messages.success(self.request, _("The mediation outcome was recorded."))


class CaseDiscloseView(_CaseAction):
    allowed_roles = VENDOR_ROLES

    def act(self, case: Case) -> None:
        case_parties_disclose(case=case, actor=self.request.user)
        messages.success(self.request, _("Both partners now see each other's name."))


class CaseRateView(_CaseAction):
    allowed_roles = PARTNER_ROLES

    def act(self, case: Case) -> None:
        form = CaseRateForm(self.request.POST)
        if not form.is_valid():
            self.form_errors(form)
            return
        if case.partner_id != self.request.partner.pk:
            raise DomainError(_("Only the partner who raised the case rates it."))
        case_rate(
            case=case,
            actor=self.request.user,
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
        )
        messages.success(self.request, _("Thank you for your rating."))


class CaseAttachmentView(RoleRequiredMixin, View):
    """Serve an attachment to those who may read its message, always as a download."""

    allowed_roles = ALL_ROLES

    def get(self, request, pk, message_pk):
        message = case_message_get(
            user=request.user, case_pk=pk, pk=message_pk, current_partner=request.partner
        )
        response = FileResponse(
            message.attachment.open("rb"),
            as_attachment=True,
            filename=message.attachment_name,
            content_type="application/octet-stream",
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


class CaseReportView(RoleRequiredMixin, TemplateView):
    """Vendor reporting: open cases by age, SLA attainment per owner, response times, ratings;
    each chart beside the table of the same figures."""

    allowed_roles = VENDOR_ROLES
    template_name = "disputes/case_report.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        report = case_report(user=self.request.user, now=timezone.now())
        for row in report["owners"]:
            row["name"] = row["owner__full_name"] or row["owner__email"] or _("Nobody")
        rated = sum(count for _rating, count in report["ratings"])
        context.update(
            report=report,
            age_labels=AGE_LABELS,
            age_chart=column_chart(
                [(str(AGE_LABELS[key]), count, str(count)) for key, count in report["ages"]]
            ),
            sla_chart=_sla_chart(report["owners"]),
            rating_chart=column_chart(
                [(_rating_label(rating), count, str(count)) for rating, count in report["ratings"]]
            ),
            rating_labels={rating: _rating_label(rating) for rating in RATINGS},
            rated=rated,
            mean_rating=(
                sum(rating * count for rating, count in report["ratings"]) / rated
                if rated
                else None
            ),
        )
        return context


def _rating_label(rating: int) -> str:
    return ngettext("%(rating)s star", "%(rating)s stars", rating) % {"rating": rating}


def _sla_chart(owners: list[dict]):
    """Per owner, the share of first-response and resolution deadlines met, as two bars."""

    def bar(label: str, rate: int | None, met: int, due: int) -> tuple[str, int | None, str]:
        if rate is None:
            return label, None, _("no deadline due yet")
        return (
            label,
            rate,
            _("%(rate)s%% (%(met)s of %(due)s)")
            % {
                "rate": rate,
                "met": met,
                "due": due,
            },
        )

    return bar_chart(
        [
            (
                row["name"],
                [
                    bar(
                        _("First response"),
                        row["response_rate"],
                        row["response_met"],
                        row["responses_due"],
                    ),
                    bar(
                        _("Resolution"),
                        row["resolution_rate"],
                        row["resolution_met"],
                        row["resolutions_due"],
                    ),
                ],
            )
            for row in owners
        ],
        value_width=130,
    )


AGE_LABELS = {
    "under_1": gettext_lazy("Under 1 day"),
    "1_to_3": gettext_lazy("1–3 days"),
    "3_to_7": gettext_lazy("3–7 days"),
    "7_to_14": gettext_lazy("7–14 days"),
    "over_14": gettext_lazy("Over 14 days"),
}
