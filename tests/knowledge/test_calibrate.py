"""The fusion model learned per fold: a fold's messages are scored only by a model that never learned from them."""

from __future__ import annotations

import numpy as np

from knowledge.calibrate import Labelled, fit, fold_models
from knowledge.fusion import FEATURES


def labelled(seed: int, folds: int = 5, per_fold: int = 40, flipped_fold: int | None = None) -> list[Labelled]:
    """Messages of three candidates each: the right one has the highest first feature (the lowest in `flipped_fold`)."""
    rng = np.random.default_rng(seed)
    data = []
    for fold in range(folds):
        for n in range(per_fold):
            rows = rng.random((3, len(FEATURES)))
            rows[:, 1] = rows[:, 0] - rows[:, 0].max()  # as the retrievers' gap features are
            right = np.zeros(3, dtype=bool)
            right[np.argmin(rows[:, 0]) if fold == flipped_fold else np.argmax(rows[:, 0])] = True
            data.append(Labelled(f"message {fold}-{n}", rows, right, fold))
    return data


def top_is_right(model, data: list[Labelled]) -> float:
    return float(np.mean([d.right[np.argmax(model.probability(d.rows))] for d in data]))


def test_the_model_learns_what_makes_a_candidate_right():
    assert top_is_right(fit(labelled(seed=2)), labelled(seed=3, folds=1)) >= 0.9


def test_each_fold_s_model_never_learned_from_that_fold():
    """The evaluation scores a fold's dev messages with its model: one that had seen them would flatter the figures."""
    data = labelled(seed=5, flipped_fold=0)  # fold 0 alone says the opposite of the others
    models = fold_models(data)
    assert sorted(models) == [0, 1, 2, 3, 4]
    own = [d for d in data if d.fold == 0]
    assert top_is_right(models[0], own) <= 0.2  # it ranks by the other folds' rule, wrong on fold 0
