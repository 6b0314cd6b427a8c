//! The few pieces of Opus knowledge an Ogg Opus file needs: packet durations
//! (RFC 6716) and the OpusHead/OpusTags header packets (RFC 7845).

use super::RemuxError;

/// Ogg Opus granule positions always count samples at 48 kHz.
pub(crate) const GRANULE_RATE: u64 = 48_000;

/// Pre-skip used when the recording says nothing about the encoder delay:
/// 312 samples (6.5 ms) is libopus's lookahead at 48 kHz, the encoder every
/// browser uses. If the real delay were 0, the cost is 6.5 ms of audio lost
/// at the start; with 0 instead, players would play the encoder's warm-up.
pub(crate) const DEFAULT_PRE_SKIP: u16 = 312;

/// RFC 6716 limits a packet to 120 ms of audio.
const MAX_PACKET_SAMPLES: u64 = 120 * 48;

const OPUS_HEAD_MAGIC: &[u8] = b"OpusHead";
const OPUS_TAGS_MAGIC: &[u8] = b"OpusTags";
/// Size of an OpusHead with channel mapping family 0 (mono/stereo).
const OPUS_HEAD_LEN: usize = 19;

/// Duration of one frame, in 48 kHz samples, for a TOC byte's configuration
/// number (RFC 6716 section 3.1, table 2).
fn frame_samples(config: u8) -> u64 {
    match config {
        // SILK-only: 10, 20, 40, 60 ms for each bandwidth.
        0..=11 => [480, 960, 1920, 2880][usize::from(config % 4)],
        // Hybrid: 10, 20 ms.
        12..=15 => [480, 960][usize::from(config % 2)],
        // CELT-only: 2.5, 5, 10, 20 ms.
        _ => [120, 240, 480, 960][usize::from(config % 4)],
    }
}

/// Duration of an Opus packet in 48 kHz samples, read from its TOC byte
/// (and, for code 3, its frame count byte).
pub(crate) fn packet_samples(packet: &[u8]) -> Result<u64, RemuxError> {
    let &toc = packet
        .first()
        .ok_or(RemuxError::InvalidOpusPacket("empty packet"))?;
    let frames = match toc & 0b11 {
        0 => 1,
        1 | 2 => 2,
        _ => {
            let &count = packet
                .get(1)
                .ok_or(RemuxError::InvalidOpusPacket("missing frame count"))?;
            u64::from(count & 0x3F)
        }
    };
    let samples = frames * frame_samples(toc >> 3);
    if samples == 0 || samples > MAX_PACKET_SAMPLES {
        return Err(RemuxError::InvalidOpusPacket("bad frame count"));
    }
    Ok(samples)
}

/// An OpusHead packet (identification header) and the pre-skip it declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OpusHead {
    pub bytes: Vec<u8>,
    pub pre_skip: u16,
}

impl OpusHead {
    /// Validates an OpusHead taken from the Matroska CodecPrivate and keeps
    /// it as it is.
    pub fn parse(bytes: &[u8]) -> Result<Self, RemuxError> {
        let invalid = RemuxError::InvalidOpusHead;
        if bytes.len() < OPUS_HEAD_LEN || !bytes.starts_with(OPUS_HEAD_MAGIC) {
            return Err(invalid);
        }
        let version = bytes[8];
        let channels = usize::from(bytes[9]);
        let mapping_family = bytes[18];
        // Only the major version (upper nibble) 0 is defined.
        if version & 0xF0 != 0 || channels == 0 {
            return Err(invalid);
        }
        let needed_len = match mapping_family {
            0 if channels <= 2 => OPUS_HEAD_LEN,
            0 => return Err(invalid),
            // Stream count, coupled count and one mapping byte per channel.
            _ => OPUS_HEAD_LEN + 2 + channels,
        };
        if bytes.len() < needed_len {
            return Err(invalid);
        }
        Ok(OpusHead {
            bytes: bytes.to_vec(),
            pre_skip: u16::from_le_bytes([bytes[10], bytes[11]]),
        })
    }

    /// Builds a mono or stereo OpusHead (channel mapping family 0).
    /// `input_rate` is informational only; decoders always output 48 kHz.
    pub fn build(channels: u8, pre_skip: u16, input_rate: u32) -> Self {
        let mut bytes = Vec::with_capacity(OPUS_HEAD_LEN);
        bytes.extend_from_slice(OPUS_HEAD_MAGIC);
        bytes.push(1); // version
        bytes.push(channels);
        bytes.extend_from_slice(&pre_skip.to_le_bytes());
        bytes.extend_from_slice(&input_rate.to_le_bytes());
        bytes.extend_from_slice(&0i16.to_le_bytes()); // output gain
        bytes.push(0); // channel mapping family 0: mono or stereo
        OpusHead { bytes, pre_skip }
    }
}

