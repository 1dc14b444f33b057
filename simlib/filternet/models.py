"""The LGN filter models FilterNet builds, and the model name of each node.

BMTK names a node's model in its ``model_template`` (``lgnmodel:<model>``, else the node's
``pop_name``): a single-subunit cell ``<type>_<TF>`` with ``<type>`` one of
:data:`SINGLE_TYPES` (e.g. ``sON_TF8``; the TF part, default ``TF8``, only selects BMTK's
fallback spontaneous rate), a two-subunit cell (:data:`TWO_SUBUNIT_MODELS`) or the ON/OFF cell
:data:`ON_OFF_MODEL`. :func:`model_names` reads them from a node table and rejects unknown
models and templates, listing the accepted ones.
"""

from __future__ import annotations

import numpy as np

from simlib.filternet.nodes import NodeTable

SINGLE_TYPES = ("sON", "sOFF", "tON", "tOFF")
"""Cell types of single-subunit units, used as ``<type>_<TF>`` (e.g. ``sON_TF8``); ON types have amplitude +1."""

TWO_SUBUNIT_MODELS = {"sONsOFF_001": "sONsOFF", "sONsOFF": "sONsOFF", "sONtOFF_001": "sONtOFF", "sONtOFF": "sONtOFF"}
"""Two-subunit model names -> their kind (a key of :data:`simlib.filternet.two_subunit.TWO_SUBUNIT_KINDS`)."""

ON_OFF_MODEL = "LGNOnOFFCell"
"""BMTK's ON/OFF cell: an ON and an OFF field (``sigma_on``, ``sigma_off``) sharing one kernel."""

ACCEPTED_MODELS = tuple(f"{t}_<TF>" for t in SINGLE_TYPES) + SINGLE_TYPES + tuple(TWO_SUBUNIT_MODELS) + (ON_OFF_MODEL,)
"""Every model name :func:`model_names` accepts (``<TF>`` e.g. ``TF8``)."""

_NAME_COLUMNS = ("model_template", "pop_name")


def cell_type(model: str) -> str | None:
    """The single-subunit type of a model name (``sON_TF8`` -> ``sON``), None for other models."""
    head = model.split("_")[0]
    return head if head in SINGLE_TYPES else None


def tf_label(model: str) -> str:
    """The temporal-frequency label of a single-subunit model name (``sON_TF8`` -> ``TF8``; default ``TF8``)."""
    parts = model.split("_")
    return parts[1] if len(parts) > 1 else "TF8"    # BMTK's default when the name has no TF part


def model_names(table: NodeTable) -> np.ndarray:
    """Model name per node from ``lgnmodel:<model>`` templates, else pop_name; unknown ones raise together.

    Raises
    ------
    NodeTableError
        A template other than ``lgnmodel:<model>``, a node with neither template nor pop_name, or
        unknown models (naming the nodes and listing :data:`ACCEPTED_MODELS`).
    """
    templates, pop_names = table.values("model_template"), table.values("pop_name")
    names, bad_rows, bad_templates, unnamed = [], [], [], []
    for i, (template, pop_name) in enumerate(zip(templates, pop_names)):
        if template is not None:
            directive, _, name = str(template).partition(":")
            if not name:
                directive, name = "lgnmodel", directive
            if directive.strip() != "lgnmodel":
                bad_rows.append(i)
                bad_templates.append(template)
            names.append(name.strip())
        elif pop_name is not None:
            names.append(str(pop_name).strip())
        else:
            unnamed.append(i)
            names.append("")
    names = np.array(names, dtype=object)
    if bad_rows:
        raise table.error(("model_template",), f"model_template {bad_templates[0]!r} ({table.nodes_at(bad_rows)}): "
                                               "FilterNet builds 'lgnmodel:<model>' templates only, with <model> one "
                                               f"of {list(ACCEPTED_MODELS)}")
    if unnamed:
        raise table.error(_NAME_COLUMNS, f"{table.nodes_at(unnamed)}: no model_template ('lgnmodel:<model>') and no "
                                         f"pop_name; accepted models: {list(ACCEPTED_MODELS)}")
    known = np.array([cell_type(m) is not None or m in TWO_SUBUNIT_MODELS or m == ON_OFF_MODEL for m in names])
    if not known.all():
        unknown = sorted(set(names[~known]))
        raise table.error(_NAME_COLUMNS, f"unknown filter model(s) {unknown} ({table.nodes_at(~known)}); accepted: "
                                         f"{list(ACCEPTED_MODELS)} (<TF> e.g. TF8)")
    return names
