"""The base of every config model: unknown keys are errors, and a validated config is
frozen (a resolved config is a new object, never an edited one)."""

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
