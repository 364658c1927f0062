"""Combine the branches' per-row answers: majority vote or mean, per row.

Only branches whose model answered take part. `vote` counts each branch's label and breaks
ties by the labels' mean probability; `mean` averages class probabilities (classifiers) or
values (regressors). `all` combines nothing: the client reads every branch.
"""

from collections import Counter
from collections.abc import Sequence
from statistics import fmean
from typing import Any

from app.proxy.parallel.settings import Aggregation

Row = dict[str, Any]


def aggregate(kind: Aggregation, branches: Sequence[Sequence[Row]]) -> list[Row] | None:
    """One combined answer per row, or None for `all` (or when no branch answered)."""
    if kind == "all" or not branches:
        return None
    rows = zip(*branches, strict=True)
    if kind == "vote":
        return [_vote(answers) for answers in rows]
    return [_mean(answers) for answers in rows]


def _vote(answers: Sequence[Row]) -> Row:
    labelled = [answer for answer in answers if "label" in answer]
    if not labelled:  # regressors have no labels to vote on
        return _mean(answers)
    counts = Counter(answer["label"] for answer in labelled)
    mean = _mean_probabilities(labelled)
    winner = max(counts, key=lambda label: (counts[label], mean.get(label, 0.0)))
    index = next(answer["label_index"] for answer in labelled if answer["label"] == winner)
    return {"label": winner, "label_index": index, "votes": counts[winner], "of": len(labelled)}


def _mean(answers: Sequence[Row]) -> Row:
    if all("value" in answer for answer in answers):
        return {"value": fmean(float(answer["value"]) for answer in answers)}
    probabilities = _mean_probabilities(answers)
    labels = list(probabilities)
    winner = max(labels, key=lambda label: probabilities[label])
    return {"label": winner, "label_index": labels.index(winner), "probabilities": probabilities}


def _mean_probabilities(answers: Sequence[Row]) -> dict[str, float]:
    tables = [answer["probabilities"] for answer in answers if "probabilities" in answer]
    if not tables:
        return {}
    return {label: fmean(float(table.get(label, 0.0)) for table in tables) for label in tables[0]}
