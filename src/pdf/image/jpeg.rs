//! JPEG scans: headers only (ITU-T T.81 Annex B; JFIF 1.02; Exif 2.3 §4.6.4; Adobe TN 5116 for
//! APP14). Walks the marker segments up to the first scan for the size, components, precision and
//! density, and checks that the file ends with an end-of-image marker.
//!
//! Owns: what a JPEG is (its frame header, JFIF and EXIF density, Adobe's inverted CMYK).
//!
//! Never: decodes or re-encodes the image (its bytes go into the PDF unchanged); reads past a
//! segment's stated length; allocates for what a header claims.

use super::exif::exif_dpi;
use super::writer::Space;
use super::{Colour, ImageError, ImageFormat, ScanInfo, check_size, dpi};

pub(super) struct JpegHeader {
    pub(super) width: u32,
    pub(super) height: u32,
    pub(super) components: u8,
    pub(super) precision: u8,
    /// An Adobe APP14 marker: its CMYK data is stored inverted.
    pub(super) adobe: bool,
    pub(super) dpi: Option<(f32, f32)>,
}

impl JpegHeader {
    pub(super) fn space(&self) -> Result<Space, ImageError> {
        match self.components {
            1 => Ok(Space::Gray),
            3 => Ok(Space::Rgb),
            4 => Ok(Space::Cmyk),
            n => Err(ImageError::Unsupported {
                format: ImageFormat::Jpeg,
                detail: format!("{n} colour components"),
            }),
        }
    }
}

fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(
        bytes.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

/// Walks the marker segments up to the first scan: the frame header (SOF) for size, components
/// and precision, JFIF and EXIF for density, APP14 for Adobe's inverted CMYK. Then checks that an
/// end-of-image marker follows, so a truncated file is refused rather than embedded.
pub(super) fn jpeg_header(bytes: &[u8]) -> Result<JpegHeader, ImageError> {
    let corrupt = |detail: &str| ImageError::Corrupt {
        format: ImageFormat::Jpeg,
        detail: detail.into(),
    };
    let mut pos = 2;
    let mut jfif: Option<Option<(f32, f32)>> = None;
    let mut exif = None;
    let mut adobe = false;
    let mut frame: Option<(u8, u32, u32, u8)> = None;
    loop {
        if bytes.get(pos) != Some(&0xFF) {
            return Err(corrupt(if pos >= bytes.len() {
                "truncated before the image data"
            } else {
                "a marker was expected"
            }));
        }
        while bytes.get(pos) == Some(&0xFF) {
            pos += 1; // fill bytes
        }
        let marker = *bytes
            .get(pos)
            .ok_or_else(|| corrupt("truncated before the image data"))?;
        pos += 1;
        match marker {
            0x01 | 0xD0..=0xD8 => continue, // no length
            0xD9 => return Err(corrupt("the image ends before any image data")),
            _ => {}
        }
        let len = usize::from(be16(bytes, pos).ok_or_else(|| corrupt("truncated segment"))?);
        if len < 2 {
            return Err(corrupt("a segment length is below 2"));
        }
        let segment = bytes
            .get(pos + 2..pos + len)
            .ok_or_else(|| corrupt("truncated segment"))?;
        let next = pos + len;
        match marker {
            0xE0 if segment.starts_with(b"JFIF\0") && segment.len() >= 12 => {
                let (x, y) = (be16(segment, 8), be16(segment, 10));
                let (x, y) = (f64::from(x.unwrap_or(0)), f64::from(y.unwrap_or(0)));
                jfif = Some(match segment[7] {
                    1 => dpi(x, y, 1.0),
                    2 => dpi(x, y, 2.54),
                    _ => None, // 0: an aspect ratio only
                });
            }
            0xE1 if segment.starts_with(b"Exif\0\0") => exif = exif_dpi(&segment[6..]),
            0xEE if segment.starts_with(b"Adobe") => adobe = true,
            0xC0..=0xC2 => {
                if segment.len() < 6 {
                    return Err(corrupt("the frame header is too short"));
                }
                let precision = segment[0];
                let height = u32::from(be16(segment, 1).unwrap_or(0));
                let width = u32::from(be16(segment, 3).unwrap_or(0));
                let components = segment[5];
                if segment.len() < 6 + 3 * usize::from(components) {
                    return Err(corrupt("the frame header is too short"));
                }
                if height == 0 {
                    return Err(ImageError::Unsupported {
                        format: ImageFormat::Jpeg,
                        detail: "the height is given after the first scan (DNL marker)".into(),
                    });
                }
                frame = Some((precision, width, height, components));
            }
            0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                return Err(ImageError::Unsupported {
                    format: ImageFormat::Jpeg,
                    detail: format!(
                        "lossless, hierarchical or arithmetic-coded JPEG (marker SOF{})",
                        marker - 0xC0
                    ),
                });
            }
            0xDA => {
                let (precision, width, height, components) =
                    frame.ok_or_else(|| corrupt("image data comes before the frame header"))?;
                // Entropy-coded data cannot hold FF D9 (an FF byte there is followed by 00 or a
                // restart marker), so any FF D9 after the scan header is the end of the image.
                let rest = bytes.get(next..).unwrap_or_default();
                if !rest.windows(2).rev().any(|w| w == [0xFF, 0xD9]) {
                    return Err(corrupt("truncated: no end-of-image marker"));
                }
                return Ok(JpegHeader {
                    width,
                    height,
                    components,
                    precision,
                    adobe,
                    // JFIF density when it is in physical units, else EXIF's.
                    dpi: jfif.flatten().or(exif),
                });
            }
            _ => {}
        }
        pos = next;
    }
}

pub(super) fn inspect_jpeg(bytes: &[u8]) -> Result<ScanInfo, ImageError> {
    let header = jpeg_header(bytes)?;
    check_size(ImageFormat::Jpeg, header.width, header.height)?;
    Ok(ScanInfo {
        format: ImageFormat::Jpeg,
        width: header.width,
        height: header.height,
        dpi: header.dpi,
        colour: match header.space()? {
            Space::Gray => Colour::Gray,
            Space::Cmyk => Colour::Cmyk,
            _ => Colour::Rgb,
        },
        bits_per_component: header.precision,
        pages: 1,
        largest_pixels: u64::from(header.width) * u64::from(header.height),
    })
}
