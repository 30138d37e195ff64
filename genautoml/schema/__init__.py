"""The config schema of each modality's ``data:`` and ``features:`` sections.

No torch here: these are read by ``genautoml validate``. The list of modalities lives in
``genautoml.modalities``.
"""
