"""Default spontaneous rates of LGN single-subunit units: the table BMTK computes from its LGN recordings.

A single-subunit unit (``lgnmodel:<type>_<TF>``) without a ``spont_fr`` gets, in BMTK, the
spontaneous rate of the recorded LGN cells of its subclass: BMTK ships the recordings' metrics
(``simulator/filternet/lgnmodel/cell_metrics/<type>_cell_data.csv``, one row per recorded cell),
labels each cell by the temporal frequency of its largest F0 response (``F0_TF1`` ... ``F0_TF15``)
and takes the mean of the ``Spont`` column of the cells with that label
(``lgnmodel/cellmetrics.py::SubclassMetricsCache``, ``spont_exp``).

:data:`SPONT_RATES_HZ` holds those means as numbers, so simlib needs neither BMTK nor its data
files. Provenance: computed once from bmtk 1.2.0's installed tables, with bmtk's own code, by
``tests/filternet/bmtk_spont_rates.py``; ``tests/filternet/test_spontaneous.py`` checks every
entry against bmtk's computation to the bit. A user with other recordings still passes
``components.cell_metrics_dir`` (see :mod:`simlib.filternet.metrics`), which overrides this table.
"""

from __future__ import annotations

from simlib.filternet.nodes import NodeTableError

# computed from bmtk 1.2.0 by tests/filternet/bmtk_spont_rates.py (mean Spont per subclass, Hz)
SPONT_RATES_HZ: dict[tuple[str, str], float] = {
    ('sON', 'TF1'): 5.2,                      # mean of 4 recorded cells
    ('sON', 'TF2'): 3.533333333333333,        # mean of 3 recorded cells
    ('sON', 'TF4'): 8.25,                     # mean of 4 recorded cells
    ('sON', 'TF8'): 1.7666666666666666,       # mean of 9 recorded cells
    ('sON', 'TF15'): 10.879999999999995,      # mean of 2 recorded cells
    ('sOFF', 'TF1'): 3.95,                    # mean of 5 recorded cells
    ('sOFF', 'TF2'): 4.5317777777777755,      # mean of 5 recorded cells
    ('sOFF', 'TF4'): 3.679074074074074,       # mean of 9 recorded cells
    ('sOFF', 'TF8'): 3.62,                    # mean of 5 recorded cells
    ('sOFF', 'TF15'): 5.075,                  # mean of 4 recorded cells
    ('tON', 'TF8'): 2.6,                      # mean of 1 recorded cell
    ('tOFF', 'TF1'): 5.5,                     # mean of 1 recorded cell
    ('tOFF', 'TF2'): 3.4095238095238303,      # mean of 2 recorded cells
    ('tOFF', 'TF4'): 3.9445502645502764,      # mean of 6 recorded cells
    ('tOFF', 'TF8'): 2.4377777777777867,      # mean of 3 recorded cells
    ('tOFF', 'TF15'): 1.050666666666664,      # mean of 5 recorded cells
}
"""{(cell type, TF label): mean spontaneous rate (Hz) of the recorded LGN cells of that subclass}."""


class NoSpontaneousRateError(NodeTableError, KeyError):
    """No recorded subclass for a node's (cell type, TF label) and no ``spont_fr``.

    A node-table problem (:class:`~simlib.filternet.nodes.NodeTableError`, so a ``ConfigError``
    and ``FormatError``) and a ``KeyError``, which BMTK raises in the same case.
    """

    def __str__(self) -> str:       # KeyError would show the message quoted, as a key
        return str(self.args[0]) if self.args else ""


def default_spont_rate(cell_type: str, tf_label: str) -> float:
    """BMTK's spontaneous rate (Hz) for a single-subunit unit of `cell_type` and `tf_label` without ``spont_fr``.

    Parameters
    ----------
    cell_type : one of ``sON``, ``sOFF``, ``tON``, ``tOFF``
    tf_label : ``TF1``, ``TF2``, ``TF4``, ``TF8`` or ``TF15`` (BMTK's default ``TF8`` for a bare type)

    Raises
    ------
    NoSpontaneousRateError
        No recorded cell of that type peaks at that temporal frequency (e.g. ``tON_TF4``): BMTK
        then fails with a KeyError, and the node needs a ``spont_fr``.
    """
    try:
        return SPONT_RATES_HZ[(cell_type, tf_label)]
    except KeyError:
        present = [tf for ct, tf in SPONT_RATES_HZ if ct == cell_type]
        raise NoSpontaneousRateError(
            f"{cell_type}_{tf_label}: no recorded {cell_type} cell peaks at {tf_label}, so BMTK's LGN recordings "
            f"give no spontaneous rate (they have one for {', '.join(f'{cell_type}_{tf}' for tf in present)}); "
            "give the nodes a spont_fr (Hz)") from None
