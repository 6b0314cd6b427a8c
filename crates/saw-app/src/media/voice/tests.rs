//! End-to-end tests: WebM files are built here with a tiny EBML writer, then
//! converted, and the Ogg output is checked both with a hand-written page
//! parser (which recomputes each CRC bit by bit) and with the `ogg` crate.

use super::{RemuxError, webm_opus_to_ogg};
use std::io::Cursor;

/// A tiny EBML writer, just enough to build test files.
mod ebml_writer {
    /// Size value meaning "unknown size", as Chrome's MediaRecorder writes it.
    pub const UNKNOWN_SIZE: [u8; 8] = [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];

    fn id_bytes(id: u32) -> Vec<u8> {
        let bytes = id.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        bytes[skip..].to_vec()
    }

    /// The shortest EBML encoding of a size.
    pub fn vint(value: u64) -> Vec<u8> {
        let len = (1..=8)
            .find(|&len| value < (1u64 << (7 * len)) - 1)
            .expect("size too large");
        let marked = value | (1u64 << (7 * len));
        marked.to_be_bytes()[8 - len..].to_vec()
    }

    pub fn element(id: u32, body: &[u8]) -> Vec<u8> {
        [id_bytes(id), vint(body.len() as u64), body.to_vec()].concat()
    }

    pub fn unknown_size_element(id: u32, body: &[u8]) -> Vec<u8> {
        [id_bytes(id), UNKNOWN_SIZE.to_vec(), body.to_vec()].concat()
    }

    pub fn uint(id: u32, value: u64) -> Vec<u8> {
        let bytes = value.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count().min(7);
        element(id, &bytes[skip..])
    }

    pub fn int(id: u32, value: i64) -> Vec<u8> {
        element(id, &value.to_be_bytes())
    }

    pub fn float(id: u32, value: f64) -> Vec<u8> {
        element(id, &value.to_be_bytes())
    }

    pub fn string(id: u32, value: &str) -> Vec<u8> {
        element(id, value.as_bytes())
    }
}

use ebml_writer::{element, float, int, string, uint, unknown_size_element};

const SEGMENT: u32 = 0x1853_8067;
const CLUSTER: u32 = 0x1F43_B675;
const TRACKS: u32 = 0x1654_AE6B;
const TRACK_ENTRY: u32 = 0xAE;

/// TOC byte of a 20 ms CELT fullband frame, code 0 (one frame per packet).
const TOC_20MS: u8 = 31 << 3;
const PRE_SKIP: u16 = 312;

fn ebml_header(doc_type: &str) -> Vec<u8> {
    let body = [
        uint(0x4286, 1), // EBMLVersion
        uint(0x42F7, 1), // EBMLReadVersion
        uint(0x42F2, 4), // EBMLMaxIDLength
        uint(0x42F3, 8), // EBMLMaxSizeLength
        string(0x4282, doc_type),
        uint(0x4287, 4), // DocTypeVersion
        uint(0x4285, 2), // DocTypeReadVersion
    ]
    .concat();
    element(0x1A45_DFA3, &body)
}

fn opus_head(channels: u8, pre_skip: u16) -> Vec<u8> {
    let mut head = b"OpusHead".to_vec();
    head.extend([1, channels]);
    head.extend(pre_skip.to_le_bytes());
    head.extend(48_000u32.to_le_bytes());
    head.extend([0, 0, 0]);
    head
}

/// Settings of an Opus TrackEntry.
struct OpusTrackSpec {
    number: u64,
    codec_private: Option<Vec<u8>>,
    channels: u64,
    codec_delay_ns: Option<u64>,
    /// Raw elements appended to the TrackEntry.
    extra: Vec<u8>,
}

impl Default for OpusTrackSpec {
    fn default() -> Self {
        OpusTrackSpec {
            number: 1,
            codec_private: Some(opus_head(1, PRE_SKIP)),
            channels: 1,
            codec_delay_ns: None,
            extra: Vec::new(),
        }
    }
}

