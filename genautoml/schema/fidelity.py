"""``search.fidelity``: how cv races the families at growing training lengths."""

from pydantic import Field

from genautoml.schema.base import Strict


class FidelityConfig(Strict):
    """How cv compares families at growing training lengths (successive halving; see
    genautoml/search/halving.py): epochs x1, x eta, x eta**2, ... of each family's default
    epochs, up to ``max_factor``, while the plan's cv share of the budget lasts."""

    eta: int = Field(2, ge=2)
    #: 1: one fidelity, every family at its default epochs only
    max_factor: int = Field(16, ge=1)
    #: a later rung continues the trainings of the rung below (families whose epochs are
    #: alike; genautoml/pipeline/continued.py); false: each rung trains from scratch
    continue_rungs: bool = True
