"""Partner pulse pages: the survey form for a partner's admins, and the results for vendor
staff by partner, tier and territory over quarters, with the free text and a chart."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from disputes.charts import column_chart
from partners.forms import BootstrapMixin
from partners.models import Territory, Tier
from prm.core.access import PULSE_ANSWER_ROLES, VENDOR_ROLES, RoleRequiredMixin
from prm.core.errors import DomainError

from .models import PulseQuestion
from .pulse import (
    current_quarter,
    pulse_questions,
    pulse_response_get,
    pulse_results,
    quarter_bounds,
    quarters_back,
)
from .pulse_services import pulse_submit

QUARTERS_SHOWN = 4
CHART_WIDTH, CHART_HEIGHT = 480, 200


def pulse_form_class(questions: list[PulseQuestion]) -> type[forms.Form]:
    """A form with one field per question asked, named `q_<code>`."""
    fields = {}
    for q in questions:
        if q.kind == PulseQuestion.Kind.TEXT:
            fields[f"q_{q.code}"] = forms.CharField(
                label=q.display_text,
                required=False,
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
            )
        else:
            low, high = q.scale
            fields[f"q_{q.code}"] = forms.TypedChoiceField(
                label=q.display_text,
                choices=[(str(n), str(n)) for n in range(low, high + 1)],
                coerce=int,
                required=q.kind == PulseQuestion.Kind.RECOMMEND,
                widget=forms.RadioSelect(attrs={"class": "btn-check"}),
            )
    return type("PulseForm", (forms.Form,), fields)


class PulseFormView(RoleRequiredMixin, TemplateView):
    """A partner admin answers this quarter's pulse for the organisation, and may change the
    answers until the quarter closes."""

    allowed_roles = PULSE_ANSWER_ROLES
    template_name = "engagement/pulse_form.html"

    def _setup(self):
        self.questions = pulse_questions()
        self.quarter = current_quarter()
        self.response = pulse_response_get(partner=self.request.partner, quarter=self.quarter)
        return pulse_form_class(self.questions)

    def _initial(self) -> dict:
        if self.response is None:
            return {}
        initial = {}
        for answer in self.response.answers.all():
            key = f"q_{answer.question.code}"
            initial[key] = answer.text if answer.score is None else str(answer.score)
        return initial

    def get(self, request, *args, **kwargs):
        form_class = self._setup()
        return self.render_to_response(
            self.get_context_data(form=form_class(initial=self._initial()))
        )

    def post(self, request, *args, **kwargs):
        form_class = self._setup()
        form = form_class(request.POST)
        if form.is_valid():
            answers = {q.code: form.cleaned_data.get(f"q_{q.code}") for q in self.questions}
            try:
                pulse_submit(actor=request.user, partner=request.partner, answers=answers)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Thank you: your answers are saved."))
                return redirect("pulse_form")
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            quarter=self.quarter,
            closes_on=quarter_bounds(self.quarter)[1],
            response=self.response,
            scales=[(context["form"][f"q_{q.code}"], q) for q in self.questions],
        )
        return context


class PulseFilterForm(BootstrapMixin, forms.Form):
    quarter = forms.ChoiceField(label=gettext_lazy("Quarter"), required=False)
    tier = forms.ChoiceField(label=gettext_lazy("Tier"), required=False)
    territory = forms.ChoiceField(label=gettext_lazy("Territory"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        quarters = quarters_back(current_quarter(), 8)[::-1]
        self.fields["quarter"].choices = [(q, q) for q in quarters]
        self.fields["tier"].choices = [("", _("Every tier"))] + [
            (t.code, t.display_name) for t in Tier.objects.all()
        ]
        self.fields["territory"].choices = [("", _("Every territory"))] + [
            (t.code, str(t)) for t in Territory.objects.all()
        ]


class PulseResultsView(RoleRequiredMixin, TemplateView):
    """Vendor staff: the recommendation score over the last quarters for the partners they
    manage, by partner, tier and territory; the ratings; the free text of the quarter."""

    allowed_roles = VENDOR_ROLES
    template_name = "engagement/pulse_results.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = PulseFilterForm(self.request.GET or None)
        data = form.cleaned_data if form.is_valid() else {}
        quarter = data.get("quarter") or current_quarter()
        results = pulse_results(
            user=self.request.user,
            quarter=quarter,
            count=QUARTERS_SHOWN,
            tier=data.get("tier", ""),
            territory=data.get("territory", ""),
        )
        context.update(
            form=form,
            quarter=quarter,
            results=results,
            chart=column_chart(
                [
                    (q, float(score or 0), str(score) if score is not None else "—")
                    for q, score in zip(results.quarters, results.overall, strict=True)
                ],
                width=CHART_WIDTH,
                height=CHART_HEIGHT,
            ),
        )
        return context