fn opus_track(spec: &OpusTrackSpec) -> Vec<u8> {
    let audio = [uint(0x9F, spec.channels), float(0xB5, 48_000.0)].concat();
    let mut body = [
        uint(0xD7, spec.number),
        uint(0x73C5, spec.number), // TrackUID
        uint(0x83, 2),             // TrackType: audio
        string(0x86, "A_OPUS"),
    ]
    .concat();
    if let Some(head) = &spec.codec_private {
        body.extend(element(0x63A2, head));
    }
    if let Some(delay) = spec.codec_delay_ns {
        body.extend(uint(0x56AA, delay));
    }
    body.extend(uint(0x56BB, 80_000_000)); // SeekPreRoll
    body.extend(element(0xE1, &audio));
    body.extend_from_slice(&spec.extra);
    element(TRACK_ENTRY, &body)
}

fn video_track(number: u64) -> Vec<u8> {
    let video = [uint(0xB0, 640), uint(0xBA, 480)].concat();
    let body = [
        uint(0xD7, number),
        uint(0x73C5, number),
        uint(0x83, 1), // TrackType: video
        string(0x86, "V_VP8"),
        element(0xE0, &video),
    ]
    .concat();
    element(TRACK_ENTRY, &body)
}

fn tracks(entries: &[Vec<u8>]) -> Vec<u8> {
    element(TRACKS, &entries.concat())
}

fn info() -> Vec<u8> {
    let body = [
        uint(0x2AD7B1, 1_000_000), // TimecodeScale
        string(0x4D80, "test-muxer"),
        string(0x5741, "test-app"),
    ]
    .concat();
    element(0x1549_A966, &body)
}

fn block_body(track: u64, timecode: i16, flags: u8, payload: &[u8]) -> Vec<u8> {
    [
        ebml_writer::vint(track),
        timecode.to_be_bytes().to_vec(),
        vec![flags],
        payload.to_vec(),
    ]
    .concat()
}

fn simple_block(track: u64, timecode: i16, frame: &[u8]) -> Vec<u8> {
    element(0xA3, &block_body(track, timecode, 0x80, frame))
}

fn block_group(track: u64, timecode: i16, frame: &[u8], discard_padding_ns: i64) -> Vec<u8> {
    let mut body = element(0xA1, &block_body(track, timecode, 0, frame));
    body.extend(uint(0x9B, 20)); // BlockDuration
    if discard_padding_ns != 0 {
        body.extend(int(0x75A2, discard_padding_ns));
    }
    element(0xA0, &body)
}

fn cluster(timecode: u64, blocks: &[Vec<u8>], unknown_size: bool) -> Vec<u8> {
    let body = [uint(0xE7, timecode), blocks.concat()].concat();
    if unknown_size {
        unknown_size_element(CLUSTER, &body)
    } else {
        element(CLUSTER, &body)
    }
}

fn webm_file(doc_type: &str, segment_children: &[Vec<u8>], unknown_size: bool) -> Vec<u8> {
    let body = segment_children.concat();
    let segment = if unknown_size {
        unknown_size_element(SEGMENT, &body)
    } else {
        element(SEGMENT, &body)
    };
    [ebml_header(doc_type), segment].concat()
}

/// `count` distinct fake Opus packets, each a 20 ms code 0 frame.
fn fake_packets(count: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| {
            let len = 20 + i % 7;
            let mut packet = vec![TOC_20MS];
            packet.extend((0..len).map(|b| (i * 31 + b) as u8));
            packet
        })
        .collect()
}

/// A Chrome-like recording: one Opus track, everything in one cluster.
fn simple_recording(packets: &[Vec<u8>], unknown_sizes: bool) -> Vec<u8> {
    let blocks: Vec<Vec<u8>> = packets
        .iter()
        .enumerate()
        .map(|(i, p)| simple_block(1, (i * 20) as i16, p))
        .collect();
    webm_file(
        "webm",
        &[
            info(),
            tracks(&[opus_track(&OpusTrackSpec::default())]),
            cluster(0, &blocks, unknown_sizes),
        ],
        unknown_sizes,
    )
}

