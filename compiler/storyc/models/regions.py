"""The service region: resolved once, then used for prices, model ids, the curl host and the client.

Order: the storyboard's `region` setting, else `--region`, else `$DASHSCOPE_REGION`, else Singapore
(the international site the vendor guide is written for). Base URLs live in `data/regions.json`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Union

from ..base import data

if TYPE_CHECKING:
    from ..language.settings import Settings

DEFAULT_REGION = "singapore"
API_PREFIX = "/api/v1"


class RegionError(ValueError):
    """An unknown region name, or a base URL that is not scheme and host."""


def known_regions() -> tuple[str, ...]:
    table: dict[str, object] = data.table("regions")
    return tuple(name for name in table if name not in ("comment", "default"))


def resolve_region(setting: Union[str, None], option: Union[str, None] = None,
                   environ: Union[Mapping[str, str], None] = None) -> str:
    """The one region a run uses; an unknown name is an error, never a silent default."""
    for where, value in (("the `region` setting", setting), ("--region", option),
                         ("$DASHSCOPE_REGION", (environ or {}).get("DASHSCOPE_REGION"))):
        if value:
            name = value.strip().lower()
            if name not in known_regions():
                raise RegionError(f"unknown region `{value}` ({where}); known regions: {', '.join(known_regions())}")
            return name
    return DEFAULT_REGION


def region_for(setting: Union[str, None], option: Union[str, None] = None) -> str:
    """`resolve_region` with the process environment: what check, plan, compile and render use."""
    import os

    return resolve_region(setting, option, os.environ)


def region_base_url(region: str) -> Union[str, None]:
    """The classic endpoint of a region (scheme and host), or None where only workspace endpoints exist."""
    table: dict[str, Union[str, None]] = data.table("regions")
    return table.get(region)


def normalise_base_url(url: str) -> str:
    """`http://127.0.0.1:8000`, `…/`, `…/api/v1` and `…/api/v1/` all mean the same service root."""
    text = url.strip().rstrip("/")
    if text.endswith(API_PREFIX):
        text = text[: -len(API_PREFIX)].rstrip("/")
    from urllib.parse import urlsplit  # only here: the import costs `story check` ~3 ms

    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query or parts.fragment:
        raise RegionError(f"base URL `{url}` must be a scheme and host, such as https://dashscope-intl.aliyuncs.com "
                          f"(a trailing {API_PREFIX} is accepted)")
    return text


def service_root(region: str, override: Union[str, None] = None) -> str:
    """Where requests go: the override (`--base-url` or `$DASHSCOPE_BASE_URL`) else the region's endpoint."""
    if override:
        return normalise_base_url(override)
    url = region_base_url(region)
    if url is None:
        raise RegionError(f"region `{region}` has only workspace endpoints: set DASHSCOPE_BASE_URL "
                          "(or --base-url) to https://{WorkspaceId}.<region>.maas.aliyuncs.com")
    return url


def scope_region(own: Settings, file: Settings, region: Union[str, None]) -> str:
    """The region a clip's requests go to: its own `region` line, else the one resolved for the file."""
    if "region" in own.values and own.nodes["region"] is not file.nodes.get("region"):
        return region_for(str(own.get("region")))
    return region or region_for(file.get("region"))
