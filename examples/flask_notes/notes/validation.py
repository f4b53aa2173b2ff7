from flask import abort, request


def json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, description="expected a JSON object")
    return data


def require_str(data: dict, name: str, max_length: int) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        abort(400, description=f"{name} is required")
    if len(value) > max_length:
        abort(400, description=f"{name} is longer than {max_length} characters")
    return value
