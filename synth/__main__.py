"""`python -m synth --docs N --seed S --out DIR`: write a synthetic corpus and its truth."""

from .generator import main

raise SystemExit(main())