// ---------------------------------------------------------------------------
// Reading the output back

/// One Ogg page, parsed by hand.
#[derive(Debug)]
struct Page {
    header_type: u8,
    granule: u64,
    serial: u32,
    sequence: u32,
    segments: Vec<u8>,
    body: Vec<u8>,
}

impl Page {
    fn is_bos(&self) -> bool {
        self.header_type & 0x02 != 0
    }
    fn is_eos(&self) -> bool {
        self.header_type & 0x04 != 0
    }
}

/// Bit-by-bit Ogg CRC, independent of the table-driven one in the crate.
fn slow_ogg_crc(data: &[u8]) -> u32 {
    let mut crc = 0u32;
    for &byte in data {
        crc ^= u32::from(byte) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04C1_1DB7
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// Splits an Ogg stream into pages, asserting that each CRC is right.
fn parse_pages(stream: &[u8]) -> Vec<Page> {
    let mut pages = Vec::new();
    let mut pos = 0;
    while pos < stream.len() {
        let header = &stream[pos..];
        assert_eq!(&header[..4], b"OggS", "capture pattern at {pos}");
        assert_eq!(header[4], 0, "stream structure version");
        let segment_count = usize::from(header[26]);
        let segments = header[27..27 + segment_count].to_vec();
        let body_len: usize = segments.iter().map(|&s| usize::from(s)).sum();
        let page_len = 27 + segment_count + body_len;
        let page_bytes = &stream[pos..pos + page_len];

        let stored_crc = u32::from_le_bytes(page_bytes[22..26].try_into().unwrap());
        let mut zeroed = page_bytes.to_vec();
        zeroed[22..26].fill(0);
        assert_eq!(
            slow_ogg_crc(&zeroed),
            stored_crc,
            "CRC of page {}",
            pages.len()
        );

        pages.push(Page {
            header_type: header[5],
            granule: u64::from_le_bytes(header[6..14].try_into().unwrap()),
            serial: u32::from_le_bytes(header[14..18].try_into().unwrap()),
            sequence: u32::from_le_bytes(header[18..22].try_into().unwrap()),
            segments,
            body: page_bytes[27 + segment_count..].to_vec(),
        });
        pos += page_len;
    }
    pages
}

/// A packet as the `ogg` crate reads it back (it checks CRCs too).
struct ReadPacket {
    data: Vec<u8>,
    page_granule: u64,
    last_in_page: bool,
    last_in_stream: bool,
}

fn read_packets(stream: &[u8]) -> Vec<ReadPacket> {
    let mut reader = ogg::PacketReader::new(Cursor::new(stream));
    let mut packets = Vec::new();
    while let Some(packet) = reader
        .read_packet()
        .expect("the ogg crate accepts the stream")
    {
        packets.push(ReadPacket {
            page_granule: packet.absgp_page(),
            last_in_page: packet.last_in_page(),
            last_in_stream: packet.last_in_stream(),
            data: packet.data,
        });
    }
    packets
}

/// Checks everything that must hold for any valid Ogg Opus output, and
/// returns the audio packets.
fn check_ogg_opus(ogg: &[u8], expected_head: &[u8]) -> Vec<ReadPacket> {
    assert!(ogg.starts_with(b"OggS"));

    let pages = parse_pages(ogg);
    assert!(pages.len() >= 3);
    for (i, page) in pages.iter().enumerate() {
        assert_eq!(page.sequence, i as u32, "page sequence");
        assert_eq!(page.serial, pages[0].serial, "one logical stream");
        assert_eq!(page.is_bos(), i == 0, "BOS only on the first page");
        assert_eq!(
            page.is_eos(),
            i == pages.len() - 1,
            "EOS only on the last page"
        );
    }
    // RFC 7845: each header packet alone on its page, with granule 0.
    assert_eq!(pages[0].body, expected_head);
    assert_eq!(pages[0].granule, 0);
    assert!(*pages[0].segments.last().unwrap() < 255);
    assert!(pages[1].body.starts_with(b"OpusTags"));
    assert_eq!(pages[1].granule, 0);
    assert_eq!(
        pages[2].header_type & 0x01,
        0,
        "audio starts on a fresh page"
    );

    let mut packets = read_packets(ogg);
    assert_eq!(packets[0].data, expected_head);
    assert_eq!(packets[1].data, b"OpusTags\x03\0\0\0SAW\0\0\0\0");
    assert!(packets.last().unwrap().last_in_stream);
    packets.drain(..2);
    packets
}

fn audio_data(packets: &[ReadPacket]) -> Vec<Vec<u8>> {
    packets.iter().map(|p| p.data.clone()).collect()
}

fn final_granule(ogg: &[u8]) -> u64 {
    parse_pages(ogg).last().unwrap().granule
}

// ---------------------------------------------------------------------------
// Successful conversions

#[test]
fn known_size_segment_and_cluster() {
    let packets = fake_packets(3);
    let ogg = webm_opus_to_ogg(&simple_recording(&packets, false)).unwrap();

    let audio = check_ogg_opus(&ogg, &opus_head(1, PRE_SKIP));
    assert_eq!(audio_data(&audio), packets);
    assert_eq!(final_granule(&ogg), 3 * 960 + u64::from(PRE_SKIP));
    assert_eq!(parse_pages(&ogg).len(), 3);
}

#[test]
fn unknown_size_segment_and_clusters_like_chrome() {
    let packets = fake_packets(12);
    // Four unknown-size clusters of three blocks each, timecodes relative.
    let clusters: Vec<Vec<u8>> = packets
        .chunks(3)
        .enumerate()
        .map(|(c, chunk)| {
            let blocks: Vec<Vec<u8>> = chunk
                .iter()
                .enumerate()
                .map(|(i, p)| simple_block(1, (i * 20) as i16, p))
                .collect();
            cluster(c as u64 * 60, &blocks, true)
        })
        .collect();
    let mut children = vec![
        element(0xEC, &[0; 10]), // Void
        info(),
        tracks(&[opus_track(&OpusTrackSpec::default())]),
    ];
    children.extend(clusters);
    let file = webm_file("webm", &children, true);

    let ogg = webm_opus_to_ogg(&file).unwrap();
    let audio = check_ogg_opus(&ogg, &opus_head(1, PRE_SKIP));
    assert_eq!(audio_data(&audio), packets);
    assert_eq!(final_granule(&ogg), 12 * 960 + u64::from(PRE_SKIP));
}

#[test]
fn unknown_size_cluster_ends_at_the_next_top_level_element() {
    let packets = fake_packets(4);
    let blocks = |range: std::ops::Range<usize>| -> Vec<Vec<u8>> {
        range.map(|i| simple_block(1, 0, &packets[i])).collect()
    };
    let cues = element(0x1C53_BB6B, &element(0xBB, &uint(0xB3, 0)));
    let tags = element(0x1254_C367, &[]);
    let file = webm_file(
        "webm",
        &[
            tracks(&[opus_track(&OpusTrackSpec::default())]),
            cluster(0, &blocks(0..2), true),
            cues,
            cluster(40, &blocks(2..3), true),
            tags,
            cluster(60, &blocks(3..4), false),
        ],
        false,
    );

    let ogg = webm_opus_to_ogg(&file).unwrap();
    let audio = check_ogg_opus(&ogg, &opus_head(1, PRE_SKIP));
    assert_eq!(audio_data(&audio), packets);
}

#[test]
fn only_the_opus_track_is_taken() {
    let packets = fake_packets(5);
    let video_frame = vec![0x9D, 0x01, 0x2A, 0, 0, 0];
    let mut blocks = Vec::new();
    for (i, p) in packets.iter().enumerate() {
        blocks.push(simple_block(1, (i * 20) as i16, &video_frame));
        blocks.push(simple_block(2, (i * 20) as i16, p));
    }
    let spec = OpusTrackSpec {
        number: 2,
        ..Default::default()
    };
    let file = webm_file(
        "webm",
        &[
            tracks(&[video_track(1), opus_track(&spec)]),
            cluster(0, &blocks, true),
        ],
        true,
    );

    let ogg = webm_opus_to_ogg(&file).unwrap();
    let audio = check_ogg_opus(&ogg, &opus_head(1, PRE_SKIP));
    assert_eq!(audio_data(&audio), packets);
    assert_eq!(final_granule(&ogg), 5 * 960 + u64::from(PRE_SKIP));
}

#[test]
fn matroska_doc_type_and_block_groups() {
    let packets = fake_packets(3);
    let blocks: Vec<Vec<u8>> = packets
        .iter()
        .enumerate()
        .map(|(i, p)| block_group(1, (i * 20) as i16, p, 0))
        .collect();
    let file = webm_file(
        "matroska",
        &[
            tracks(&[opus_track(&OpusTrackSpec::default())]),
            cluster(0, &blocks, false),
        ],
        false,
    );

    let ogg = webm_opus_to_ogg(&file).unwrap();
    let audio = check_ogg_opus(&ogg, &opus_head(1, PRE_SKIP));
    assert_eq!(audio_data(&audio), packets);
}

#[test]
fn discard_padding_of_the_last_block_trims_the_end() {
    let packets = fake_packets(3);
    let blocks = vec![
        simple_block(1, 0, &packets[0]),
        simple_block(1, 20, &packets[1]),
        block_group(1, 40, &packets[2], 12_500_000), // 12.5 ms = 600 samples
    ];
    let file = webm_file(
        "webm",
        &[
            tracks(&[opus_track(&OpusTrackSpec::default())]),
            cluster(0, &blocks, false),
        ],
        false,
    );

    let ogg = webm_opus_to_ogg(&file).unwrap();
    check_ogg_opus(&ogg, &opus_head(1, PRE_SKIP));
    assert_eq!(final_granule(&ogg), 3 * 960 - 600 + u64::from(PRE_SKIP));
}

#[test]
fn granules_follow_each_packets_toc() {
    // (packet, duration in 48 kHz samples)
    let cases: Vec<(Vec<u8>, u64)> = vec![
        (vec![TOC_20MS, 1, 2, 3], 960),            // CELT 20 ms, code 0
        (vec![(29 << 3), 4, 5], 240),              // CELT 5 ms
        (vec![(30 << 3) | 1, 6, 7], 960),          // CELT 2 x 10 ms, code 1
        (vec![(15 << 3) | 2, 1, 8, 9], 1920),      // Hybrid 2 x 20 ms, code 2
        (vec![TOC_20MS | 3, 3, 10, 11, 12], 2880), // CELT 3 x 20 ms, code 3
        (vec![(3 << 3), 13], 2880),                // SILK 60 ms
        (vec![(16 << 3) | 3, 0x80 | 4, 14], 480),  // CELT 4 x 2.5 ms, VBR flag
    ];
    let packets: Vec<Vec<u8>> = cases.iter().map(|(p, _)| p.clone()).collect();
    let ogg = webm_opus_to_ogg(&simple_recording(&packets, true)).unwrap();
    let audio = check_ogg_opus(&ogg, &opus_head(1, PRE_SKIP));
    assert_eq!(audio_data(&audio), packets);

    let total: u64 = cases.iter().map(|(_, d)| d).sum();
    assert_eq!(final_granule(&ogg), total + u64::from(PRE_SKIP));
}

#[test]
fn long_recording_is_split_into_pages_with_correct_granules() {
    // 10 seconds of 20 ms packets.
    let packets = fake_packets(500);
    let ogg = webm_opus_to_ogg(&simple_recording(&packets, true)).unwrap();
    let audio = check_ogg_opus(&ogg, &opus_head(1, PRE_SKIP));
    assert_eq!(audio_data(&audio), packets);

    let pages = parse_pages(&ogg);
    assert!(
        pages.len() >= 2 + 10,
        "about one page per second, got {}",
        pages.len()
    );
    // Each page's granule is that of the last packet ending on it.
    let mut checked_pages = 0;
    for (i, packet) in audio.iter().enumerate() {
        if packet.last_in_page {
            assert_eq!(
                packet.page_granule,
                (i as u64 + 1) * 960 + u64::from(PRE_SKIP)
            );
            checked_pages += 1;
        }
    }
    assert_eq!(checked_pages, pages.len() - 2);
    assert!(pages.windows(2).all(|w| w[0].granule <= w[1].granule));
}

#[test]
fn packets_larger_than_a_page_are_continued() {
    // Not realistic for voice, but exercises page continuation.
    let mut big = vec![TOC_20MS];
    big.extend((0..70_000).map(|i| (i % 251) as u8));
    let packets = vec![fake_packets(1)[0].clone(), big, fake_packets(2)[1].clone()];
    let ogg = webm_opus_to_ogg(&simple_recording(&packets, false)).unwrap();
    let audio = check_ogg_opus(&ogg, &opus_head(1, PRE_SKIP));
    assert_eq!(audio_data(&audio), packets);
    assert!(parse_pages(&ogg).iter().any(|p| p.header_type & 0x01 != 0));
    assert_eq!(final_granule(&ogg), 3 * 960 + u64::from(PRE_SKIP));
}

#[test]
fn opus_head_is_built_when_codec_private_is_missing() {
    let packets = fake_packets(2);
    let blocks: Vec<Vec<u8>> = packets.iter().map(|p| simple_block(1, 0, p)).collect();
    let build = |spec: OpusTrackSpec| {
        webm_file(
            "webm",
            &[tracks(&[opus_track(&spec)]), cluster(0, &blocks, true)],
            true,
        )
    };

    // No CodecDelay: the default pre-skip of 312 samples.
    let file = build(OpusTrackSpec {
        codec_private: None,
        channels: 2,
        ..Default::default()
    });
    let ogg = webm_opus_to_ogg(&file).unwrap();
    check_ogg_opus(&ogg, &opus_head(2, 312));
    assert_eq!(final_granule(&ogg), 2 * 960 + 312);

    // CodecDelay of 10 ms becomes a pre-skip of 480 samples.
    let file = build(OpusTrackSpec {
        codec_private: None,
        codec_delay_ns: Some(10_000_000),
        ..Default::default()
    });
    let ogg = webm_opus_to_ogg(&file).unwrap();
    check_ogg_opus(&ogg, &opus_head(1, 480));
    assert_eq!(final_granule(&ogg), 2 * 960 + 480);

    let file = build(OpusTrackSpec {
        codec_private: None,
        channels: 6,
        ..Default::default()
    });
    assert_eq!(
        webm_opus_to_ogg(&file),
        Err(RemuxError::UnsupportedChannels(6))
    );
}

#[test]
fn pre_skip_of_the_codec_private_is_used() {
    let packets = fake_packets(2);
    let blocks: Vec<Vec<u8>> = packets.iter().map(|p| simple_block(1, 0, p)).collect();
    let spec = OpusTrackSpec {
        codec_private: Some(opus_head(2, 0)),
        ..Default::default()
    };
    let file = webm_file(
        "webm",
        &[tracks(&[opus_track(&spec)]), cluster(0, &blocks, true)],
        true,
    );
    let ogg = webm_opus_to_ogg(&file).unwrap();
    check_ogg_opus(&ogg, &opus_head(2, 0));
    assert_eq!(final_granule(&ogg), 2 * 960);
}

#[test]
fn laced_blocks_are_split_into_packets() {
    let packets = fake_packets(3);
    // Xiph lacing: count - 1, then the sizes of all frames but the last.
    let mut xiph = vec![2, packets[0].len() as u8, packets[1].len() as u8];
    xiph.extend(packets.concat());
    // Fixed lacing needs equal sizes.
    let equal = vec![vec![TOC_20MS, 1, 1], vec![TOC_20MS, 2, 2]];
    let mut fixed = vec![1];
    fixed.extend(equal.concat());

    let blocks = vec![
        element(0xA3, &block_body(1, 0, 0x80 | 0x02, &xiph)),
        element(0xA3, &block_body(1, 60, 0x80 | 0x04, &fixed)),
    ];
    let file = webm_file(
        "webm",
        &[
            tracks(&[opus_track(&OpusTrackSpec::default())]),
            cluster(0, &blocks, true),
        ],
        true,
    );
    let ogg = webm_opus_to_ogg(&file).unwrap();
    let audio = check_ogg_opus(&ogg, &opus_head(1, PRE_SKIP));
    assert_eq!(audio_data(&audio), [packets, equal].concat());
    assert_eq!(final_granule(&ogg), 5 * 960 + u64::from(PRE_SKIP));
}

#[test]
fn output_is_reproducible() {
    let file = simple_recording(&fake_packets(20), true);
    assert_eq!(webm_opus_to_ogg(&file), webm_opus_to_ogg(&file));
}

// ---------------------------------------------------------------------------
// Errors

#[test]
fn empty_input() {
    assert_eq!(webm_opus_to_ogg(&[]), Err(RemuxError::Empty));
}

#[test]
fn random_bytes_are_not_webm() {
    // A simple LCG so the test is deterministic.
    let mut state = 0x1234_5678u32;
    let bytes: Vec<u8> = (0..4096)
        .map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (state >> 16) as u8
        })
        .collect();
    assert_eq!(webm_opus_to_ogg(&bytes), Err(RemuxError::NotWebm));
    assert_eq!(webm_opus_to_ogg(b"OggS\0\x02"), Err(RemuxError::NotWebm));
    assert_eq!(
        webm_opus_to_ogg(b"RIFF....WAVEfmt "),
        Err(RemuxError::NotWebm)
    );
}

