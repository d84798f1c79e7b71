from django.urls import path

from api.routing import resource_urls
from exports import views

urlpatterns = [
    *resource_urls("exports", views.ExportViewSet),
    *resource_urls("skill_exports", views.SkillExportViewSet),
    path("downloads/<str:token>", views.download, name="downloads"),
]
