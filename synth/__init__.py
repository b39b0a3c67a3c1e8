"""Synthetic budget-performance documents with their truth, for tests and benchmarks.

Kept outside `loaders/` on purpose: the build's code digest covers every file under `loaders/`,
so a change to the generator must not make every user's tables rebuild. `synth` imports the
loaders (for doc ids, the gazetteer and the schema); the loaders never import `synth`.

`python -m synth --docs N --seed S --out DIR` writes a corpus (see `synth.generator`);
`synth.layouts` prints one table in each layout class of real documents, with its truth.
"""

from . import layouts
from .generator import (
    EXTRA_LAYOUTS,
    KIND_WEIGHTS,
    KINDS,
    LAYOUTS,
    OVERFLOW_MARK,
    WRAPPING_LAYOUTS,
    KindSpec,
    Style,
    Synthetic,
    file_name,
    generate,
    main,
    write_corpus,
)

__all__ = [
    "EXTRA_LAYOUTS",
    "KIND_WEIGHTS",
    "KINDS",
    "LAYOUTS",
    "OVERFLOW_MARK",
    "WRAPPING_LAYOUTS",
    "KindSpec",
    "Style",
    "Synthetic",
    "file_name",
    "generate",
    "layouts",
    "main",
    "write_corpus",
]
