from .feature_extraction_beart import BeartFeatureExtractor
from .processing_beart import BeartProcessor
from .song_analysis import SongAnalysis
from .tokenization_beart import BeartTokenizer


__all__ = ["BeartFeatureExtractor", "BeartProcessor", "BeartTokenizer", "SongAnalysis"]
