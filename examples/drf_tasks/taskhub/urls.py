from django.urls import include, path
from rest_framework.authtoken.views import obtain_auth_token
from tasks.views import RegisterView

urlpatterns = [
    path("api/auth/register/", RegisterView.as_view(), name="register"),
    path("api/auth/token/", obtain_auth_token, name="api-token"),
    path("api/", include("tasks.urls")),
]
