from rest_framework.routers import DefaultRouter

from tasks.sharing import ProjectSharingViewSet
from tasks.views import ProjectViewSet, TaskViewSet

router = DefaultRouter()
router.register("projects", ProjectViewSet, basename="project")
router.register("projects", ProjectSharingViewSet, basename="project-sharing")  # its share/export actions
router.register("tasks", TaskViewSet, basename="task")

urlpatterns = router.urls
