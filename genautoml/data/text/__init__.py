"""Text: loaders, the tokenizations (the text's representations), metrics and the TXT sample writer.

Raw text is a list of documents (``str``). The dataset is split by document, so held-out
text is really unseen; a single text (one file, ``builtin:pydoc``) is first cut into
contiguous blocks at paragraph breaks, and the blocks are its documents.

What a family sees: the documents joined by a blank line ("\\n\\n", real characters, so
nothing is lost), tokenized, and cut into non-overlapping windows of ``context`` tokens,
an int64 tensor (N, context) with ``levels`` = the vocabulary size. The last, partial
window is dropped. Each window is modelled from its own start (families begin every window
from a start-of-window token), so a window's log-likelihood never borrows context from the
one before, and ``units`` counts exactly the characters of the windows that were scored:

    bits per character = -(sum of window log-likelihoods in nats) / units / ln 2

Every tokenization is lossless (``decode(encode(x))`` gives back the text of the windows),
so figures of different tokenizations measure the same thing: the cost of the same
characters.

One module per concern:

- ``corpus``: the separator that joins documents, cutting one text into blocks;
- ``builtin``: ``builtin:pydoc``;
- ``io``: text files, folders and JSON lines into documents (``load_texts``), the samples.txt format;
- ``tokenization``: the character and byte-level BPE tokenizers;
- ``representations``: ``TextRepresentation``, a tokenizer plus windows;
- ``prompting``: generation from a prompt with the ``sample`` command's options;
- ``modality``: ``TextModality`` and ``MODALITY``, what ``genautoml.data.registry`` finds.

No torch at import: the functions that need it import it.
"""

from genautoml.data.text.corpus import SEPARATOR, to_blocks
from genautoml.data.text.io import SAMPLE_HEADER, format_samples, load_texts, parse_samples
from genautoml.data.text.modality import MODALITY, SAMPLE_WINDOWS, TextModality
from genautoml.data.text.prompting import generate_text
from genautoml.data.text.representations import TextRepresentation
from genautoml.data.text.tokenization import BpeTokenizer, CharTokenizer

__all__ = [
    "MODALITY",
    "SAMPLE_HEADER",
    "SAMPLE_WINDOWS",
    "SEPARATOR",
    "BpeTokenizer",
    "CharTokenizer",
    "TextModality",
    "TextRepresentation",
    "format_samples",
    "generate_text",
    "load_texts",
    "parse_samples",
    "to_blocks",
]
