import numpy as np
import pytest

from b2m.analysis import genre_neighbour_agreement, neighbour_overlap


def test_genre_agreement_and_overlap():
    rng = np.random.default_rng(0)
    genres = np.repeat(np.arange(5), 20)
    clustered = np.eye(5)[genres] * 5 + 0.1 * rng.standard_normal((100, 5))
    noise = rng.standard_normal((100, 5))
    assert genre_neighbour_agreement(clustered, genres, k=5) == 1.0
    assert genre_neighbour_agreement(noise, genres, k=5) < 0.4
    assert neighbour_overlap(clustered, clustered * 2 + 1, k=5) == 1.0
    assert neighbour_overlap(noise, rng.standard_normal((100, 7)), k=5) < 0.2
    with pytest.raises(ValueError, match="genres must have shape"):
        genre_neighbour_agreement(noise, genres[:10])
    with pytest.raises(ValueError, match="k must be between 1 and 99"):
        neighbour_overlap(noise, noise, k=100)
    with pytest.raises(ValueError, match="a and b must hold the same clips"):
        neighbour_overlap(noise, noise[:50])


@pytest.mark.slow
def test_example_run(study):
    events, bold = study.load_example_run()
    assert len(events) == 41 and bold.shape == (410, 20484) and bold.dtype == np.float32
    assert set(events.task) == {"Training"} and set(events.run) == {1}
