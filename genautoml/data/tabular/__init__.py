"""Tables: loaders (builtin tables, CSV and Parquet files), column types inferred and
overridable, per-column coders and the representations made of them, the CSV/Parquet sample
writer.

Raw tabular data is a ``Table`` (genautoml/data/tabular/table.py): one numpy array per
column, numbers as float64 with NaN for missing values, categories as int64 codes with -1.

One module per concern:

- ``table``: the raw form and the column schema;
- ``infer``: column types from the values, and what a config states over them;
- ``builtin``: the builtin tables (scikit-learn's bundled ones, and a generated one);
- ``io``: reading CSV and Parquet files, writing samples;
- ``coders``: one column to values in [0, 1] and back (ranks, modes, one-hot, frequency intervals);
- ``representations``: the coders side by side, as one encoded row;
- ``modality``: ``TabularModality`` and ``MODALITY``, what ``genautoml.data.registry`` finds.

No torch at import: the functions that need it import it.
"""

from genautoml.data.tabular.table import Column, Table

__all__ = ["MODALITY", "Column", "Table"]


def __getattr__(name: str):
    # The modality (and the loaders and metrics it imports) on first use, so that importing
    # the raw form (``Table``) stays light.
    if name == "MODALITY":
        from genautoml.data.tabular.modality import MODALITY

        return MODALITY
    raise AttributeError(name)
