"""The firing rates of a PopNet run over time, one line per population (BMTK's ``plot_rates_popnet``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def popnet_labels(node_types_files: str | Sequence[str], label_column: str = "pop_name",
                  id_column: str = "node_type_id") -> dict[str, str]:
    """``{population id: label}`` from node-types CSVs (ids are node_type_ids when PopNet grouped by them).

    Raises
    ------
    FormatError
        A file that is not a node-types table or lacks ``label_column``.
    """
    from simlib.errors import FormatError
    from simlib.sonata.types_csv import read_types_csv

    files = [node_types_files] if isinstance(node_types_files, str) else list(node_types_files)
    labels = {}
    for path in files:
        table = read_types_csv(path, id_column)
        if label_column not in table:
            raise FormatError(f"{path}: no column {label_column}; columns: {', '.join(map(str, table.columns))}")
        ids = table.index if id_column not in table else table[id_column]
        for key, label in zip(ids.tolist(), table[label_column].tolist()):
            labels[str(key)] = str(label)
    return labels


def plot_rates_popnet(rates_file, ax=None, labels: Mapping[str, str] | None = None,
                      populations: Sequence[str] | None = None, title: str | None = None):
    """Each population's firing rate (Hz) against time (s) from a PopNet rates file; returns the Axes.

    Parameters
    ----------
    rates_file : a rates file in BMTK's PopNet layout (``<id> <time s> <rate Hz>`` lines).
    ax : Axes to draw on (a new figure if None).
    labels : legend label per population id (e.g. from :func:`popnet_labels`); default the id.
    populations : ids to draw, in this order (default every one, in file order).
    title : Axes title.

    Raises
    ------
    FormatError
        An unreadable rates file.
    ConfigError
        A requested population the file does not hold.
    """
    import matplotlib.pyplot as plt

    from simlib.errors import ConfigError
    from simlib.popnet.rates_io import read_rates

    df = read_rates(rates_file)
    ids = list(dict.fromkeys(df["id"].tolist()))
    if populations is not None:
        missing = [str(p) for p in populations if str(p) not in ids]
        if missing:
            raise ConfigError(f"{rates_file}: populations {missing} not in the file; it holds {', '.join(ids)}")
        ids = [str(p) for p in populations]
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    labels = dict(labels or {})
    for pop in ids:
        rows = df[df["id"] == pop]
        ax.plot(rows["time"].to_numpy(), rows["rate"].to_numpy(), label=labels.get(pop, pop))
    ax.set_xlabel("time (s)")
    ax.set_ylabel("firing rate (Hz)")
    if ids:
        ax.legend(fontsize="small", frameon=False)
    if title:
        ax.set_title(title)
    return ax
