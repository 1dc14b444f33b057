"""BMTK's fallback spontaneous rates of the LGN single-subunit types, computed by the installed bmtk.

Used twice: once by hand to write the table of numbers in ``simlib/filternet/spontaneous.py``,

    .venv/bin/python tests/filternet/bmtk_spont_rates.py     # prints the table's Python literal

and by ``test_spontaneous.py`` to check that table against bmtk's own computation. bmtk is the
test oracle here; simlib never imports it.
"""

from __future__ import annotations

CELL_TYPES = ("sON", "sOFF", "tON", "tOFF")
"""The single-subunit LGN cell types whose rate BMTK's cell loader takes from its experimental tables."""


def bmtk_spont_rates() -> dict[tuple[str, str], tuple[float, int]]:
    """{(cell type, TF label): (spontaneous rate in Hz, number of recorded cells)} as bmtk computes them.

    ``spont_exp[0]`` of ``get_data_metrics_for_each_subclass(cell_type)[tf]``: what bmtk's FilterNet
    cell loader uses for a ``lgnmodel:<type>_<TF>`` node without ``spont_fr``.
    """
    from bmtk.simulator.filternet.lgnmodel.cellmetrics import get_data_metrics_for_each_subclass

    rates = {}
    for cell_type in CELL_TYPES:
        for tf, metrics in get_data_metrics_for_each_subclass(cell_type).items():
            rates[(cell_type, tf)] = (float(metrics["spont_exp"][0]), int(metrics["nsub"]))
    return rates


def _tf_order(tf: str) -> int:
    return int(tf[2:])


def table_literal() -> str:
    """The ``SPONT_RATES_HZ`` literal of ``simlib/filternet/spontaneous.py`` (floats written with repr)."""
    rates = bmtk_spont_rates()
    lines = ["SPONT_RATES_HZ: dict[tuple[str, str], float] = {"]
    for cell_type in CELL_TYPES:
        tfs = sorted((tf for ct, tf in rates if ct == cell_type), key=_tf_order)
        for tf in tfs:
            rate, n = rates[(cell_type, tf)]
            entry = f"    ({cell_type!r}, {tf!r}): {rate!r},"
            lines.append(f"{entry:<46}# mean of {n} recorded cell{'s' if n > 1 else ''}")
    lines.append("}")
    return "\n".join(lines)


if __name__ == "__main__":
    import bmtk

    print(f"# computed from bmtk {bmtk.__version__} by tests/filternet/bmtk_spont_rates.py")
    print(table_literal())