#[test]
fn other_doc_types_are_rejected() {
    let file = webm_file(
        "avi",
        &[tracks(&[opus_track(&OpusTrackSpec::default())])],
        false,
    );
    assert_eq!(
        webm_opus_to_ogg(&file),
        Err(RemuxError::UnsupportedDocType("avi".into()))
    );
}

#[test]
fn video_only_file_has_no_opus_track() {
    let blocks = vec![simple_block(1, 0, &[0x9D, 0x01, 0x2A])];
    let file = webm_file(
        "webm",
        &[tracks(&[video_track(1)]), cluster(0, &blocks, true)],
        true,
    );
    let err = webm_opus_to_ogg(&file).unwrap_err();
    assert_eq!(err, RemuxError::NoOpusTrack);
    assert_eq!(err.to_string(), "the recording has no Opus audio track");
}

#[test]
fn opus_track_without_blocks_has_no_audio() {
    let file = webm_file(
        "webm",
        &[tracks(&[opus_track(&OpusTrackSpec::default())])],
        true,
    );
    assert_eq!(webm_opus_to_ogg(&file), Err(RemuxError::NoAudio));
}

#[test]
fn every_prefix_of_a_known_size_file_is_cut_off() {
    let file = simple_recording(&fake_packets(3), false);
    assert!(webm_opus_to_ogg(&file).is_ok());
    for len in 1..file.len() {
        assert_eq!(
            webm_opus_to_ogg(&file[..len]),
            Err(RemuxError::Truncated),
            "prefix of {len} of {} bytes",
            file.len()
        );
    }
}

