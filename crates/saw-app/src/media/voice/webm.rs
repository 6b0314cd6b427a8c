//! Extracts the Opus track of a WebM/Matroska file.
//!
//! Only what is needed to copy the Opus packets is read: the EBML header, the
//! track list and the blocks in the clusters. Everything else (seek index,
//! cues, tags, timestamps) is skipped.

use super::RemuxError;
use super::ebml::{self, Children, Element, read_element};

const EBML_HEADER: u32 = 0x1A45_DFA3;
const DOC_TYPE: u32 = 0x4282;

const SEGMENT: u32 = 0x1853_8067;
// Children of Segment ("level 1").
const SEEK_HEAD: u32 = 0x114D_9B74;
const INFO: u32 = 0x1549_A966;
const TRACKS: u32 = 0x1654_AE6B;
const CLUSTER: u32 = 0x1F43_B675;
const CUES: u32 = 0x1C53_BB6B;
const CHAPTERS: u32 = 0x1043_A770;
const TAGS: u32 = 0x1254_C367;
const ATTACHMENTS: u32 = 0x1941_A469;

const TRACK_ENTRY: u32 = 0xAE;
const TRACK_NUMBER: u32 = 0xD7;
const CODEC_ID: u32 = 0x86;
const CODEC_PRIVATE: u32 = 0x63A2;
const CODEC_DELAY: u32 = 0x56AA;
const CONTENT_ENCODINGS: u32 = 0x6D80;
const AUDIO: u32 = 0xE1;
const CHANNELS: u32 = 0x9F;
const SAMPLING_FREQUENCY: u32 = 0xB5;

const SIMPLE_BLOCK: u32 = 0xA3;
const BLOCK_GROUP: u32 = 0xA0;
const BLOCK: u32 = 0xA1;
const DISCARD_PADDING: u32 = 0x75A2;

const OPUS_CODEC_ID: &[u8] = b"A_OPUS";

/// What the track list says about the Opus track.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct OpusTrack<'a> {
    pub number: u64,
    /// The OpusHead packet, which Matroska stores as CodecPrivate.
    pub codec_private: Option<&'a [u8]>,
    pub channels: Option<u64>,
    pub sampling_frequency: Option<f64>,
    /// Encoder delay in nanoseconds; Matroska's equivalent of pre-skip.
    pub codec_delay_ns: Option<u64>,
}

/// The Opus track and its packets, in file order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OpusStream<'a> {
    pub track: OpusTrack<'a>,
    pub packets: Vec<&'a [u8]>,
    /// `DiscardPadding` of the last block in nanoseconds: how much of its
    /// decoded audio is padding that players should drop.
    pub end_padding_ns: u64,
}

/// A Block or SimpleBlock whose frames have not been unlaced yet.
#[derive(Debug, Clone, Copy)]
struct RawBlock<'a> {
    track: u64,
    flags: u8,
    /// Everything after the flags byte: lace sizes (if any) and frames.
    payload: &'a [u8],
    discard_padding_ns: i64,
}

/// One track's entry in the track list, as far as it matters here.
#[derive(Debug, Clone, Default)]
struct TrackEntry<'a> {
    codec_id: &'a [u8],
    encoded: bool,
    info: OpusTrack<'a>,
}

/// Everything read from the Segment.
#[derive(Default)]
struct SegmentContents<'a> {
    tracks: Option<Vec<TrackEntry<'a>>>,
    blocks: Vec<RawBlock<'a>>,
}

/// Finds the first Opus track of a WebM/Matroska file and returns its packets.
pub(crate) fn extract_opus(file: &[u8]) -> Result<OpusStream<'_>, RemuxError> {
    let after_header = read_ebml_header(file)?;
    let segment = find_segment(file, after_header)?;
    let contents = read_segment(file, &segment)?;

    let tracks = match contents.tracks {
        Some(tracks) => tracks,
        // A live recording that stops before the track list is written is
        // cut off; a complete file without one is simply broken.
        None if segment.end.is_none() => return Err(RemuxError::Truncated),
        None => return Err(RemuxError::Malformed("the track list is missing")),
    };
    let entry = tracks
        .into_iter()
        .find(|t| t.codec_id == OPUS_CODEC_ID)
        .ok_or(RemuxError::NoOpusTrack)?;
    // Compressed (e.g. header stripping) or encrypted frames are not plain
    // Opus packets, so they cannot be copied as they are.
    if entry.encoded {
        return Err(RemuxError::EncodedTrack);
    }
    let track = entry.info;

    let mut packets = Vec::new();
    let mut end_padding_ns = 0;
    for block in contents.blocks.iter().filter(|b| b.track == track.number) {
        unlace(block, &mut packets)?;
        end_padding_ns = block.discard_padding_ns.max(0) as u64;
    }
    if packets.is_empty() {
        return Err(RemuxError::NoAudio);
    }
    Ok(OpusStream {
        track,
        packets,
        end_padding_ns,
    })
}

