from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .models import Category, Notification, WebhookDelivery, WebhookEndpoint
from .services import WebhookError, webhook_deliver


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(
        label=_("incoming-webhook URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Kept secret: anyone with this address can post to the channel."),
    )
    categories = forms.MultipleChoiceField(
        label=_("categories"),
        choices=Category.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "kind", "url", "partner", "categories", "language", "is_active"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["name", "kind", "partner", "language", "is_active"]
    list_filter = ["kind", "is_active"]
    autocomplete_fields = ["partner"]
    actions = ["send_test"]

    @admin.action(description=_("Send a test message"))
    def send_test(self, request, queryset):
        for endpoint in queryset:
            delivery = WebhookDelivery.objects.create(
                endpoint=endpoint,
                category=(endpoint.categories or [Category.ANNOUNCEMENTS])[0],
                text=str(_("Test message from the PRM portal")),
            )
            try:
                webhook_deliver(delivery_id=delivery.pk)
            except WebhookError as exc:
                self.message_user(
                    request,
                    _("%(name)s did not accept the message: %(error)s")
                    % {"name": endpoint.name, "error": exc},
                    messages.ERROR,
                )
            else:
                self.message_user(
                    request, _("%(name)s accepted the message.") % {"name": endpoint.name}
                )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "endpoint", "category", "status", "attempts", "last_error"]
    list_filter = ["status", "category"]
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "category", "title", "delivery", "read_at"]
    list_filter = ["category", "delivery"]
    search_fields = ["title", "recipient__email"]
    readonly_fields = [field.name for field in Notification._meta.fields]

    def has_add_permission(self, request):
        return False
