"""`[tool.seamline]` / seamline.toml: values, where they came from, errors, per-app overrides,
and include/exclude reaching discovery."""

from __future__ import annotations

import pytest
from seamline import cli
from seamline.core.analyze.scan import scan
from seamline.core.config import AppConfig, load_config
from seamline.core.errors import ConfigError
from workspace import write_tree


def test_reads_values_and_records_their_source(tmp_path):
    write_tree(tmp_path, {"pyproject.toml": """
[project]
name = "x"
[tool.seamline]
include = ["app/*"]
exclude = "legacy/*"
entry = "app.main:app"
django-settings = "mysite.settings"
output = "tests/generated"
"""})
    cfg = load_config(tmp_path)
    assert (cfg.include, cfg.exclude, cfg.entry, cfg.django_settings, cfg.output) == (
        ("app/*",), ("legacy/*",), "app.main:app", "mysite.settings", "tests/generated")
    assert {(v.key, v.source) for v in cfg.values()} == {
        ("include", "pyproject.toml"), ("exclude", "pyproject.toml"), ("entry", "pyproject.toml"),
        ("django_settings", "pyproject.toml"), ("output", "pyproject.toml")}


def test_defaults_without_a_table(tmp_path):
    write_tree(tmp_path, {"pyproject.toml": "[project]\nname = 'x'\n"})
    cfg = load_config(tmp_path)
    assert cfg == AppConfig()
    assert [(v.key, v.value, v.source) for v in cfg.values()] == [("output", "tests/integration", "default")]


def test_seamline_toml_wins_over_pyproject(tmp_path):
    write_tree(tmp_path, {"pyproject.toml": "[tool.seamline]\nentry = 'a:app'\n",
                      "seamline.toml": "entry = 'b:app'\n"})
    cfg = load_config(tmp_path)
    assert cfg.entry == "b:app"
    assert cfg.sources["entry"] == "seamline.toml"


@pytest.mark.parametrize(("table", "message"), [
    pytest.param("include = 5", "include must be a list of glob strings", id="include-int"),
    pytest.param("exclude = ['a', 1]", "exclude must be a list of glob strings", id="exclude-mixed"),
    pytest.param("entry = 3", "entry must be a string", id="entry-int"),
    pytest.param("django-settings = ['a']", "django-settings must be a string", id="settings-list"),
    pytest.param("output = false", "output must be a string", id="output-bool"),
])
def test_invalid_types_raise_config_error(tmp_path, table, message):
    write_tree(tmp_path, {"pyproject.toml": f"[tool.seamline]\n{table}\n"})
    with pytest.raises(ConfigError, match=message) as err:
        load_config(tmp_path)
    assert "pyproject.toml" in str(err.value)


def test_table_that_is_not_a_table(tmp_path):
    write_tree(tmp_path, {"pyproject.toml": "[tool]\nseamline = 'yes'\n"})
    with pytest.raises(ConfigError, match="must be a table"):
        load_config(tmp_path)


def test_invalid_seamline_toml_is_an_error_but_invalid_pyproject_is_ignored(tmp_path):
    write_tree(tmp_path / "a", {"seamline.toml": "entry = \n"})
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(tmp_path / "a")
    write_tree(tmp_path / "b", {"pyproject.toml": "[tool.seamline\n"})
    assert load_config(tmp_path / "b") == AppConfig()


def test_per_app_values_override_the_root(tmp_path):
    write_tree(tmp_path, {
        "pyproject.toml": "[tool.seamline]\noutput = 'it'\nentry = 'root:app'\n",
        "svc/pyproject.toml": "[tool.seamline]\nentry = 'svc.main:app'\n",
    })
    root = load_config(tmp_path)
    app = load_config(tmp_path / "svc", root)
    assert (app.entry, app.output) == ("svc.main:app", "it")
    assert root.entry == "root:app"  # the parent is not changed


def test_exclude_and_include_reach_discovery(tmp_path):
    write_tree(tmp_path, {
        "pyproject.toml": "[tool.seamline]\nexclude = ['legacy/*']\n",
        "app/__init__.py": "",
        "app/main.py": "import redis\n",
        "legacy/old.py": "import pymongo\n",
    })
    project = scan(tmp_path)
    assert project.stats["files"] == 2
    assert [s.kind for s in project.services] == ["redis"]
    (tmp_path / "pyproject.toml").write_text("[tool.seamline]\ninclude = ['legacy/*']\n")
    project = scan(tmp_path)
    assert project.stats["files"] == 1
    assert [s.kind for s in project.services] == ["mongodb"]


def test_excluded_folders_hide_their_project_files_too(tmp_path):
    write_tree(tmp_path, {
        "pyproject.toml": "[tool.seamline]\nexclude = ['deploy']\n",
        "main.py": "print('hi')\n",
        "deploy/requirements.txt": "psycopg2\n",
    })
    assert scan(tmp_path).services == ()


def test_table_output_says_which_values_were_read(tmp_path, capsys):
    write_tree(tmp_path, {"pyproject.toml": "[tool.seamline]\nentry = 'main:app'\n", "main.py": "x = 1\n"})
    assert cli.main(["scan", str(tmp_path), "--no-cache"]) == 0
    out = capsys.readouterr().out
    assert "  config entry = 'main:app'  (pyproject.toml)" in out
    assert "  config output = 'tests/integration'  (default)" in out


def test_cli_reports_config_errors_with_exit_2(tmp_path, capsys):
    write_tree(tmp_path, {"pyproject.toml": "[tool.seamline]\ninclude = 5\n", "main.py": ""})
    assert cli.main(["scan", str(tmp_path), "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("seamline: ") and "include must be a list of glob strings" in err