/// An OpusTags packet (comment header) with a vendor string and no comments.
pub(crate) fn opus_tags(vendor: &str) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(16 + vendor.len());
    bytes.extend_from_slice(OPUS_TAGS_MAGIC);
    bytes.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
    bytes.extend_from_slice(vendor.as_bytes());
    bytes.extend_from_slice(&0u32.to_le_bytes()); // number of comments
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_durations_follow_rfc_6716_table() {
        let ms: Vec<f64> = (0..32).map(|c| frame_samples(c) as f64 / 48.0).collect();
        let expected = [
            10.0, 20.0, 40.0, 60.0, 10.0, 20.0, 40.0, 60.0, 10.0, 20.0, 40.0, 60.0, // SILK
            10.0, 20.0, 10.0, 20.0, // Hybrid
            2.5, 5.0, 10.0, 20.0, 2.5, 5.0, 10.0, 20.0, // CELT
            2.5, 5.0, 10.0, 20.0, 2.5, 5.0, 10.0, 20.0,
        ];
        assert_eq!(ms, expected);
    }

    #[test]
    fn packet_durations_for_each_code() {
        let celt_20ms = 31 << 3;
        assert_eq!(packet_samples(&[celt_20ms]), Ok(960)); // code 0
        assert_eq!(packet_samples(&[celt_20ms | 1, 0, 0]), Ok(1920)); // code 1
        assert_eq!(packet_samples(&[celt_20ms | 2, 1, 0, 0]), Ok(1920)); // code 2
        assert_eq!(packet_samples(&[celt_20ms | 3, 3, 0]), Ok(2880)); // code 3, 3 frames
        // The VBR and padding flags in the frame count byte don't change the count.
        assert_eq!(packet_samples(&[celt_20ms | 3, 0xC0 | 6]), Ok(5760));
        let silk_60ms = 3 << 3;
        assert_eq!(packet_samples(&[silk_60ms | 3, 2]), Ok(5760));
        let celt_2_5ms = 16 << 3;
        assert_eq!(packet_samples(&[celt_2_5ms | 3, 48]), Ok(5760));
    }

    #[test]
    fn invalid_packets_are_rejected() {
        assert!(packet_samples(&[]).is_err());
        assert!(packet_samples(&[(31 << 3) | 3]).is_err()); // no frame count
        assert!(packet_samples(&[(31 << 3) | 3, 0]).is_err()); // zero frames
        assert!(packet_samples(&[(31 << 3) | 3, 7]).is_err()); // 140 ms
        assert!(packet_samples(&[(3 << 3) | 3, 3]).is_err()); // 180 ms
    }

    #[test]
    fn builds_a_valid_head() {
        let head = OpusHead::build(2, 312, 48_000);
        assert_eq!(head.bytes.len(), 19);
        assert_eq!(OpusHead::parse(&head.bytes), Ok(head.clone()));
        assert_eq!(&head.bytes[..8], b"OpusHead");
        assert_eq!(head.bytes[8..12], [1, 2, 0x38, 0x01]);
        assert_eq!(head.bytes[12..16], 48_000u32.to_le_bytes());
        assert_eq!(head.bytes[16..19], [0, 0, 0]);
    }

    #[test]
    fn rejects_invalid_heads() {
        let good = OpusHead::build(1, 0, 48_000).bytes;
        assert!(OpusHead::parse(&good[..18]).is_err());
        let mut wrong_magic = good.clone();
        wrong_magic[0] = b'X';
        assert!(OpusHead::parse(&wrong_magic).is_err());
        let mut version_2 = good.clone();
        version_2[8] = 0x20;
        assert!(OpusHead::parse(&version_2).is_err());
        let mut no_channels = good.clone();
        no_channels[9] = 0;
        assert!(OpusHead::parse(&no_channels).is_err());
        let mut family_1_without_table = good.clone();
        family_1_without_table[18] = 1;
        assert!(OpusHead::parse(&family_1_without_table).is_err());
        let mut family_1 = family_1_without_table;
        family_1.extend([1, 0, 0]); // 1 stream, 0 coupled, channel 0 -> stream 0
        assert!(OpusHead::parse(&family_1).is_ok());
    }

    #[test]
    fn tags_layout() {
        let tags = opus_tags("SAW");
        assert_eq!(tags, b"OpusTags\x03\0\0\0SAW\0\0\0\0");
    }
}
