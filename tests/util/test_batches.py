import pytest

from research.util.batches import batched


def test_batched_keeps_every_item_in_order_with_a_short_last_batch():
    assert list(batched(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(batched(iter(range(6)), 3)) == [[0, 1, 2], [3, 4, 5]]
    assert list(batched([], 3)) == []


def test_batched_refuses_an_empty_batch_size():
    with pytest.raises(ValueError, match="at least 1"):
        next(batched([1], 0))
