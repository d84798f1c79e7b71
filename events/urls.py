from api.routing import resource_urls
from events import views

urlpatterns = [
    *resource_urls("events", views.EventViewSet),
    *resource_urls("versions", views.VersionViewSet),
    *resource_urls("event_stores", views.EventStoreViewSet),
    *resource_urls("webhooks", views.WebhookViewSet),
    *resource_urls("event_callbacks", views.EventCallbackViewSet),
]
