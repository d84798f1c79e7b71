from api.routing import resource_urls
from files import views

urlpatterns = [
    *resource_urls("files", views.FileViewSet),
    *resource_urls("file_links", views.FileLinkViewSet),
]
