from rest_framework import permissions


class IsOwner(permissions.BasePermission):
    """Object-level permission: only the owner may see or change an object."""

    message = "You do not own this object."

    def has_object_permission(self, request, view, obj):
        return obj.owner_id == request.user.id
