"""Aggregation rules, row by row."""

import pytest

from app.proxy.parallel.aggregate import aggregate


def _answer(label: str, **probabilities: float) -> dict[str, object]:
    labels = ["setosa", "versicolor", "virginica"]
    table = {name: probabilities.get(name, 0.0) for name in labels}
    return {"label": label, "label_index": labels.index(label), "probabilities": table}


def test_vote_takes_the_majority():
    branches = [
        [_answer("setosa", setosa=0.9)],
        [_answer("versicolor", versicolor=0.6)],
        [_answer("setosa", setosa=0.7)],
    ]

    assert aggregate("vote", branches) == [
        {"label": "setosa", "label_index": 0, "votes": 2, "of": 3}
    ]


def test_a_tied_vote_goes_to_the_higher_mean_probability():
    branches = [[_answer("setosa", setosa=0.55)], [_answer("virginica", virginica=0.95)]]

    assert aggregate("vote", branches) == [
        {"label": "virginica", "label_index": 2, "votes": 1, "of": 2}
    ]


def test_mean_averages_each_class():
    branches = [
        [_answer("setosa", setosa=0.6, versicolor=0.4)],
        [_answer("versicolor", versicolor=1.0)],
    ]

    (combined,) = aggregate("mean", branches) or []

    assert combined["label"] == "versicolor"
    assert combined["probabilities"] == pytest.approx(
        {"setosa": 0.3, "versicolor": 0.7, "virginica": 0.0}
    )


def test_regressors_are_averaged():
    assert aggregate("mean", [[{"value": 1.0}], [{"value": 2.0}]]) == [{"value": 1.5}]
    assert aggregate("vote", [[{"value": 1.0}], [{"value": 3.0}]]) == [{"value": 2.0}]


def test_all_combines_nothing():
    assert aggregate("all", [[_answer("setosa")]]) is None
