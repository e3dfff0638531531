"""Study-level analyses that the notebooks compose: embeddings, decoding, encoding.

Each function takes a :class:`b2m.datasets.Study` and a feature-space name and returns a
small result dataclass with ``to_frame()`` / ``summary()``.
"""

from b2m.analysis._decoding import (
    DecodingResult,
    RegionEnsemble,
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
from b2m.analysis._tags import DecodedTags, decoded_tags, tag_auc
from b2m.analysis._text_music import (
    TextMusicResult,
    compare_text_music,
    partition_encoding,
    planted_recovery,
)
from b2m.analysis._text_music_group import combine_text_music
from b2m.analysis._text_query import (
    TagQuery,
    TextSearch,
    TextSearchResult,
    rank_by_text,
    text_response_map,
    text_to_tags,
)

__all__ = [
    "DecodedTags",
    "DecodingResult",
    "EncodingResult",
    "RegionEnsemble",
    "TagQuery",
    "TextMusicResult",
    "TextSearch",
    "TextSearchResult",
    "combine_text_music",
    "compare_text_music",
    "decode_study",
    "decoded_tags",
    "decoding_records",
    "decoding_table",
    "encode_study",
    "genre_neighbour_agreement",
    "identification_null",
    "neighbour_overlap",
    "partition_encoding",
    "planted_recovery",
    "rank_by_text",
    "select_voxels",
    "study_embeddings",
    "tag_auc",
    "text_response_map",
    "text_to_tags",
]
