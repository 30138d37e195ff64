"""Text loading, splitting and tokenization: bad data gets one line naming the file;
every tokenization gives back exactly the text it encoded."""

import json

import pytest
import torch

from genautoml.data.text import (
    MODALITY,
    SEPARATOR,
    TextRepresentation,
    format_samples,
    load_texts,
    parse_samples,
    to_blocks,
)
from genautoml.errors import DataError
from genautoml.pipeline.dataset import split
from genautoml.schema.text import TextData, TextFeature

UNICODE = "Grüße, naïve café — 日本語 テキスト 😀 emoji, tab\there, CRLF\r\nend. ΑΒΓ αβγ"
ENGLISH = (
    "The quick brown fox jumps over the lazy dog. A function is defined with def; "
    "a class with class. Lists are mutable sequences, tuples are immutable ones.\n"
) * 20


def cfg(source, **extra):
    return TextData(modality="text", source=str(source), **extra)


def rep(tokenizer="char", vocab_size=None, context=16, train=(ENGLISH,)):
    feature = TextFeature(tokenizer=tokenizer, vocab_size=vocab_size, context=context)
    return TextRepresentation(feature).fit(list(train))


# ---- loaders ---------------------------------------------------------------------------


def test_pydoc_builtin_is_blocks_of_english():
    documents = load_texts(cfg("builtin:pydoc"), None)
    total = sum(map(len, documents))
    assert 400_000 < total < 520_000
    assert all(0 < len(d) <= 2000 for d in documents) and len(documents) > 200
    assert "statement" in documents[0] + documents[1]


def test_single_file_is_cut_into_blocks_at_paragraphs(tmp_path):
    paragraphs = [f"Paragraph {i}. " + "word " * (10 + i % 7) for i in range(200)]
    text = SEPARATOR.join(paragraphs)
    (tmp_path / "book.txt").write_text(text, encoding="utf-8")
    documents = load_texts(cfg(tmp_path / "book.txt", block_chars=300), tmp_path)
    assert len(documents) > 10 and all(len(d) <= 300 for d in documents)
    # Blocks end at paragraph breaks, so joining them gives the file back.
    assert SEPARATOR.join(documents) == text


def test_long_paragraph_is_cut_too():
    blocks = to_blocks("x" * 1000 + "\n" + "y" * 50, 300)
    assert all(len(b) <= 300 for b in blocks) and "".join(blocks) == "x" * 1000 + "\n" + "y" * 50


def test_max_chars_takes_the_first_characters(tmp_path):
    text = "".join(f"Line {i} of a long paragraph, different from every other line.\n" for i in range(40))
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    documents = load_texts(cfg(tmp_path / "a.txt", max_chars=500, block_chars=100), tmp_path)
    assert "".join(documents) == text[:500]  # one paragraph, cut at line ends


def prose(seed: int, chars: int) -> str:
    """English-like text of random words, different for every seed."""
    import random

    words = "the a of to and in is was for on that with as by at from this which be are or".split() + [
        f"w{seed}x{i}" for i in range(300)]
    rng, paragraphs = random.Random(seed), []
    while sum(map(len, paragraphs)) < chars:
        paragraphs.append(" ".join(rng.choice(words) for _ in range(60)) + ".")
    return SEPARATOR.join(paragraphs)


def test_long_documents_in_a_folder_are_cut_into_blocks(tmp_path):
    # Six long files: once refused as "6 examples are too few"; now 6 documents of blocks.
    for i in range(6):
        (tmp_path / f"book{i}.txt").write_text(prose(i, 25_000), encoding="utf-8")
    blocks = load_texts(cfg(tmp_path), tmp_path)
    assert len(blocks) > 60 and all(len(b) <= 2000 for b in blocks)
    test, train, folds = split(len(blocks), 0.2, 3, 0, "x", MODALITY.groups(blocks))
    assert len(test) >= 5 and all(len(valid) >= 5 for _, valid in folds)


