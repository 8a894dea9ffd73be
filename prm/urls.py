from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from agreements import api as agreements_api
from agreements.urls import pricing_urlpatterns
from commissions import api as commissions_api
from commissions.urls import import_urlpatterns, payment_import_urlpatterns, payout_urlpatterns
from dashboards import views as dashboard_views
from disputes import api as disputes_api
from enablement import api as enablement_api
from enablement import certificate_api
from engagement import api as engagement_api
from engagement import board_api
from funds import api as funds_api
from funds import protection_api
from partners import api as partners_api
from prm.accounts import api as accounts_api
from prm.accounts import views as accounts_views
from prm.core import views as core_views
from prm.notifications import api as notifications_api

admin.site.site_header = "PRM Portal"
admin.site.site_title = "PRM Portal"
# The Django admin has no sign-in of its own: /admin/login/ sends to the portal's, which applies
# the second factor and the sign-in rate limits.
admin.site.login = secure_admin_login(admin.site.login)

api_v1 = [
    path("me/", accounts_api.MeView.as_view(), name="me"),
    path("pricing/", agreements_api.PricingView.as_view(), name="pricing"),
    path("statements/", commissions_api.StatementListAPIView.as_view(), name="statement-list"),
    path(
        "statements/<int:pk>/acknowledge/",
        commissions_api.StatementAcknowledgeAPIView.as_view(),
        name="statement-acknowledge",
    ),
    path(
        "statements/<int:pk>/lines/<int:position>/sales/",
        commissions_api.StatementLineSalesAPIView.as_view(),
        name="statement-line-sales",
    ),
    path(
        "statements/approve/",
        commissions_api.StatementApproveAPIView.as_view(),
        name="statement-approve",
    ),
    path("sales/imports/", commissions_api.SalesImportAPIView.as_view(), name="sales-import"),
    path(
        "payments/imports/",
        commissions_api.PaymentsImportAPIView.as_view(),
        name="payment-import",
    ),
    path("payouts/recompute/", commissions_api.RecomputeAPIView.as_view(), name="recompute"),
    path("partners/", partners_api.PartnerListAPIView.as_view(), name="partner-list"),
    path(
        "partners/<str:code>/", partners_api.PartnerDetailAPIView.as_view(), name="partner-detail"
    ),
    path("deals/", partners_api.DealListCreateAPIView.as_view(), name="deal-list"),
    path("deals/<int:pk>/", partners_api.DealDetailAPIView.as_view(), name="deal-detail"),
    path("disputes/", disputes_api.CaseListCreateAPIView.as_view(), name="case-list"),
    path("mdf/funds/", funds_api.FundListAPIView.as_view(), name="mdf-fund-list"),
    path("mdf/requests/", funds_api.FundRequestCreateAPIView.as_view(), name="mdf-request-create"),
    path(
        "mdf/requests/<int:pk>/decision/",
        funds_api.FundRequestDecisionAPIView.as_view(),
        name="mdf-request-decision",
    ),
    path(
        "mdf/requests/<int:pk>/claim/",
        funds_api.FundClaimCreateAPIView.as_view(),
        name="mdf-claim-create",
    ),
    path(
        "mdf/claims/<int:pk>/decision/",
        funds_api.FundClaimDecisionAPIView.as_view(),
        name="mdf-claim-decision",
    ),
    path(
        "purchases/imports/",
        protection_api.PurchaseImportAPIView.as_view(),
        name="purchase-import",
    ),
    path(
        "price-protection/claims/",
        protection_api.ProtectionClaimListAPIView.as_view(),
        name="protection-claim-list",
    ),
    path(
        "price-protection/claims/<int:pk>/declare/",
        protection_api.ProtectionClaimDeclareAPIView.as_view(),
        name="protection-claim-declare",
    ),
    path(
        "price-protection/claims/<int:pk>/decision/",
        protection_api.ProtectionClaimDecisionAPIView.as_view(),
        name="protection-claim-decision",
    ),
    path(
        "learning/certifications/",
        certificate_api.CertificateListAPIView.as_view(),
        name="certification-list",
    ),
    path(
        "tiers/evaluation/",
        enablement_api.TierEvaluationView.as_view(),
        name="tier-evaluation",
    ),
    path("community/posts/", board_api.PostListCreateAPIView.as_view(), name="board-post-list"),
    path(
        "commitments/",
        engagement_api.CommitmentRecordAPIView.as_view(),
        name="commitment-record",
    ),
    path("health/", engagement_api.HealthAPIView.as_view(), name="health-score"),
    path(
        "notifications/",
        notifications_api.NotificationListAPIView.as_view(),
        name="notification-list",
    ),
    path(
        "notifications/read/",
        notifications_api.NotificationMarkReadAPIView.as_view(),
        name="notification-read",
    ),
]

urlpatterns = [
    path("", dashboard_views.DashboardView.as_view(), name="dashboard"),
    path("healthz/", core_views.HealthView.as_view(), name="health"),
    path("partners/", include("partners.urls")),
    # A partner's 360° page composes every app, so it is routed here, after the partner pages.
    path(
        "partners/<str:code>/",
        dashboard_views.PartnerDetailView.as_view(),
        name="partner_detail",
    ),
    path("deals/", include("partners.deal_urls")),
    path("agreements/", include("agreements.urls")),
    path("pricing/", include(pricing_urlpatterns)),
    path("payouts/", include(payout_urlpatterns)),
    path("sales/imports/", include(import_urlpatterns)),
    path("payments/imports/", include(payment_import_urlpatterns)),
    path("disputes/", include("disputes.urls")),
    path("funds/", include("funds.urls")),
    path("reviews/", include("partners.review_urls")),
    path("announcements/", include("partners.announcement_urls")),
    path("tiers/", include("enablement.urls")),
    path("notifications/", include("prm.notifications.urls")),
    path("learning/", include("enablement.learning_urls")),
    path("resources/", include("enablement.resource_urls")),
    path("pulse/", include("engagement.pulse_urls")),
    path("community/", include("engagement.board_urls")),
    path("commitments/", include("engagement.commitment_urls")),
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
