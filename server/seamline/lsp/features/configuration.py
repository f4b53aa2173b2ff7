"""Settings and trust. Trust and first settings arrive in initializationOptions; settings are then
pulled with workspace/configuration (section "seamline") after `initialized` and re-pulled on
workspace/didChangeConfiguration. Subscribers hear `config_changed` only when a value changed."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from ..server import SeamlineServer
from ..settings import SECTION, parse_settings

log = logging.getLogger(__name__)

TRUST_CHANGED = "seamline/trustChanged"


def field_of(params: Any, name: str, default: Any = None) -> Any:
    """A field of a custom notification's params (pygls hands them over as a dict or an object)."""
    if isinstance(params, dict):
        return params.get(name, default)
    return getattr(params, name, default)


async def apply_settings(ls: SeamlineServer, raw: Any) -> None:
    settings, problem = parse_settings(raw)
    if problem:
        log.warning("%s", problem)
        ls.show_message(problem, types.MessageType.Warning)
    old, ls.settings = ls.settings, settings
    ls.set_log_level(settings.log_level)
    if old != settings:
        log.info("settings changed: %s", settings)
        await ls.dispatcher.emit(ls, "config_changed", old, settings)


async def pull_settings(ls: SeamlineServer) -> None:
    if not ls.client_supports("workspace.configuration"):
        return  # the client pushes (didChangeConfiguration) or never changes them
    scope = ls.workspace.root_uri
    try:
        result = await ls.workspace_configuration_async(
            types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION, scope_uri=scope)]))
    except JsonRpcException as e:
        log.warning("the client did not answer workspace/configuration (%s); keeping the current settings", e)
        return
    await apply_settings(ls, result[0] if result else None)


def register(server: SeamlineServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls: SeamlineServer, params: types.InitializeParams) -> None:
        options = params.initialization_options if isinstance(params.initialization_options, dict) else {}
        ls.trusted = bool(options.get("trusted", False))
        if "trusted" not in options:
            log.info("the client did not say whether the workspace is trusted; treating it as untrusted "
                     "(pass initializationOptions {\"trusted\": true} to allow test environments and runs)")
        ls.settings, problem = parse_settings(options.get("settings"))
        if problem:
            log.warning("%s", problem)
        ls.set_log_level(ls.settings.log_level)

    async def on_initialized(ls: SeamlineServer) -> None:
        if ls.client_supports("workspace.did_change_configuration.dynamic_registration"):
            try:  # without a registration VS Code sends didChangeConfiguration only for synchronized sections
                await ls.client_register_capability_async(types.RegistrationParams(registrations=[
                    types.Registration(id=f"seamline-config-{uuid.uuid4()}",
                                       method=types.WORKSPACE_DID_CHANGE_CONFIGURATION)]))
            except JsonRpcException as e:
                log.info("could not register for configuration changes (%s)", e)
        await pull_settings(ls)

    server.dispatcher.on("initialized", on_initialized)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: SeamlineServer, params: types.DidChangeConfigurationParams) -> None:
        if ls.client_supports("workspace.configuration"):
            await pull_settings(ls)
        elif isinstance(params.settings, dict) and SECTION in params.settings:
            await apply_settings(ls, params.settings[SECTION])

    @server.feature(TRUST_CHANGED)
    async def trust_changed(ls: SeamlineServer, params: Any) -> None:
        trusted = bool(field_of(params, "trusted", False))
        if trusted != ls.trusted:
            ls.trusted = trusted
            log.info("workspace trust changed: %s", "trusted" if trusted else "untrusted")
            await ls.dispatcher.emit(ls, "trust_changed")