#[test]
fn live_recording_cut_inside_a_block_is_cut_off() {
    let file = simple_recording(&fake_packets(3), true);
    let err = webm_opus_to_ogg(&file[..file.len() - 5]).unwrap_err();
    assert_eq!(err, RemuxError::Truncated);
    assert_eq!(err.to_string(), "the recording is cut off");
    // Cut inside the header, before the track list.
    assert_eq!(webm_opus_to_ogg(&file[..30]), Err(RemuxError::Truncated));
    assert_eq!(webm_opus_to_ogg(&file[..2]), Err(RemuxError::Truncated));
}

#[test]
fn every_prefix_of_a_live_recording_fails_cleanly_or_keeps_whole_packets() {
    let packets = fake_packets(3);
    let file = simple_recording(&packets, true);
    let mut partial_successes = 0;
    for len in 1..file.len() {
        match webm_opus_to_ogg(&file[..len]) {
            // Cut exactly between two blocks: indistinguishable from a
            // shorter recording, so the packets before the cut are kept.
            Ok(ogg) => {
                let audio = check_ogg_opus(&ogg, &opus_head(1, PRE_SKIP));
                assert!(audio.len() < packets.len());
                assert_eq!(audio_data(&audio), packets[..audio.len()]);
                partial_successes += 1;
            }
            Err(RemuxError::Truncated | RemuxError::NoAudio) => {}
            Err(other) => panic!("prefix of {len}: unexpected error {other:?}"),
        }
    }
    // Cuts after the first and after the second block.
    assert_eq!(partial_successes, 2);
}

