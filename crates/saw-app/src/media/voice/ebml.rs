//! A minimal EBML reader: just enough to walk a WebM/Matroska file.
//!
//! Every function works on the whole file buffer plus a `limit`, the offset
//! where the enclosing element ends. Running past `limit` means one of two
//! things: if `limit` is the end of the file the file is cut off, otherwise an
//! element claims to be larger than its parent, i.e. the file is damaged.

use super::RemuxError;

/// Longest element ID allowed by the Matroska profile (`EBMLMaxIDLength`).
const MAX_ID_LEN: usize = 4;
/// Longest size field allowed by the Matroska profile (`EBMLMaxSizeLength`).
const MAX_SIZE_LEN: usize = 8;

/// Why a variable-length integer could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VintError {
    /// The data ends before the integer does.
    Short,
    /// The length marker is missing or longer than allowed.
    Invalid,
}

/// Number of bytes of a variable-length integer, from its first byte.
fn vint_len(first: u8) -> usize {
    first.leading_zeros() as usize + 1
}

/// Decodes the variable-length integer at the start of `data`.
///
/// Returns the value with the length marker removed and the number of bytes
/// used. Matroska uses this encoding for element sizes, block track numbers
/// and EBML lace sizes.
pub(crate) fn decode_vint(data: &[u8], max_len: usize) -> Result<(u64, usize), VintError> {
    let &first = data.first().ok_or(VintError::Short)?;
    let len = vint_len(first);
    if first == 0 || len > max_len {
        return Err(VintError::Invalid);
    }
    let bytes = data.get(..len).ok_or(VintError::Short)?;
    // Drop the marker bit from the first byte, then append the rest.
    let first_value = u64::from(first) & (0xFF >> len);
    let value = bytes[1..]
        .iter()
        .fold(first_value, |acc, &b| (acc << 8) | u64::from(b));
    Ok((value, len))
}

/// True when a size field has all its value bits set, which EBML defines as
/// "unknown size". Live writers such as Chrome's MediaRecorder use it for the
/// Segment and for each Cluster because they cannot seek back to patch sizes.
fn is_unknown_size(value: u64, len: usize) -> bool {
    value == (1u64 << (7 * len)) - 1
}

/// The error for reading past `limit`.
pub(crate) fn overrun(limit: usize, file_len: usize) -> RemuxError {
    if limit >= file_len {
        RemuxError::Truncated
    } else {
        RemuxError::Malformed("an element is larger than its parent")
    }
}

fn vint_error(err: VintError, limit: usize, file_len: usize) -> RemuxError {
    match err {
        VintError::Short => overrun(limit, file_len),
        VintError::Invalid => RemuxError::Malformed("invalid element header"),
    }
}

/// The header of one EBML element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Element {
    /// The ID, with its length marker kept, as IDs are usually written.
    pub id: u32,
    /// Offset of the first byte after the header.
    pub data_start: usize,
    /// Offset just past the data, or `None` for an unknown-size element.
    pub end: Option<usize>,
}

impl Element {
    /// End of an element that must have a known size.
    pub fn known_end(&self) -> Result<usize, RemuxError> {
        self.end
            .ok_or(RemuxError::Malformed("unexpected element of unknown size"))
    }

    /// The data of an element that must have a known size.
    pub fn data<'a>(&self, file: &'a [u8]) -> Result<&'a [u8], RemuxError> {
        Ok(&file[self.data_start..self.known_end()?])
    }
}

/// Reads the element header at `pos`. For a known-size element, also checks
/// that its data fits before `limit`.
pub(crate) fn read_element(file: &[u8], pos: usize, limit: usize) -> Result<Element, RemuxError> {
    let window = &file[pos..limit];

    let &first = window.first().ok_or_else(|| overrun(limit, file.len()))?;
    let id_len = vint_len(first);
    if first == 0 || id_len > MAX_ID_LEN {
        return Err(RemuxError::Malformed("invalid element ID"));
    }
    let id_bytes = window
        .get(..id_len)
        .ok_or_else(|| overrun(limit, file.len()))?;
    let id = id_bytes
        .iter()
        .fold(0u32, |acc, &b| (acc << 8) | u32::from(b));

    let (size, size_len) = decode_vint(&window[id_len..], MAX_SIZE_LEN)
        .map_err(|e| vint_error(e, limit, file.len()))?;
    let data_start = pos + id_len + size_len;

    let end = if is_unknown_size(size, size_len) {
        None
    } else {
        let end = usize::try_from(size)
            .ok()
            .and_then(|size| data_start.checked_add(size))
            .filter(|&end| end <= limit)
            .ok_or_else(|| overrun(limit, file.len()))?;
        Some(end)
    };
    Ok(Element {
        id,
        data_start,
        end,
    })
}

/// Iterates over the children of a known-size element (or any byte range
/// that contains only whole elements).
pub(crate) struct Children<'a> {
    file: &'a [u8],
    pos: usize,
    end: usize,
}

impl<'a> Children<'a> {
    pub fn of(file: &'a [u8], parent: &Element) -> Result<Self, RemuxError> {
        Ok(Children {
            file,
            pos: parent.data_start,
            end: parent.known_end()?,
        })
    }
}

