"""The JSON Schema of site.yaml, for editors (yaml-language-server completes and checks it)."""

from __future__ import annotations

from typing import Any

from compiler.site.model import Site


def site_schema() -> dict[str, Any]:
    schema = Site.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "tailgen site"
    return schema