#[test]
fn invalid_codec_private_is_reported() {
    let spec = OpusTrackSpec {
        codec_private: Some(b"OpusHead".to_vec()),
        ..Default::default()
    };
    let blocks = vec![simple_block(1, 0, &fake_packets(1)[0])];
    let file = webm_file(
        "webm",
        &[tracks(&[opus_track(&spec)]), cluster(0, &blocks, true)],
        true,
    );
    assert_eq!(webm_opus_to_ogg(&file), Err(RemuxError::InvalidOpusHead));
}

#[test]
fn invalid_opus_packets_are_reported() {
    for bad_packet in [vec![], vec![TOC_20MS | 3, 0]] {
        let packets = vec![fake_packets(1)[0].clone(), bad_packet];
        let err = webm_opus_to_ogg(&simple_recording(&packets, true)).unwrap_err();
        assert!(matches!(err, RemuxError::InvalidOpusPacket(_)), "{err:?}");
    }
}

#[test]
fn compressed_tracks_are_rejected() {
    // ContentEncodings > ContentEncoding > ContentCompression.
    let content_encodings = element(0x6D80, &element(0x6240, &element(0x5034, &uint(0x4254, 3))));
    let spec = OpusTrackSpec {
        extra: content_encodings,
        ..Default::default()
    };
    let blocks = vec![simple_block(1, 0, &fake_packets(1)[0])];
    let file = webm_file(
        "webm",
        &[tracks(&[opus_track(&spec)]), cluster(0, &blocks, true)],
        true,
    );
    assert_eq!(webm_opus_to_ogg(&file), Err(RemuxError::EncodedTrack));
}

#[test]
fn error_messages_are_readable() {
    assert_eq!(RemuxError::NotWebm.to_string(), "not a WebM file");
    assert_eq!(RemuxError::Empty.to_string(), "the recording is empty");
    assert_eq!(
        RemuxError::UnsupportedDocType("avi".into()).to_string(),
        "unsupported container type \"avi\" (expected WebM or Matroska)"
    );
    assert_eq!(
        RemuxError::Malformed("invalid block header").to_string(),
        "the WebM file is damaged: invalid block header"
    );
}

#[test]
fn corrupted_files_never_panic() {
    // Deterministic byte flips all over a valid file: every outcome is fine
    // except a panic (e.g. an out-of-bounds slice).
    let packets = fake_packets(6);
    for unknown_sizes in [false, true] {
        let file = simple_recording(&packets, unknown_sizes);
        let mut state = 0x9E37_79B9u32;
        for _ in 0..5000 {
            let mut corrupted = file.clone();
            for _ in 0..3 {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let pos = (state >> 8) as usize % corrupted.len();
                corrupted[pos] = (state >> 24) as u8;
            }
            let _ = webm_opus_to_ogg(&corrupted);
        }
    }
}
