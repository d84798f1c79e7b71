from api.routing import resource_urls
from organizations import views

urlpatterns = [
    *resource_urls("organizations", views.OrganizationViewSet),
    *resource_urls("teams", views.TeamViewSet),
    *resource_urls("members", views.MemberViewSet),
]