def test_duplicates_are_dropped_and_near_duplicates_kept_on_one_side(tmp_path):
    original = prose(1, 1500)
    near = original.replace("the", "THE", 3) + SEPARATOR + "A closing remark of its own."
    documents = [prose(i, 1500) for i in range(2, 40)] + [original, original, near]
    for i, text in enumerate(documents):
        (tmp_path / f"{i:02d}.txt").write_text(text, encoding="utf-8")
    blocks = load_texts(cfg(tmp_path), tmp_path)
    assert blocks.duplicates_removed == 1 and blocks.count(original) == 1
    groups = MODALITY.groups(blocks)
    assert groups[blocks.index(original)] == groups[blocks.index(near)]  # one group: never split apart
    assert len(set(groups.tolist())) == len(blocks) - 1  # and no other block joined them
    assert MODALITY.describe(blocks)["duplicate_blocks_removed"] == 1


def test_split_keeps_every_group_on_one_side():
    import numpy as np

    groups = np.random.default_rng(0).integers(0, 30, size=200)
    test, train, folds = split(200, 0.2, 3, 0, "x", groups)
    assert not set(groups[test]) & set(groups[train])
    assert 40 <= len(test) <= 44 and sorted([*test, *train]) == list(range(200))
    for fold_train, valid in folds:
        assert not set(groups[train[valid]]) & set(groups[train[fold_train]])
    with pytest.raises(DataError, match="too few groups"):
        split(200, 0.2, 3, 0, "x", np.arange(200) % 3)


def test_folder_of_txt_files_one_document_each(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "b.txt").write_text("second", encoding="utf-8")
    (tmp_path / "a.txt").write_text("first", encoding="utf-8")
    (tmp_path / "sub" / "c.txt").write_text(UNICODE, encoding="utf-8")
    (tmp_path / "ignored.md").write_text("not text input", encoding="utf-8")
    assert load_texts(cfg(tmp_path), tmp_path) == ["first", "second", UNICODE]


def test_jsonl_with_text_field(tmp_path):
    path = tmp_path / "corpus.jsonl"
    lines = [json.dumps({"id": i, "body": f"document {i} {UNICODE}"}) for i in range(3)]
    path.write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    documents = load_texts(cfg(path, text_field="body"), tmp_path)
    assert documents == [f"document {i} {UNICODE}" for i in range(3)]


