"""What ``genautoml models`` lists: every registered family with its default search space."""

from __future__ import annotations

from typing import Any


def families() -> list[dict[str, Any]]:
    from genautoml.models.registry import all_families
    from genautoml.schema.space import ParamSpace

    rows = []
    for name, cls in all_families().items():
        defaults = cls.param_defaults()
        space = {k: {"space": ParamSpace.model_validate(v).model_dump(), "default": defaults.get(k)}
                 for k, v in cls.default_space.items()}
        rows.append({"family": name, "modalities": list(cls.modalities), "summary": cls.summary, "space": space})
    return rows
