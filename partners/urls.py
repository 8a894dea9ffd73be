from django.urls import path

from . import views

urlpatterns = [
    path("", views.PartnerListView.as_view(), name="partner_list"),
    path("new/", views.PartnerCreateView.as_view(), name="partner_create"),
    path("switch/", views.PartnerSwitchView.as_view(), name="partner_switch"),
    path("invitations/<str:key>/", views.InvitationAcceptView.as_view(), name="invitation_accept"),
    path(
        "<str:code>/status/",
        views.PartnerStatusChangeView.as_view(),
        name="partner_status_change",
    ),
    path("<str:code>/risk/", views.PartnerRiskUpdateView.as_view(), name="partner_risk_update"),
    path("<str:code>/invitations/", views.InvitationCreateView.as_view(), name="invitation_create"),
    path(
        "<str:code>/invitations/<int:pk>/revoke/",
        views.InvitationRevokeView.as_view(),
        name="invitation_revoke",
    ),
    path(
        "<str:code>/members/<int:pk>/role/",
        views.MembershipRoleChangeView.as_view(),
        name="membership_role_change",
    ),
    path("<str:code>/targets/", views.TargetListView.as_view(), name="target_list"),
    path("<str:code>/targets/propose/", views.TargetProposeView.as_view(), name="target_propose"),
    path(
        "<str:code>/targets/proposals/<int:pk>/accept/",
        views.TargetProposalAcceptView.as_view(),
        name="target_proposal_accept",
    ),
    path(
        "<str:code>/targets/proposals/<int:pk>/counter/",
        views.TargetProposalCounterView.as_view(),
        name="target_proposal_counter",
    ),
]
