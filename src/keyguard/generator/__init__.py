"""The realistic organization generator: a fictional unit's activity logs in the CMU CERT
Insider Threat Test Dataset r6.2 layout, its register, grants and hosts, and the labelled
answers (insider scenarios, dirty rows, benign look-alikes) in a separate folder.

Owns ``keyguard generate`` and the data in ``keyguard/library/sites/``. May import only
``keyguard.config``, ``keyguard.errors`` and ``keyguard.library``.

Entry point for other layers (e.g. the demo)::

    from keyguard.generator import GeneratorParams, generate
    result = generate(GeneratorParams(users=200, days=60, seed=1), out_dir, answers_dir)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from keyguard.generator.params import GeneratorParams
    from keyguard.generator.run import GenerateResult, generate

__all__ = ["GenerateResult", "GeneratorParams", "generate"]


def __getattr__(name: str) -> Any:
    """Import the heavy modules (numpy, pyarrow) only when used, not at plugin discovery."""
    if name == "GeneratorParams":
        from keyguard.generator.params import GeneratorParams

        return GeneratorParams
    if name in ("generate", "GenerateResult"):
        from keyguard.generator import run

        return getattr(run, name)
    raise AttributeError(name)
