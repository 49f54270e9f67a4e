"""How the baselines are listed: a 1-NN scored on a subset of the held-out data says so."""
from core.baselines import Baselines
from explorer.views.data_baselines import baseline_markdown


def _b(scored):
    return Baselines("accuracy", {"constant": 0.5, "1nn_euclidean": 0.75}, "validation", 18_000,
                     {"length": 64, "resampled": True, "majority_class": 0, "scored": scored})


def test_a_subset_is_named_with_its_size():
    md = baseline_markdown(_b(5_555))
    assert "scored on 5,555 of the 18,000 held-out sequences" in md
    assert "5,555" in baseline_markdown(_b(5_555), "ko") and "18,000" in baseline_markdown(_b(5_555), "ko")


def test_all_scored_says_nothing_more():
    md = baseline_markdown(_b(18_000))
    assert "scored on" not in md and "75.0%" in md
