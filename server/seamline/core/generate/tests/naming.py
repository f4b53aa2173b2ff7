"""Names in generated code: models to fixtures (`app.models.OrderLine` -> `make_order_line`,
`count_order_lines`)."""

from __future__ import annotations

import re


def short(dotted_name: str) -> str:
    return dotted_name.rsplit(".", 1)[-1]


def snake(name: str) -> str:
    """`TaskViewSet` -> `task_view_set`, `APIRootView` -> `api_root_view`."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", short(name)).lower()


_VIEW_SUFFIX = re.compile(r"(ViewSet|APIView|View|Resource|API|Api)$")


def handler_name(handler: str) -> str:
    """What a test is named after: `create_item`; for a class view its class without the
    View/ViewSet suffix and the action (`ProjectViewSet.create` -> `project_create`,
    `RegisterView.post` -> `register_post`, `APIRootView` -> `api_root`)."""
    parts = handler.split(".")
    last = parts[-1]
    if last[:1].isupper():
        return snake(_VIEW_SUFFIX.sub("", last) or last)
    if len(parts) > 1 and parts[-2][:1].isupper():
        return f"{snake(_VIEW_SUFFIX.sub('', parts[-2]) or parts[-2])}_{last}"
    return last


# Words in -o (after a consonant) that take a plain -s; the others take -es (hero -> heroes).
_O_PLAIN = frozenset({"photo", "memo", "logo", "piano", "demo", "info", "todo", "repo", "promo", "auto", "typo",
                      "combo", "disco", "kilo", "euro", "limo", "pro", "macro", "metro", "intro", "silo", "solo"})


def plural(name: str) -> str:
    """The plural of a model's snake name (`count_<plural>` fixtures, default table names):
    category -> categories, hero -> heroes, box -> boxes, status -> statuses; a name already in the
    plural (`Tags`, `News`) stays as it is."""
    word = snake(name)
    last = word.rsplit("_", 1)[-1]
    if word.endswith("y") and not word.endswith(("ay", "ey", "oy", "uy")):
        return word[:-1] + "ies"
    if word.endswith(("ss", "us", "x", "z", "ch", "sh")) or (word.endswith("o") and word[-2:-1] not in "aeiou"
                                                              and last not in _O_PLAIN):
        return word + "es"
    if word.endswith("s"):  # tags, news, settings: already plural
        return word
    return word + "s"
