"""Study-level analyses that the notebooks compose: embeddings, decoding, encoding.

Each function takes a :class:`b2m.datasets.Study` and a feature-space name and returns a
small result dataclass with ``to_frame()`` / ``summary()``.
"""

from b2m.analysis._decoding import (
    DecodingResult,
    decode_study,
    decoding_records,
    decoding_table,
    identification_null,
    select_voxels,
)
from b2m.analysis._embeddings import (
    genre_neighbour_agreement,
    neighbour_overlap,
    study_embeddings,
)
from b2m.analysis._encoding import EncodingResult, encode_study
from b2m.analysis._partition import (
    dice_coefficient,
    pooled_pvalues,
    sign_flip_test,
    variance_partition,
)
from b2m.analysis._text_music import (
    TextMusicResult,
    compare_text_music,
    partition_encoding,
    planted_recovery,
)
from b2m.analysis._text_music_group import combine_text_music, stouffer_pvalues

__all__ = [
    "DecodingResult",
    "EncodingResult",
    "TextMusicResult",
    "combine_text_music",
    "compare_text_music",
    "decode_study",
    "decoding_records",
    "decoding_table",
    "dice_coefficient",
    "encode_study",
    "genre_neighbour_agreement",
    "identification_null",
    "neighbour_overlap",
    "partition_encoding",
    "planted_recovery",
    "pooled_pvalues",
    "select_voxels",
    "sign_flip_test",
    "stouffer_pvalues",
    "study_embeddings",
    "variance_partition",
]