/// Checks the EBML header and returns the offset just after it.
fn read_ebml_header(file: &[u8]) -> Result<usize, RemuxError> {
    let magic = EBML_HEADER.to_be_bytes();
    if file.is_empty() {
        return Err(RemuxError::Empty);
    }
    if !magic.starts_with(&file[..file.len().min(4)]) {
        return Err(RemuxError::NotWebm);
    }
    if file.len() < magic.len() {
        return Err(RemuxError::Truncated);
    }

    let header = read_element(file, 0, file.len())?;
    // The EBML spec's default DocType is "matroska".
    let mut doc_type: &[u8] = b"matroska";
    for child in Children::of(file, &header)? {
        let child = child?;
        if child.id == DOC_TYPE {
            doc_type = ebml::trim_string(child.data(file)?);
        }
    }
    if doc_type != b"webm" && doc_type != b"matroska" {
        let name = String::from_utf8_lossy(doc_type).into_owned();
        return Err(RemuxError::UnsupportedDocType(name));
    }
    header.known_end()
}

/// Skips top-level elements (e.g. Void) until the Segment.
fn find_segment(file: &[u8], mut pos: usize) -> Result<Element, RemuxError> {
    while pos < file.len() {
        let element = read_element(file, pos, file.len())?;
        if element.id == SEGMENT {
            return Ok(element);
        }
        pos = element.known_end()?;
    }
    Err(RemuxError::Truncated)
}

/// True for IDs that can only appear directly in the Segment (or above).
/// Inside an unknown-size Cluster, such an ID marks the end of the Cluster.
fn is_top_level(id: u32) -> bool {
    matches!(
        id,
        EBML_HEADER
            | SEGMENT
            | SEEK_HEAD
            | INFO
            | TRACKS
            | CLUSTER
            | CUES
            | CHAPTERS
            | TAGS
            | ATTACHMENTS
    )
}

fn read_segment<'a>(file: &'a [u8], segment: &Element) -> Result<SegmentContents<'a>, RemuxError> {
    // An unknown-size Segment (live recording) runs to the end of the file.
    let limit = segment.end.unwrap_or(file.len());
    let mut contents = SegmentContents::default();
    let mut pos = segment.data_start;
    while pos < limit {
        let element = read_element(file, pos, limit)?;
        pos = match element.id {
            // A new EBML stream starts: only the first one is converted.
            EBML_HEADER | SEGMENT => break,
            CLUSTER => read_cluster(file, &element, limit, &mut contents.blocks)?,
            TRACKS => {
                contents.tracks = Some(read_tracks(file, &element)?);
                element.known_end()?
            }
            _ => element.known_end()?,
        };
    }
    Ok(contents)
}

/// Collects the blocks of a Cluster and returns the offset where it ends.
fn read_cluster<'a>(
    file: &'a [u8],
    cluster: &Element,
    segment_limit: usize,
    blocks: &mut Vec<RawBlock<'a>>,
) -> Result<usize, RemuxError> {
    let limit = cluster.end.unwrap_or(segment_limit);
    let mut pos = cluster.data_start;
    while pos < limit {
        let child = read_element(file, pos, limit)?;
        // An unknown-size Cluster has no end marker: it ends where the next
        // Cluster (or another top-level element) begins.
        if cluster.end.is_none() && is_top_level(child.id) {
            return Ok(pos);
        }
        match child.id {
            SIMPLE_BLOCK => blocks.push(parse_block(child.data(file)?, 0)?),
            BLOCK_GROUP => blocks.push(read_block_group(file, &child)?),
            // Timecode, Position, Void, CRC-32…: Ogg timing comes from the
            // Opus packets themselves, so nothing else is needed.
            _ => {}
        }
        pos = child.known_end()?;
    }
    Ok(limit)
}

