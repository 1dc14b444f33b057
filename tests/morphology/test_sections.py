"""simlib.morphology.sections: the one table of section kinds that SWC reading, cells, synapses and reports share."""

import pytest

from simlib.morphology import (APICAL, AXON, BASAL, SECTION_GROUPS, SECTION_NAMES, SOMA, SWC_TYPES,
                               TARGET_SECTION_TYPES, section_kind, section_name)


def test_one_table_for_names_groups_and_swc_types():
    assert SECTION_NAMES == ("soma", "dend", "apic", "axon")
    assert SWC_TYPES == {"soma": SOMA, "axon": AXON, "dend": BASAL, "apic": APICAL} == {"soma": 1, "axon": 2,
                                                                                          "dend": 3, "apic": 4}
    assert set(SECTION_GROUPS) == set(SECTION_NAMES) == set(SWC_TYPES)
    # BMTK's target_sections spellings, in SWC-type order (the order error messages list them in)
    assert list(TARGET_SECTION_TYPES.items()) == [("soma", 1), ("somatic", 1), ("axon", 2), ("axonal", 2),
                                                  ("dend", 3), ("basal", 3), ("apic", 4), ("apical", 4)]


@pytest.mark.parametrize("key, name", [("soma", "soma"), ("somatic", "soma"), ("basal", "dend"), ("dend", "dend"),
                                       ("apical", "apic"), ("axonal", "axon")])
def test_section_name_of_name_or_group(key, name):
    assert section_name(key) == name


def test_unknown_section_name():
    with pytest.raises(KeyError):
        section_name("myelin")


def test_section_kind_from_neuron_names():
    assert section_kind("Cell[3].dend[12]") == "dend"
    assert section_kind("<simlib.bionet.cells.Cell object at 0x7f>.soma[0]") == "soma"
