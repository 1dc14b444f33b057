"""Morphology section kinds: SWC type ids, NEURON's section names and BMTK's section-group names."""

from __future__ import annotations

SOMA, AXON, BASAL, APICAL = 1, 2, 3, 4
"""SWC sample types of the four section kinds (Cannon et al. 1998)."""

SECTION_NAMES = ("soma", "dend", "apic", "axon")
"""NEURON's section lists as Import3d names them, in the order of a cell's ``all`` list (SONATA section ids)."""

SWC_TYPES = {"soma": SOMA, "axon": AXON, "dend": BASAL, "apic": APICAL}
"""The SWC type of each NEURON section name."""

SECTION_GROUPS = {"soma": "somatic", "dend": "basal", "apic": "apical", "axon": "axonal"}
"""BMTK's (and the Allen fits') group name of each NEURON section name."""

TARGET_SECTION_TYPES = {spelling: swc_type
                        for name, swc_type in sorted(SWC_TYPES.items(), key=lambda item: item[1])
                        for spelling in (name, SECTION_GROUPS[name])}
"""SWC type of each spelling BMTK accepts in ``target_sections`` (soma, somatic, axon, axonal, ...)."""

ACCEPTED_TEXT = (f"{'/'.join(SECTION_NAMES)} and their Allen names "
                 f"({', '.join(SECTION_GROUPS[name] for name in SECTION_NAMES)})")
"""The accepted section names, for messages."""


def section_name(key: str) -> str:
    """The NEURON section name ('soma', 'dend', 'apic', 'axon') of a section name or group name.

    Raises
    ------
    KeyError
        `key` is neither.
    """
    if key in SECTION_GROUPS:
        return key
    for name, group in SECTION_GROUPS.items():
        if group == key:
            return name
    raise KeyError(key)


def section_kind(neuron_name: str) -> str:
    """'soma', 'dend', 'apic' or 'axon' from a NEURON section's name such as ``'Cell[0].dend[3]'``."""
    return neuron_name.rsplit(".", 1)[-1][:4]