impl Iterator for Children<'_> {
    /// A child element, which always has a known size.
    type Item = Result<Element, RemuxError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.end {
            return None;
        }
        let child = read_element(self.file, self.pos, self.end).and_then(|child| {
            self.pos = child.known_end()?;
            Ok(child)
        });
        if child.is_err() {
            self.pos = self.end; // stop after the first error
        }
        Some(child)
    }
}

/// Reads an unsigned integer element (0 to 8 bytes, big-endian).
pub(crate) fn read_uint(data: &[u8]) -> Result<u64, RemuxError> {
    if data.len() > 8 {
        return Err(RemuxError::Malformed("integer element longer than 8 bytes"));
    }
    Ok(data.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
}

/// Reads a signed integer element (0 to 8 bytes, big-endian two's complement).
pub(crate) fn read_int(data: &[u8]) -> Result<i64, RemuxError> {
    let unsigned = read_uint(data)?;
    if data.is_empty() {
        return Ok(0);
    }
    // Sign-extend from the element's width to 64 bits.
    let shift = 64 - 8 * data.len() as u32;
    Ok(((unsigned << shift) as i64) >> shift)
}

/// Reads a float element (0, 4 or 8 bytes).
pub(crate) fn read_float(data: &[u8]) -> Result<f64, RemuxError> {
    match data.len() {
        0 => Ok(0.0),
        4 => Ok(f64::from(f32::from_be_bytes(data.try_into().unwrap()))),
        8 => Ok(f64::from_be_bytes(data.try_into().unwrap())),
        _ => Err(RemuxError::Malformed("float element must be 4 or 8 bytes")),
    }
}

/// The bytes of a string element, without the NUL padding EBML allows.
pub(crate) fn trim_string(data: &[u8]) -> &[u8] {
    let len = data.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    &data[..len]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_vints_of_each_length() {
        assert_eq!(decode_vint(&[0x81], 8), Ok((1, 1)));
        assert_eq!(decode_vint(&[0x40, 0x02], 8), Ok((2, 2)));
        assert_eq!(decode_vint(&[0x20, 0x00, 0x03], 8), Ok((3, 3)));
        assert_eq!(
            decode_vint(&[0x01, 0, 0, 0, 0, 0, 0x01, 0x00], 8),
            Ok((256, 8))
        );
        assert_eq!(decode_vint(&[0x40], 8), Err(VintError::Short));
        assert_eq!(decode_vint(&[], 8), Err(VintError::Short));
        assert_eq!(decode_vint(&[0x00, 0xFF], 8), Err(VintError::Invalid));
        assert_eq!(decode_vint(&[0x08, 0, 0, 0, 0], 4), Err(VintError::Invalid));
    }

    #[test]
    fn recognises_unknown_sizes_of_any_length() {
        assert!(is_unknown_size(0x7F, 1));
        assert!(is_unknown_size(0x3FFF, 2));
        assert!(is_unknown_size(0x00FF_FFFF_FFFF_FFFF, 8));
        assert!(!is_unknown_size(0x7E, 1));
        assert!(!is_unknown_size(0x7F, 2));
    }

    #[test]
    fn reads_known_and_unknown_size_headers() {
        // Cluster ID, 1-byte size 2, two data bytes.
        let file = [0x1F, 0x43, 0xB6, 0x75, 0x82, 0xAA, 0xBB];
        let el = read_element(&file, 0, file.len()).unwrap();
        assert_eq!(
            el,
            Element {
                id: 0x1F43_B675,
                data_start: 5,
                end: Some(7)
            }
        );

        let file = [
            0x1F, 0x43, 0xB6, 0x75, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        ];
        let el = read_element(&file, 0, file.len()).unwrap();
        assert_eq!(
            el,
            Element {
                id: 0x1F43_B675,
                data_start: 12,
                end: None
            }
        );
    }

    #[test]
    fn reports_cut_off_and_oversized_elements() {
        let file = [0xE7, 0x84, 0x00, 0x00];
        assert_eq!(read_element(&file, 0, 4), Err(RemuxError::Truncated));
        // The same element inside a parent that ends at offset 4 of a longer file.
        let file = [0xE7, 0x84, 0x00, 0x00, 0x00, 0x00];
        assert!(matches!(
            read_element(&file, 0, 4),
            Err(RemuxError::Malformed(_))
        ));
        // Header itself cut off.
        assert_eq!(
            read_element(&[0x1A, 0x45], 0, 2),
            Err(RemuxError::Truncated)
        );
        assert_eq!(
            read_element(&[0xE7, 0x40], 0, 2),
            Err(RemuxError::Truncated)
        );
    }

    #[test]
    fn reads_numbers_and_strings() {
        assert_eq!(read_uint(&[]), Ok(0));
        assert_eq!(read_uint(&[0x01, 0x00]), Ok(256));
        assert_eq!(read_int(&[0xFF]), Ok(-1));
        assert_eq!(read_int(&[0xFF, 0x38]), Ok(-200));
        assert_eq!(read_int(&[0x7F]), Ok(127));
        assert_eq!(read_float(&48000.0f32.to_be_bytes()), Ok(48000.0));
        assert_eq!(read_float(&44100.0f64.to_be_bytes()), Ok(44100.0));
        assert!(read_float(&[0, 0]).is_err());
        assert_eq!(trim_string(b"webm\0\0"), b"webm");
        assert_eq!(trim_string(b"\0"), b"");
    }
}
