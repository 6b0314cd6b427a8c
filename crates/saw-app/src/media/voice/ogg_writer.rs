//! A minimal Ogg page writer (RFC 3533) for a single logical stream.

/// Header type flags of an Ogg page.
const CONTINUED: u8 = 0x01;
const BEGIN_OF_STREAM: u8 = 0x02;
const END_OF_STREAM: u8 = 0x04;

/// A page holds at most 255 lacing values.
const MAX_SEGMENTS: usize = 255;

/// Granule position of a page on which no packet ends.
const NO_GRANULE: u64 = u64::MAX;

/// CRC-32 lookup table for the Ogg checksum: polynomial 0x04C11DB7, not
/// reflected, initial value 0, no final XOR (unlike the zlib CRC-32).
const CRC_TABLE: [u32; 256] = crc_table();

const fn crc_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u32) << 24;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04C1_1DB7
            } else {
                crc << 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
}

pub(crate) fn ogg_crc(data: &[u8]) -> u32 {
    data.iter().fold(0u32, |crc, &byte| {
        (crc << 8) ^ CRC_TABLE[usize::from((crc >> 24) as u8 ^ byte)]
    })
}

/// Packs packets into the pages of one logical stream.
///
/// Packets are added with [`add_packet`](Self::add_packet) and go on the
/// current page until [`flush`](Self::flush) writes it; a packet that does
/// not fit in the 255 lacing values left is continued on the next page.
pub(crate) struct OggWriter {
    out: Vec<u8>,
    serial: u32,
    sequence: u32,
    segments: Vec<u8>,
    body: Vec<u8>,
    /// Granule position of the last packet that ends on the current page.
    granule: u64,
    /// The current page starts with the rest of a packet from the last one.
    continued: bool,
}

impl OggWriter {
    pub fn new(serial: u32) -> Self {
        OggWriter {
            out: Vec::new(),
            serial,
            sequence: 0,
            segments: Vec::with_capacity(MAX_SEGMENTS),
            body: Vec::new(),
            granule: NO_GRANULE,
            continued: false,
        }
    }

    /// Adds a packet; `granule` is the stream's granule position at its end.
    pub fn add_packet(&mut self, packet: &[u8], granule: u64) {
        let mut rest = packet;
        loop {
            // Lacing: a packet is cut into 255-byte segments and ends with
            // the first segment shorter than 255 bytes, which may be empty.
            while self.segments.len() < MAX_SEGMENTS {
                let len = rest.len().min(255);
                self.segments.push(len as u8);
                self.body.extend_from_slice(&rest[..len]);
                rest = &rest[len..];
                if len < 255 {
                    self.granule = granule;
                    return;
                }
            }
            // The page is full: the packet goes on on the next page.
            self.write_page(0);
            self.continued = true;
        }
    }

    /// Writes the current page, if it has anything on it.
    pub fn flush(&mut self) {
        if !self.segments.is_empty() {
            self.write_page(0);
        }
    }

    /// Writes the current page as the last one of the stream and returns the
    /// whole stream.
    pub fn finish(mut self) -> Vec<u8> {
        self.write_page(END_OF_STREAM);
        self.out
    }

    fn write_page(&mut self, flags: u8) {
        let mut header_type = flags;
        if self.continued {
            header_type |= CONTINUED;
        }
        if self.sequence == 0 {
            header_type |= BEGIN_OF_STREAM;
        }

        let start = self.out.len();
        self.out.extend_from_slice(b"OggS");
        self.out.push(0); // stream structure version
        self.out.push(header_type);
        self.out.extend_from_slice(&self.granule.to_le_bytes());
        self.out.extend_from_slice(&self.serial.to_le_bytes());
        self.out.extend_from_slice(&self.sequence.to_le_bytes());
        let crc_pos = self.out.len();
        self.out.extend_from_slice(&[0; 4]); // CRC, computed with zeros here
        self.out.push(self.segments.len() as u8);
        self.out.extend_from_slice(&self.segments);
        self.out.extend_from_slice(&self.body);
        let crc = ogg_crc(&self.out[start..]);
        self.out[crc_pos..crc_pos + 4].copy_from_slice(&crc.to_le_bytes());

        self.sequence += 1;
        self.segments.clear();
        self.body.clear();
        self.granule = NO_GRANULE;
        self.continued = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn crc_matches_the_reference_check_value() {
        // CRC-32/CKSUM's check value is 0x765E7680; it differs from the Ogg
        // CRC only by the final XOR with 0xFFFFFFFF.
        assert_eq!(ogg_crc(b"123456789"), 0x765E_7680 ^ 0xFFFF_FFFF);
    }

    /// Reads the stream back with the `ogg` crate, which checks every CRC.
    fn read_back(stream: &[u8]) -> Vec<(Vec<u8>, u64, bool)> {
        let mut reader = ogg::PacketReader::new(Cursor::new(stream));
        let mut packets = Vec::new();
        while let Some(packet) = reader.read_packet().expect("valid Ogg") {
            let granule = packet.absgp_page();
            let last_in_page = packet.last_in_page();
            packets.push((packet.data, granule, last_in_page));
        }
        packets
    }

    #[test]
    fn packets_of_every_awkward_size_survive() {
        // Exact multiples of 255 need an extra empty lacing value; large
        // packets span several pages.
        let sizes = [
            0,
            1,
            254,
            255,
            256,
            510,
            255 * 255,
            255 * 255 + 1,
            70_000,
            3,
        ];
        let packets: Vec<Vec<u8>> = sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| (0..n).map(|b| (b * 7 + i) as u8).collect())
            .collect();

        let mut writer = OggWriter::new(42);
        for (i, packet) in packets.iter().enumerate() {
            writer.add_packet(packet, i as u64 + 1);
        }
        let stream = writer.finish();

        let read = read_back(&stream);
        assert_eq!(read.len(), packets.len());
        for (i, (data, granule, last_in_page)) in read.iter().enumerate() {
            assert_eq!(data, &packets[i], "packet {i}");
            if *last_in_page {
                assert_eq!(
                    *granule,
                    i as u64 + 1,
                    "granule of the page ending with packet {i}"
                );
            }
        }
    }

    #[test]
    fn page_flags_and_sequence_numbers() {
        let mut writer = OggWriter::new(7);
        writer.add_packet(b"first", 0);
        writer.flush();
        writer.flush(); // no empty page
        writer.add_packet(&[1; 300 * 255], 5); // needs two pages
        let stream = writer.finish();

        // Walk the pages by hand: header type at 5, sequence at 18.
        let mut pos = 0;
        let mut pages = Vec::new();
        while pos < stream.len() {
            assert_eq!(&stream[pos..pos + 4], b"OggS");
            let segments = usize::from(stream[pos + 26]);
            let body: usize = stream[pos + 27..pos + 27 + segments]
                .iter()
                .map(|&s| usize::from(s))
                .sum();
            let header_type = stream[pos + 5];
            let granule = u64::from_le_bytes(stream[pos + 6..pos + 14].try_into().unwrap());
            let sequence = u32::from_le_bytes(stream[pos + 18..pos + 22].try_into().unwrap());
            pages.push((header_type, granule, sequence));
            pos += 27 + segments + body;
        }
        assert_eq!(
            pages,
            vec![
                (BEGIN_OF_STREAM, 0, 0),
                (0, NO_GRANULE, 1),
                (CONTINUED | END_OF_STREAM, 5, 2),
            ]
        );
    }
}
