"""Ideas and questions board pages (/community/): the list with search, filters and sorting,
a post with its comments, and the actions of partners (post, vote, comment) and of vendor staff
(answer, status, merge, hide). Authors show as tier and territory, never by name."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView

from partners.forms import BootstrapMixin
from partners.views.base import ActionView
from prm.core.access import (
    BOARD_PARTNER_ROLES,
    BOARD_ROLES,
    VENDOR_ROLES,
    RoleRequiredMixin,
    is_vendor,
)
from prm.core.errors import DomainError

from .board import Reader, authors_label, category_list, comment_list, post_get, post_list
from .board_services import (
    comment_add,
    post_create,
    post_hide,
    post_merge,
    post_status_set,
    post_unhide,
    post_vote_toggle,
)
from .models import BoardCategory, Post

PAGE_SIZE = 20


def reader_for(request) -> Reader:
    return Reader(user=request.user, partner=request.partner, is_vendor=is_vendor(request))


class BoardFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100)
    category = forms.ChoiceField(label=gettext_lazy("Category"), required=False)
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        required=False,
        choices=[("", gettext_lazy("Ideas and questions")), *Post.Kind.choices],
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Any but merged")), *Post.Status.choices],
    )
    sort = forms.ChoiceField(
        label=gettext_lazy("Sort by"),
        required=False,
        choices=[("votes", gettext_lazy("Most votes")), ("newest", gettext_lazy("Newest"))],
    )

    def __init__(self, *args, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("Every category"))] + [
            (c.code, c.display_name) for c in categories
        ]


class BoardListView(RoleRequiredMixin, TemplateView):
    allowed_roles = BOARD_ROLES
    template_name = "engagement/board_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        categories = category_list()
        form = BoardFilterForm(self.request.GET or None, categories=categories)
        data = form.cleaned_data if form.is_valid() else {}
        reader = reader_for(self.request)
        rows = post_list(
            reader=reader,
            category=data.get("category", ""),
            status=data.get("status", ""),
            kind=data.get("kind", ""),
            search=data.get("q", ""),
            sort=data.get("sort") or "votes",
        )
        page = Paginator(rows, PAGE_SIZE).get_page(self.request.GET.get("page"))
        posts = list(page.object_list)
        authors_label(posts, reader=reader)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            form=form,
            page=page,
            posts=posts,
            is_vendor=reader.is_vendor,
            query=query.urlencode(),
        )
        return context


class PostForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Post.Kind.choices)
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"), queryset=BoardCategory.objects.all()
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    body = forms.CharField(
        label=gettext_lazy("Details"), max_length=10000, widget=forms.Textarea(attrs={"rows": 6})
    )


class PostCreateView(RoleRequiredMixin, FormView):
    allowed_roles = BOARD_PARTNER_ROLES
    template_name = "engagement/post_form.html"
    form_class = PostForm

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            post = post_create(
                actor=self.request.user,
                partner=self.request.partner,
                kind=data["kind"],
                category=data["category"],
                title=data["title"],
                body=data["body"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            return self.form_invalid(form)
        messages.success(self.request, _("Posted. Other partners see it without your name."))
        return redirect("board_post_detail", pk=post.pk)


class StatusForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=[(k, v) for k, v in Post.Status.choices if k != Post.Status.MERGED],
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MergeForm(BootstrapMixin, forms.Form):
    into = forms.IntegerField(label=gettext_lazy("Merge into post number"), min_value=1)


class HideForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (only the author's organisation sees it)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CommentForm(BootstrapMixin, forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Comment"), max_length=10000, widget=forms.Textarea(attrs={"rows": 3})
    )


class PostDetailView(RoleRequiredMixin, TemplateView):
    allowed_roles = BOARD_ROLES
    template_name = "engagement/post_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        reader = reader_for(self.request)
        post = post_get(reader=reader, pk=self.kwargs["pk"])
        comments = comment_list(post=post)
        authors_label([post, *comments], reader=reader)
        vendor = reader.is_vendor
        context.update(
            post=post,
            comments=comments,
            is_vendor=vendor,
            own=reader.partner_id is not None and post.partner_id == reader.partner_id,
            can_vote=not vendor
            and post.status in ("open", "under_review", "planned")
            and not post.is_hidden,
            comment_form=CommentForm(),
            status_form=StatusForm(initial={"status": post.status}) if vendor else None,
            merge_form=MergeForm() if vendor else None,
            hide_form=HideForm() if vendor else None,
        )
        return context


class _PostActionView(ActionView):
    def post_or_404(self) -> Post:
        return post_get(reader=reader_for(self.request), pk=self.kwargs["pk"])

    def back(self):
        return redirect("board_post_detail", pk=self.kwargs["pk"])


class PostVoteView(_PostActionView):
    allowed_roles = BOARD_PARTNER_ROLES

    def post(self, request, pk):
        post = self.post_or_404()
        try:
            voted = post_vote_toggle(actor=request.user, partner=request.partner, post=post)
        except DomainError as exc:
            self.domain_error(exc)
        else:
            messages.success(request, _("Vote counted.") if voted else _("Vote taken back."))
        if request.POST.get("next") == "list":
            return redirect("board_list")
        return self.back()


class CommentAddView(_PostActionView):
    allowed_roles = BOARD_ROLES

    def post(self, request, pk):
        post = self.post_or_404()
        form = CommentForm(request.POST)
        if not form.is_valid():
            self.form_errors(form)
            return self.back()
        try:
            comment_add(
                actor=request.user,
                partner=request.partner,
                post=post,
                body=form.cleaned_data["body"],
                vendor=is_vendor(request),
            )
        except DomainError as exc:
            self.domain_error(exc)
        else:
            messages.success(request, _("Comment added."))
        return self.back()


class PostStatusView(_PostActionView):
    allowed_roles = VENDOR_ROLES

    def post(self, request, pk):
        post = self.post_or_404()
        form = StatusForm(request.POST)
        if not form.is_valid():
            self.form_errors(form)
            return self.back()
        try:
            post_status_set(
                actor=request.user,
                post=post,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            self.domain_error(exc)
        else:
            messages.success(request, _("Status changed; the author and the voters are told."))
        return self.back()


class PostMergeView(_PostActionView):
    allowed_roles = VENDOR_ROLES

    def post(self, request, pk):
        post = self.post_or_404()
        form = MergeForm(request.POST)
        if not form.is_valid():
            self.form_errors(form)
            return self.back()
        into = Post.objects.filter(pk=form.cleaned_data["into"]).first()
        try:
            post_merge(actor=request.user, post=post, into=into or post)
        except DomainError as exc:
            self.domain_error(exc)
            return self.back()
        messages.success(request, _("Merged; the votes moved to the other post."))
        return redirect("board_post_detail", pk=into.pk)


class PostHideView(_PostActionView):
    allowed_roles = VENDOR_ROLES

    def post(self, request, pk):
        post = self.post_or_404()
        form = HideForm(request.POST)
        if not form.is_valid():
            self.form_errors(form)
            return self.back()
        try:
            post_hide(actor=request.user, post=post, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            self.domain_error(exc)
        else:
            messages.success(request, _("Hidden; its author sees why."))
        return self.back()


class PostUnhideView(_PostActionView):
    allowed_roles = VENDOR_ROLES

    def post(self, request, pk):
        post = self.post_or_404()
        try:
            post_unhide(actor=request.user, post=post)
        except DomainError as exc:
            self.domain_error(exc)
        else:
            messages.success(request, _("The post is on the board again."))
        return self.back()
