"""Sharing a project outside the app: a summary posted to the team webhook, an export of its tasks
stored in S3. Only the project's owner may do either."""

from django.utils import timezone
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from tasks.models import Project
from tasks.outside import ExportNotStored, WebhookUnavailable, post_to_webhook, store_export
from tasks.permissions import IsOwner
from tasks.serializers import ProjectSerializer, TaskSerializer


class ProjectSharingViewSet(viewsets.GenericViewSet):
    """The sharing actions of a project, under its routes: /api/projects/{pk}/share/ and .../export/."""

    serializer_class = ProjectSerializer
    permission_classes = (permissions.IsAuthenticated, IsOwner)

    def get_queryset(self):
        return Project.objects.filter(owner=self.request.user)

    @action(detail=True, methods=["post"])
    def share(self, request, pk=None):
        """Tell the team about the project: its name and how many of its tasks are done."""
        project = self.get_object()
        done = project.tasks.filter(status="done").count()
        message = {"text": f"{project.name}: {done} of {project.tasks.count()} tasks done",
                   "project": project.pk, "shared_by": request.user.username}
        try:
            permalink = post_to_webhook(message)
        except WebhookUnavailable:
            return Response({"detail": "The team webhook is unavailable, try again later."},
                            status=status.HTTP_502_BAD_GATEWAY)
        return Response({"shared": True, "permalink": permalink})

    @action(detail=True, methods=["post"])
    def export(self, request, pk=None):
        """Store the project's tasks as JSON in the exports bucket."""
        project = self.get_object()
        key = f"exports/project-{project.pk}/{timezone.now():%Y%m%dT%H%M%S}.json"
        document = {"project": project.name, "tasks": TaskSerializer(project.tasks.all(), many=True).data}
        try:
            store_export(key, document)
        except ExportNotStored:
            return Response({"detail": "The export could not be stored, try again later."},
                            status=status.HTTP_503_SERVICE_UNAVAILABLE)
        return Response({"key": key}, status=status.HTTP_201_CREATED)  # a new export, stored under `key`
