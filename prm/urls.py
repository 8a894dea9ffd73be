from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from partners import api as partners_api
from prm.accounts import api as accounts_api
from prm.accounts import views as accounts_views
from prm.core import views as core_views

admin.site.site_header = "PRM Portal"
admin.site.site_title = "PRM Portal"

api_v1 = [
    path("me/", accounts_api.MeView.as_view(), name="me"),
    path("partners/", partners_api.PartnerListAPIView.as_view(), name="partner-list"),
    path(
        "partners/<str:code>/", partners_api.PartnerDetailAPIView.as_view(), name="partner-detail"
    ),
]

urlpatterns = [
    path("", core_views.DashboardView.as_view(), name="dashboard"),
    path("healthz/", core_views.HealthView.as_view(), name="health"),
    path("partners/", include("partners.urls")),
    path("profile/", accounts_views.ProfileView.as_view(), name="profile"),
    path("profile/token/", accounts_views.ApiTokenRotateView.as_view(), name="api_token_rotate"),
    path(
        "profile/token/revoke/",
        accounts_views.ApiTokenRevokeView.as_view(),
        name="api_token_revoke",
    ),
    path("i18n/setlang/", accounts_views.SetLanguageView.as_view(), name="set_language"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
