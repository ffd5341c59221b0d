"""The params schema's building blocks: the strict section model and the value types
every section uses (tasks/params.py, tasks/params_sources.py)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

PositiveInt = Annotated[int, Field(ge=1)]
LearningRate = Annotated[float, Field(gt=0.0)]
Count = Annotated[int, Field(ge=0)]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
# 0 means "all CPU cores"; an explicit count otherwise.
WorkerCount = Annotated[int, Field(ge=0)]


class Section(BaseModel):
    # allow_inf_nan=False: a NaN or infinite number anywhere (lambda_reg: .nan) is an
    # error naming its key, not weights that train to NaN.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)
