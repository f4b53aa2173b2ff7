from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from rest_framework import serializers

from tasks.models import Project, Task

User = get_user_model()


class RegisterSerializer(serializers.ModelSerializer):
    password = serializers.CharField(write_only=True, min_length=8, max_length=128)

    class Meta:
        model = User
        fields = ("id", "username", "email", "password")

    def validate_password(self, value):
        validate_password(value)
        return value

    def create(self, validated_data):
        return User.objects.create_user(**validated_data)


class ProjectSerializer(serializers.ModelSerializer):
    owner = serializers.ReadOnlyField(source="owner.username")
    task_count = serializers.IntegerField(source="tasks.count", read_only=True)

    class Meta:
        model = Project
        fields = ("id", "name", "description", "owner", "task_count", "created_at")
        read_only_fields = ("created_at",)


class TaskSerializer(serializers.ModelSerializer):
    owner = serializers.ReadOnlyField(source="owner.username")

    class Meta:
        model = Task
        fields = ("id", "project", "title", "status", "due_date", "completed_at", "owner", "created_at")
        read_only_fields = ("completed_at", "created_at")

    def validate_project(self, project):
        if project.owner_id != self.context["request"].user.id:
            raise serializers.ValidationError("Unknown project.")
        return project
