"""Checking values: the one error type for a bad parameter or option, and the checks
that raise it. A leaf module: the registries import it, and it imports nothing of
the kit."""
from __future__ import annotations

from typing import Iterable


class ParameterError(ValueError):
    """A notebook parameter has a value the kit cannot use."""


def check_choice(name: str, value, valid: Iterable[str]):
    valid = list(valid)
    if value not in valid:
        raise ParameterError(
            f"{name}={value!r} is not valid; choose one of: {', '.join(map(repr, valid))}"
        )
    return value


def check_choices(name: str, values, valid: Iterable[str]) -> list[str]:
    """A list of names (a comma-separated string is accepted too), each one valid."""
    valid = list(valid)
    if isinstance(values, str):
        values = [v.strip() for v in values.split(",") if v.strip()]
    if not isinstance(values, (list, tuple)) or not values:
        raise ParameterError(
            f"{name}={values!r} must name at least one of: {', '.join(map(repr, valid))}"
        )
    for v in values:
        check_choice(name, v, valid)
    return list(dict.fromkeys(values))


def check_int(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ParameterError(f"{name}={value!r} must be a whole number >= {minimum}")
    return value


def check_fraction(name: str, value, low: float = 0.0, high: float = 1.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low < value < high:
        raise ParameterError(f"{name}={value!r} must be a number between {low} and {high} (exclusive)")
    return float(value)


def check_bool(name: str, value) -> bool:
    if not isinstance(value, bool):
        raise ParameterError(f"{name}={value!r} must be True or False")
    return value


def check_known_options(dataset: str, options: dict, defaults: dict) -> dict:
    """A dataset's options merged over its defaults; an unknown key is named, with the
    valid ones."""
    unknown = set(options) - set(defaults)
    if unknown:
        raise ParameterError(f"options {sorted(unknown)} are not known for {dataset}; valid: "
                             f"{', '.join(sorted(defaults))}")
    return {**defaults, **options}