fn read_block_group<'a>(file: &'a [u8], group: &Element) -> Result<RawBlock<'a>, RemuxError> {
    let mut block = None;
    let mut discard_padding_ns = 0;
    for child in Children::of(file, group)? {
        let child = child?;
        match child.id {
            BLOCK => block = Some(child.data(file)?),
            DISCARD_PADDING => discard_padding_ns = ebml::read_int(child.data(file)?)?,
            _ => {}
        }
    }
    let block = block.ok_or(RemuxError::Malformed("a BlockGroup has no Block"))?;
    parse_block(block, discard_padding_ns)
}

/// Parses the header of a Block or SimpleBlock (both share it).
fn parse_block(data: &[u8], discard_padding_ns: i64) -> Result<RawBlock<'_>, RemuxError> {
    let bad = RemuxError::Malformed("invalid block header");
    let (track, len) = ebml::decode_vint(data, 8).map_err(|_| bad.clone())?;
    // After the track number: a 16-bit relative timestamp and a flags byte.
    let flags = *data.get(len + 2).ok_or(bad)?;
    Ok(RawBlock {
        track,
        flags,
        payload: &data[len + 3..],
        discard_padding_ns,
    })
}

/// Splits a block into its frames (each one an Opus packet), handling the
/// three Matroska lacing schemes.
fn unlace<'a>(block: &RawBlock<'a>, frames: &mut Vec<&'a [u8]>) -> Result<(), RemuxError> {
    let bad = || RemuxError::Malformed("invalid lacing in a block");
    let lacing = (block.flags >> 1) & 0b11;
    if lacing == 0 {
        frames.push(block.payload);
        return Ok(());
    }

    let (&count_minus_one, mut rest) = block.payload.split_first().ok_or_else(bad)?;
    let count = usize::from(count_minus_one) + 1;
    let sizes = match lacing {
        1 => xiph_lace_sizes(&mut rest, count).ok_or_else(bad)?,
        3 => ebml_lace_sizes(&mut rest, count).ok_or_else(bad)?,
        _ => fixed_lace_sizes(rest.len(), count).ok_or_else(bad)?,
    };
    for size in sizes {
        let (frame, after) = rest.split_at_checked(size).ok_or_else(bad)?;
        frames.push(frame);
        rest = after;
    }
    Ok(())
}

/// Sizes of all frames of a laced block, given the explicit sizes of all but
/// the last one: the last frame takes the remaining bytes.
fn with_last_frame(mut sizes: Vec<usize>, remaining: usize) -> Option<Vec<usize>> {
    let explicit: usize = sizes
        .iter()
        .try_fold(0usize, |sum, &s| sum.checked_add(s))?;
    sizes.push(remaining.checked_sub(explicit)?);
    Some(sizes)
}

/// Xiph lacing: each size is a run of 255s plus one byte below 255.
fn xiph_lace_sizes(rest: &mut &[u8], count: usize) -> Option<Vec<usize>> {
    let mut sizes = Vec::with_capacity(count);
    for _ in 1..count {
        let mut size = 0usize;
        loop {
            let (&byte, after) = rest.split_first()?;
            *rest = after;
            size += usize::from(byte);
            if byte != 255 {
                break;
            }
        }
        sizes.push(size);
    }
    with_last_frame(sizes, rest.len())
}

/// EBML lacing: the first size is an EBML integer, each following one a
/// signed difference from the previous size.
fn ebml_lace_sizes(rest: &mut &[u8], count: usize) -> Option<Vec<usize>> {
    let mut sizes = Vec::with_capacity(count);
    let mut size: i64 = 0;
    for i in 1..count {
        let (raw, len) = ebml::decode_vint(rest, 8).ok()?;
        *rest = &rest[len..];
        if i == 1 {
            size = i64::try_from(raw).ok()?;
        } else {
            // Signed values are stored with a bias of half the range.
            let bias = (1i64 << (7 * len - 1)) - 1;
            size = size.checked_add(raw as i64 - bias)?;
        }
        sizes.push(usize::try_from(size).ok()?);
    }
    with_last_frame(sizes, rest.len())
}

