from django.utils import timezone
from rest_framework import generics, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from tasks.models import Project, Task
from tasks.permissions import IsOwner
from tasks.serializers import ProjectSerializer, RegisterSerializer, TaskSerializer


class RegisterView(generics.CreateAPIView):
    serializer_class = RegisterSerializer
    permission_classes = (permissions.AllowAny,)
    authentication_classes = ()


class ProjectViewSet(viewsets.ModelViewSet):
    serializer_class = ProjectSerializer
    permission_classes = (permissions.IsAuthenticated, IsOwner)

    def get_queryset(self):
        return Project.objects.filter(owner=self.request.user)

    def perform_create(self, serializer):
        # BUG (deliberate): the (owner, name) unique constraint is not validated by the serializer
        # (owner is read-only), so a duplicate name raises IntegrityError -> 500 instead of 400.
        serializer.save(owner=self.request.user)


class TaskViewSet(viewsets.ModelViewSet):
    serializer_class = TaskSerializer
    # BUG (deliberate): IsOwner is missing, and only `list` is filtered by owner, so any
    # authenticated user can read, change or delete anyone's task by id.
    permission_classes = (permissions.IsAuthenticated,)

    def get_queryset(self):
        tasks = Task.objects.select_related("project", "owner")
        if self.action == "list":
            return tasks.filter(owner=self.request.user)
        return tasks

    def perform_create(self, serializer):
        serializer.save(owner=self.request.user)

    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        task = self.get_object()
        task.status = Task.Status.DONE
        task.completed_at = timezone.now()
        # BUG (deliberate): no task.save(); the response says "done", the database still says otherwise.
        return Response(self.get_serializer(task).data)
