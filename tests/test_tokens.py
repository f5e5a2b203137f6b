"""Counting a long request in parallel parts gives exactly the count of one encode."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccrgen.proxy.tokens import CountingFailed, _parts, count_text_tokens, cut_points, encoding

# What moves cl100k's piece boundaries: spaces of every kind, newlines, digits (split in
# threes), apostrophes (contractions), punctuation runs, letters of several scripts.
ALPHABET = st.sampled_from(
    list("  \t\r\n\x0b\x0c\x1c\x1d\x85\xa0\u1680\u2000\u2009\u2028\u2029\u202f\u205f\u3000")
    + list("aZé'sllvetd0123456789.,!?-_/()[]{}<>\"`~@#$%^&*+=|;:")
    + ["世", "界", "ありがとう", "🙂", "\u0301", "ß", "İ", "<|endoftext|>"[:5]])
TEXT = st.lists(ALPHABET, max_size=120).map("".join)


def whole(text: str) -> int:
    return len(encoding().encode(text))


@settings(max_examples=1500, deadline=None)
@given(TEXT, st.integers(1, 12))
def test_parts_cut_where_a_piece_starts_add_up_to_the_whole(text, size):
    parts = _parts(text, size)
    assert "".join(parts) == text
    assert sum(whole(part) for part in parts) == whole(text)


def test_cuts_fall_only_at_a_space_after_a_non_space():
    text = "ab  cd\n ef. gh"
    cuts = cut_points(text, 1)
    assert cuts == [2, 11]  # not 3 (after a space) nor 7 (after a newline)
    assert all(text[i] == " " and not text[i - 1].isspace() for i in cuts)


def test_a_long_request_counted_in_parallel_matches_one_encode():
    words = " ".join(f"word{i % 997}'s, x{i % 13}" for i in range(30_000))
    texts = [words, "short", words[:70_000] + "\n\n  tail"]
    assert len(_parts(words, 1 << 16)) > 2
    assert count_text_tokens(texts) == sum(whole(t) for t in texts)


def test_a_special_token_fails_the_count_in_parallel_too():
    text = "word " * 40_000 + "<|endoftext|> and more " * 3
    with pytest.raises(CountingFailed):
        count_text_tokens([text])