/// Fixed-size lacing: all frames have the same size.
fn fixed_lace_sizes(total: usize, count: usize) -> Option<Vec<usize>> {
    total
        .is_multiple_of(count)
        .then(|| vec![total / count; count])
}

fn read_tracks<'a>(file: &'a [u8], tracks: &Element) -> Result<Vec<TrackEntry<'a>>, RemuxError> {
    let mut entries = Vec::new();
    for child in Children::of(file, tracks)? {
        let child = child?;
        if child.id == TRACK_ENTRY {
            entries.push(read_track_entry(file, &child)?);
        }
    }
    Ok(entries)
}

fn read_track_entry<'a>(file: &'a [u8], entry: &Element) -> Result<TrackEntry<'a>, RemuxError> {
    let mut track = TrackEntry::default();
    for child in Children::of(file, entry)? {
        let child = child?;
        let data = child.data(file)?;
        match child.id {
            TRACK_NUMBER => track.info.number = ebml::read_uint(data)?,
            CODEC_ID => track.codec_id = ebml::trim_string(data),
            CODEC_PRIVATE => track.info.codec_private = Some(data),
            CODEC_DELAY => track.info.codec_delay_ns = Some(ebml::read_uint(data)?),
            CONTENT_ENCODINGS => track.encoded = true,
            AUDIO => read_audio(file, &child, &mut track.info)?,
            _ => {}
        }
    }
    Ok(track)
}

fn read_audio(file: &[u8], audio: &Element, track: &mut OpusTrack<'_>) -> Result<(), RemuxError> {
    for child in Children::of(file, audio)? {
        let child = child?;
        match child.id {
            CHANNELS => track.channels = Some(ebml::read_uint(child.data(file)?)?),
            SAMPLING_FREQUENCY => {
                track.sampling_frequency = Some(ebml::read_float(child.data(file)?)?)
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(flags: u8, payload: &[u8]) -> RawBlock<'_> {
        RawBlock {
            track: 1,
            flags,
            payload,
            discard_padding_ns: 0,
        }
    }

    fn frames_of(flags: u8, payload: &[u8]) -> Result<Vec<Vec<u8>>, RemuxError> {
        let mut frames = Vec::new();
        unlace(&block(flags, payload), &mut frames)?;
        Ok(frames.into_iter().map(<[u8]>::to_vec).collect())
    }

    #[test]
    fn unlaced_block_is_one_frame() {
        assert_eq!(frames_of(0x80, &[1, 2, 3]).unwrap(), vec![vec![1, 2, 3]]);
    }

    #[test]
    fn xiph_lacing() {
        // 3 frames: 300 bytes (255 + 45), 2 bytes, and the rest (1 byte).
        let mut payload = vec![2, 255, 45, 2];
        payload.extend(std::iter::repeat_n(7, 300));
        payload.extend([8, 8, 9]);
        let frames = frames_of(0x02, &payload).unwrap();
        assert_eq!(frames.len(), 3);
        assert_eq!(frames[0], vec![7; 300]);
        assert_eq!(frames[1], vec![8, 8]);
        assert_eq!(frames[2], vec![9]);
    }

    #[test]
    fn ebml_lacing() {
        // 3 frames: 3 bytes, then 3 + (-1) = 2 bytes, then the rest.
        // The difference -1 as a 1-byte signed vint: -1 + 63 = 62 -> 0x80 | 62.
        let payload = [2, 0x83, 0x80 | 62, 1, 1, 1, 2, 2, 3, 3, 3, 3];
        let frames = frames_of(0x06, &payload).unwrap();
        assert_eq!(frames, vec![vec![1, 1, 1], vec![2, 2], vec![3, 3, 3, 3]]);
    }

    #[test]
    fn fixed_lacing() {
        let frames = frames_of(0x04, &[1, 1, 2, 3, 4]).unwrap();
        assert_eq!(frames, vec![vec![1, 2], vec![3, 4]]);
        assert!(frames_of(0x04, &[1, 1, 2, 3]).is_err());
    }

    #[test]
    fn lace_sizes_larger_than_the_block_are_rejected() {
        assert!(frames_of(0x02, &[1, 200, 1, 2]).is_err());
        assert!(frames_of(0x06, &[1, 0x90, 1, 2]).is_err());
        assert!(frames_of(0x02, &[]).is_err());
    }
}
