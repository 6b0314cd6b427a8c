//! The error type returned by [`super::webm_opus_to_ogg`].

use thiserror::Error;

/// Why a recording could not be converted.
///
/// The `Display` texts are short, human-readable sentences that can be shown
/// to a user or written to a log as they are.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RemuxError {
    #[error("the recording is empty")]
    Empty,

    #[error("not a WebM file")]
    NotWebm,

    #[error("unsupported container type {0:?} (expected WebM or Matroska)")]
    UnsupportedDocType(String),

    #[error("the recording is cut off")]
    Truncated,

    #[error("the WebM file is damaged: {0}")]
    Malformed(&'static str),

    #[error("the recording has no Opus audio track")]
    NoOpusTrack,

    #[error("the Opus audio track is compressed or encrypted, which is not supported")]
    EncodedTrack,

    #[error("the recording contains no audio")]
    NoAudio,

    #[error("the Opus track header (OpusHead) is invalid")]
    InvalidOpusHead,

    #[error(
        "the Opus track has {0} channels; only mono and stereo are supported without an OpusHead"
    )]
    UnsupportedChannels(u64),

    #[error("the recording contains an invalid Opus packet: {0}")]
    InvalidOpusPacket(&'static str),
}
