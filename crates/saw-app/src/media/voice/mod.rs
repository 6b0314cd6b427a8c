//! Repackages a browser voice recording (WebM/Matroska with an Opus track, as
//! written by `MediaRecorder`) into an Ogg Opus file, e.g. for WhatsApp voice
//! notes. The Opus packets are copied as they are; nothing is re-encoded.
//!
//! Browsers record WebM/Opus (Chrome, Edge) or Ogg/Opus (Firefox); WhatsApp plays only
//! Ogg/Opus as a voice note, so the agent's recording is repackaged on upload.

mod ebml;
mod error;
mod ogg_writer;
mod opus;
mod webm;

#[cfg(test)]
mod tests;

pub use error::RemuxError;

use ogg_writer::OggWriter;
use opus::{DEFAULT_PRE_SKIP, GRANULE_RATE, OpusHead};
use webm::{OpusStream, OpusTrack};

/// Vendor string written in the OpusTags header.
const VENDOR: &str = "SAW";

/// Serial number of the Ogg stream. The file holds a single stream, so any
/// fixed value works, and a fixed one keeps the output reproducible.
const SERIAL: u32 = 0x5341_5701;

/// Audio pages are closed after about one second of audio, like `opusenc`
/// does, so players can seek without reading huge pages.
const PAGE_SAMPLES: u64 = GRANULE_RATE;

/// Converts a WebM/Matroska recording with an Opus track into an Ogg Opus
/// file, copying the Opus packets without re-encoding.
///
/// Only the first Opus track is used; other tracks (e.g. video) are ignored.
pub fn webm_opus_to_ogg(webm: &[u8]) -> Result<Vec<u8>, RemuxError> {
    let stream = webm::extract_opus(webm)?;
    let head = opus_head(&stream.track)?;
    let durations = stream
        .packets
        .iter()
        .map(|packet| opus::packet_samples(packet))
        .collect::<Result<Vec<u64>, _>>()?;
    let granules = granule_positions(head.pre_skip, &durations, end_trim(&stream, &durations));
    Ok(write_ogg(&head, &stream.packets, &granules))
}

/// The OpusHead: Matroska stores it as the track's CodecPrivate. Without
/// one, a mono/stereo header is built from the track's audio settings.
fn opus_head(track: &OpusTrack<'_>) -> Result<OpusHead, RemuxError> {
    if let Some(codec_private) = track.codec_private {
        return OpusHead::parse(codec_private);
    }
    // Matroska's default channel count is 1.
    let channels = track.channels.unwrap_or(1);
    if !(1..=2).contains(&channels) {
        return Err(RemuxError::UnsupportedChannels(channels));
    }
    // CodecDelay is the same thing as pre-skip, in nanoseconds.
    let pre_skip = match track.codec_delay_ns {
        Some(ns) => u16::try_from(ns_to_samples(ns)).map_err(|_| RemuxError::InvalidOpusHead)?,
        None => DEFAULT_PRE_SKIP,
    };
    // The input rate is informational only; fall back to 48 kHz.
    let input_rate = track
        .sampling_frequency
        .filter(|hz| *hz >= 1.0 && *hz <= f64::from(u32::MAX))
        .map_or(48_000, |hz| hz.round() as u32);
    Ok(OpusHead::build(channels as u8, pre_skip, input_rate))
}

fn ns_to_samples(ns: u64) -> u64 {
    // Rounded to the nearest sample.
    ((u128::from(ns) * u128::from(GRANULE_RATE) + 500_000_000) / 1_000_000_000) as u64
}

/// Samples to cut from the end of the stream, from the last block's
/// DiscardPadding. At most the last packet's duration can be cut, so the
/// final granule position never goes below the one before it.
fn end_trim(stream: &OpusStream<'_>, durations: &[u64]) -> u64 {
    let last = durations.last().copied().unwrap_or(0);
    ns_to_samples(stream.end_padding_ns).min(last)
}

/// Granule position at the end of each packet: pre-skip plus all samples so
/// far (RFC 7845 section 4), with the end trim applied to the last packet.
fn granule_positions(pre_skip: u16, durations: &[u64], end_trim: u64) -> Vec<u64> {
    let mut granule = u64::from(pre_skip);
    let mut granules: Vec<u64> = durations
        .iter()
        .map(|duration| {
            granule += duration;
            granule
        })
        .collect();
    if let Some(last) = granules.last_mut() {
        *last -= end_trim;
    }
    granules
}

/// Writes the Ogg Opus stream. RFC 7845 requires each header packet to be
/// alone on its page; audio pages are closed about every second.
fn write_ogg(head: &OpusHead, packets: &[&[u8]], granules: &[u64]) -> Vec<u8> {
    let mut writer = OggWriter::new(SERIAL);
    writer.add_packet(&head.bytes, 0);
    writer.flush();
    writer.add_packet(&opus::opus_tags(VENDOR), 0);
    writer.flush();

    let mut page_start = u64::from(head.pre_skip);
    let last = packets.len().saturating_sub(1);
    for (i, (packet, &granule)) in packets.iter().zip(granules).enumerate() {
        writer.add_packet(packet, granule);
        if i != last && granule - page_start >= PAGE_SAMPLES {
            writer.flush();
            page_start = granule;
        }
    }
    // The page with the last packet carries the end-of-stream flag.
    writer.finish()
}