def test_jsonl_missing_field_names_file_line_and_fields(tmp_path):
    path = tmp_path / "corpus.jsonl"
    path.write_text('{"text": "ok"}\n{"body": "no text here"}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"corpus.jsonl:2: no field 'text' \(set data.text_field; fields here: body\)"):
        load_texts(cfg(path), tmp_path)


def test_jsonl_bad_lines(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('{"text": "ok"}\n{"text": 3}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"c.jsonl:2: field 'text' is int, expected a string"):
        load_texts(cfg(path), tmp_path)
    path.write_text('{"text": "ok"}\n{oops\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"c.jsonl:2: not valid JSON"):
        load_texts(cfg(path), tmp_path)
    path.write_text('{"text": "\\ud800"}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"c.jsonl:1: .*unpaired surrogate"):
        load_texts(cfg(path), tmp_path)


def test_not_utf8_names_file_and_byte_offset(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("caf".encode() + "é au lait".encode("latin-1"))
    with pytest.raises(DataError, match=r"latin1.txt: not UTF-8 text \(byte offset 3"):
        load_texts(cfg(path), tmp_path)
    # In a folder too, naming the file.
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.txt").write_text("fine", encoding="utf-8")
    (folder / "bad.txt").write_bytes(b"ok \xff\xfe")
    with pytest.raises(DataError, match=r"bad.txt: not UTF-8 text \(byte offset 3"):
        load_texts(cfg(folder), tmp_path)


def test_utf8_bom_is_not_text(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbfhello")
    assert load_texts(cfg(path), tmp_path) == ["hello"]


@pytest.mark.parametrize("content", ["", "   \n\n\t  \n"])
def test_empty_or_whitespace_corpus(tmp_path, content):
    path = tmp_path / "empty.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match="no text"):
        load_texts(cfg(path), tmp_path)


def test_bad_sources(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_texts(cfg(tmp_path / "missing.txt"), tmp_path)
    with pytest.raises(DataError, match="unknown builtin"):
        load_texts(cfg("builtin:wikipedia"), tmp_path)
    (tmp_path / "data.csv").write_text("a,b", encoding="utf-8")
    with pytest.raises(DataError, match=r"expected builtin:pydoc, a .txt file"):
        load_texts(cfg(tmp_path / "data.csv"), tmp_path)
    (tmp_path / "nothing").mkdir()
    with pytest.raises(DataError, match="no .txt files"):
        load_texts(cfg(tmp_path / "nothing"), tmp_path)


def test_split_is_by_document():
    documents = [f"doc {i}: " + "text " * i for i in range(40)]
    test, train, folds = split(len(documents), 0.2, 3, 0, "x")
    held_out = MODALITY.subset(documents, test)
    assert all(d in documents for d in held_out) and len(held_out) == 8
    assert not set(MODALITY.subset(documents, train)) & set(held_out)


def test_fingerprint_and_describe():
    a, b = ["one", "two"], ["onet", "wo"]
    assert MODALITY.fingerprint(a) != MODALITY.fingerprint(b)  # lengths are part of it
    assert MODALITY.describe(a)["characters"] == 6


# ---- tokenizations ---------------------------------------------------------------------


@pytest.mark.parametrize("tokenizer, vocab_size", [("char", None), ("bpe", 300), ("bpe", 600)])
def test_tokenizations_are_lossless(tokenizer, vocab_size):
    representation = rep(tokenizer, vocab_size, context=8, train=[ENGLISH, UNICODE])
    for text in (ENGLISH, UNICODE, "unseen ✓ symbols ∑∫ and 🦀 crab"):
        assert representation.decode_text(representation.encode_text(text)) == text
    documents = [ENGLISH[:300], UNICODE, "∑ unseen"]
    windows = representation.encode(documents)
    joined = SEPARATOR.join(documents)
    decoded = representation.decode_text(windows.reshape(-1))
    assert windows.dtype == torch.int64 and windows.shape[1] == 8
    assert joined.startswith(decoded) and len(joined) - len(decoded) < 8 * 4  # only the last partial window is dropped
    assert representation.units(documents) == len(decoded)
    spec = representation.spec
    assert spec.kind == "vector" and spec.dim == 8 and int(windows.max()) < spec.levels


def test_char_vocabulary_has_byte_fallback_for_unseen_characters():
    representation = rep("char", train=["abc"])
    tokens = representation.encode_text("ab€")  # € unseen: its three UTF-8 bytes
    assert len(tokens) == 5 and representation.decode_text(tokens) == "ab€"
    # 12 byte tokens, one window of 8 ends inside the third €: it counts where it starts.
    narrow = TextRepresentation(TextFeature(tokenizer="char", context=8)).fit(["abc"])
    assert narrow.encode(["€€€€"]).shape == (1, 8) and narrow.units(["€€€€"]) == 3


def test_units_count_characters_not_tokens():
    representation = rep("bpe", 400, context=8)
    documents = ["the quick brown fox " * 10]
    windows = representation.encode(documents)
    assert representation.units(documents) == len(representation.decode_text(windows.reshape(-1)))
    assert representation.units(documents) > windows.numel()  # merges: several characters per token


def test_bpe_is_fit_on_training_documents_only():
    train = ["alpha beta gamma delta " * 50]
    heldout_word = "zyxwvutsrq"
    representation = rep("bpe", 400, context=8, train=train)
    vocab = representation.tokenizer_.tokenizer_.get_vocab()
    assert not any("zyx" in token for token in vocab)
    assert any("alpha" in token for token in vocab)
    assert len(representation.encode_text(heldout_word)) >= 5  # unseen word: small pieces


def test_bpe_training_is_deterministic_and_state_round_trips():
    a, b = rep("bpe", 500), rep("bpe", 500)
    assert a.tokenizer_.tokenizer_.to_str() == b.tokenizer_.tokenizer_.to_str()
    restored = TextRepresentation(a.feature)
    restored.load_state({k: v.clone() for k, v in a.state().items()})
    assert torch.equal(restored.encode([UNICODE, ENGLISH]), a.encode([UNICODE, ENGLISH]))
    char = rep("char", train=[UNICODE])
    again = TextRepresentation(char.feature)
    again.load_state(char.state())
    assert torch.equal(again.encode([ENGLISH]), char.encode([ENGLISH]))


def test_too_little_text_for_one_window():
    representation = rep("char", context=64)
    with pytest.raises(DataError, match="fewer than one window of context=64"):
        representation.encode(["short"])


def test_feature_config_errors():
    with pytest.raises(ValueError, match="needs 'vocab_size"):
        TextFeature(tokenizer="bpe")
    with pytest.raises(ValueError, match="applies only to tokenizer 'bpe'"):
        TextFeature(tokenizer="char", vocab_size=512)
    with pytest.raises(ValueError):
        TextFeature(tokenizer="bpe", vocab_size=100)  # below the 256 byte symbols


def test_samples_file_round_trip(tmp_path):
    texts = ["first sample\nwith two lines", UNICODE, ""]
    assert parse_samples(format_samples(texts)) == texts
    MODALITY.write_samples(texts, tmp_path)
    assert (tmp_path / "samples.txt").read_text(encoding="utf-8").startswith("==> sample 1 of 3 <==\nfirst sample")
    assert MODALITY.read_samples(tmp_path, None) == texts
    assert MODALITY.read_samples(tmp_path / "samples.txt", None)[:2] == texts[:2]


def test_byte_symbols_match_the_tokenizer():
    # units() counts characters through this table: it must agree with tokenizers' decoder.
    from genautoml.data.text.tokenization import _byte_symbols

    representation = rep("bpe", 400, train=[ENGLISH, UNICODE * 5])
    tokenizer, symbols = representation.tokenizer_.tokenizer_, _byte_symbols()
    checked = 0
    for token, i in tokenizer.get_vocab().items():
        data = bytes(symbols[c] for c in token)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:  # part of a character: decodes to a replacement mark
            continue
        assert tokenizer.decode([i]) == text
        checked += 1
    assert checked > 200


def test_a_source_that_never_ends_is_refused(tmp_path):
    import os

    from genautoml.data.text.io import read_text
    from genautoml.errors import DataError

    link = tmp_path / "endless.txt"
    os.symlink("/dev/zero", link)
    with pytest.raises(DataError, match="not a regular file"):
        read_text(link)


def decodes(data: bytes) -> bool:
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def test_the_utf8_guard_agrees_with_python_s_decoder():
    import itertools
    import random

    from genautoml.data.text.utf8 import ACCEPT, REJECT, transition_table

    table = transition_table([bytes([b]) for b in range(256)])
    # continuation bytes at the edges of every range the automaton tells apart
    tails = [bytes(t) for k in range(4) for t in itertools.product((0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF), repeat=k)]
    rng = random.Random(0)
    pieces = [c.encode() for c in UNICODE] + [bytes([b]) for b in (0x80, 0xBF, 0xC0, 0xC1, 0xE0, 0xED, 0xF0, 0xF4, 0xF5, 0xFF)]
    for _ in range(2000):
        data = b"".join(rng.choice(pieces) for _ in range(rng.randint(1, 4)))[: rng.randint(1, 8)]
        state = ACCEPT
        for byte in data:
            state = table[state, byte] if state != REJECT else REJECT
        assert (state == ACCEPT) == decodes(data), data  # whole characters, all valid
        assert (state != REJECT) == any(decodes(data + tail) for tail in tails), data  # valid so far


@pytest.mark.parametrize("tokenizer, vocab_size", [("char", None), ("bpe", 300)])
def test_samples_are_valid_utf8_text(tokenizer, vocab_size):
    from genautoml.data.text.prompting import generate_text
    from genautoml.models.registry import get_family

    texts = [UNICODE * 10, ENGLISH]
    representation = rep(tokenizer, vocab_size, context=24, train=texts)
    ngram = get_family("ngram")(representation.spec).fit(representation.encode(texts), seed=0)
    # An n-gram keeps smoothing mass on every byte token: unguarded, lone bytes get drawn.
    unguarded = representation.decode(ngram.sample(300, torch.Generator().manual_seed(0)))
    assert any("\ufffd" in text for text in unguarded)
    drawn = representation.draw(ngram, 300, torch.Generator().manual_seed(0))
    continued = generate_text(ngram, representation, 50, torch.Generator().manual_seed(1), prompt="Grü", length=60,
                              temperature=1.5)
    for text in drawn + continued:
        assert "\ufffd" not in text and text.encode("utf-8").decode("utf-8") == text
    assert all(text.startswith("Grü") and len(text) == 60 for text in continued)
