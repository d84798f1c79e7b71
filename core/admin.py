"""The background task queue's admin, with the search box every list here has."""

from django.contrib import admin
from django_tasks_db import admin as tasks_admin  # registers its admin first
from django_tasks_db.models import DBTaskResult


class TaskResultAdmin(tasks_admin.DBTaskResultAdmin):
    search_fields = ("id", "task_path", "queue_name", "exception_class_path")


admin.site.unregister(DBTaskResult)
admin.site.register(DBTaskResult, TaskResultAdmin)
