"""Study-level analyses that the notebooks compose: embeddings, decoding, encoding.

Each function takes a :class:`b2m.datasets.Study` and a feature-space name and returns a
small result dataclass with ``to_frame()`` / ``summary()``.
"""

from b2m.analysis._decoding import DecodingResult, decode_study
from b2m.analysis._embeddings import study_embeddings
from b2m.analysis._encoding import EncodingResult, encode_study

__all__ = ["DecodingResult", "EncodingResult", "decode_study", "encode_study", "study_embeddings"]
