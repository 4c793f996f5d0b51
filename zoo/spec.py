"""The contract between a task and a model: what goes in, what comes out."""
from __future__ import annotations

from dataclasses import dataclass

OUTPUT_KINDS = ("binary", "classes", "step_classes", "step_multilabel", "regression")


def _check_type(owner: str, name: str, value, types: tuple, wanted: str) -> None:
    """TypeError naming the field unless `value` is one of `types` (a bool is not an int here)."""
    if isinstance(value, bool) and bool not in types or not isinstance(value, types):
        raise TypeError(f"{owner}.{name} must be {wanted}, got {type(value).__name__} {value!r}")


@dataclass(frozen=True)
class InputSpec:
    """A sequence input: float features of size `features`, or integer tokens below `vocab_size`.

    `length` is the number of time steps, or None for variable-length batches.
    `padded` means token 0 is right-padding, so the embedding emits a mask for it.
    """

    length: int | None = None
    features: int | None = None
    vocab_size: int | None = None
    padded: bool = False

    def __post_init__(self) -> None:
        for name in ("length", "features", "vocab_size"):
            value = getattr(self, name)
            _check_type("InputSpec", name, value, (int, type(None)), "an int or None")
            if value is not None and value < 1:
                raise ValueError(f"InputSpec.{name} must be a positive int or None, got {value!r}")
        _check_type("InputSpec", "padded", self.padded, (bool,), "True or False")
        if (self.features is None) == (self.vocab_size is None):
            raise ValueError("InputSpec needs exactly one of features= (float inputs) or vocab_size= (tokens)")
        if self.padded and self.vocab_size is None:
            raise ValueError("InputSpec.padded applies to token inputs only")

    @property
    def is_tokens(self) -> bool:
        return self.vocab_size is not None


@dataclass(frozen=True)
class OutputSpec:
    """What the head predicts.

    binary: one sigmoid probability per sequence; classes: softmax over `num_classes` per
    sequence; step_classes: softmax over `num_classes` at every time step; step_multilabel:
    `num_classes` independent sigmoid probabilities at every time step (e.g. which of 88 keys
    sound in the next frame); regression: one linear scalar per sequence.
    """

    kind: str
    num_classes: int | None = None  # None: 1 for binary and regression; the class kinds must say

    def __post_init__(self) -> None:
        _check_type("OutputSpec", "kind", self.kind, (str,), "a str")
        _check_type("OutputSpec", "num_classes", self.num_classes, (int, type(None)), "an int")
        if self.kind not in OUTPUT_KINDS:
            raise ValueError(f"OutputSpec.kind {self.kind!r} is not one of {', '.join(OUTPUT_KINDS)}")
        classes = self.kind in ("classes", "step_classes")
        if classes and self.num_classes is None:
            raise ValueError(f"OutputSpec kind {self.kind!r} needs num_classes >= 2, e.g. "
                             f"OutputSpec({self.kind!r}, 10); none was given")
        if classes and self.num_classes < 2:
            raise ValueError(f"OutputSpec kind {self.kind!r} needs num_classes >= 2, got {self.num_classes}")
        if self.num_classes is None:
            object.__setattr__(self, "num_classes", 1)

    @property
    def per_step(self) -> bool:
        return self.kind in ("step_classes", "step_multilabel")


@dataclass(frozen=True)
class Spec:
    """Input and output of a task; every registered model builds for every Spec."""

    input: InputSpec
    output: OutputSpec

    def __post_init__(self) -> None:
        _check_type("Spec", "input", self.input, (InputSpec,), "an InputSpec (Spec(InputSpec(...), OutputSpec(...)))")
        _check_type("Spec", "output", self.output, (OutputSpec,), "an OutputSpec (Spec(InputSpec(...), OutputSpec(...)))")
