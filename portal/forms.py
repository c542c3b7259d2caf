"""Small helpers shared by the features' forms."""
from wtforms.fields.choices import SelectChoice


def choices(pairs) -> list[SelectChoice]:
    """Turn (value, label) pairs into WTForms select choices (tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]
