//! Scans to PDF: turns the scanned originals an officer hands in (JPEG, PNG or TIFF) into the PDF
//! that becomes the certified electronic copy (bản sao điện tử, "sao y"), one page per image, and
//! tells what a scan is (size, resolution, colour) so that callers can refuse a scan under 200 dpi
//! or not in colour.
//!
//! Owns: recognising the format, reading image headers, decoding PNG and TIFF, writing the image
//! PDF (PDF 1.7, plain cross-reference table, deterministic). Stamping and signing the copy happen
//! elsewhere, on the PDF returned here.
//!
//! Never: does I/O; re-encodes a JPEG (its bytes go into the PDF unchanged, as /DCTDecode, so the
//! copy loses nothing the scanner produced); allocates for a size a header claims before checking
//! it against the budgets below; panics on hostile bytes.

use std::fmt;
use std::io::{Cursor, Write};

use flate2::{Compression, write::ZlibEncoder};
use sha2::{Digest, Sha256};
use tiff::decoder::{Decoder as TiffDecoder, DecodingResult};
use tiff::tags::Tag;

/// Pixels per image at most. An A0 sheet scanned at 300 dpi is 140 megapixels, more than any
/// counter scanner produces; 200 megapixels bounds the decoded buffer to 800 MB of 8-bit RGBA.
pub const MAX_PIXELS: u64 = 200_000_000;
/// Bytes of decoded samples per image at most (a 200-megapixel 16-bit RGB TIFF is refused).
pub const MAX_DECODED_BYTES: u64 = 1 << 30;
/// Pages per PDF at most: a dossier's scans with ample room; it bounds the work that a TIFF of
/// many tiny pages can cause.
pub const MAX_PAGES: usize = 1000;
/// Pixels per PDF at most, all pages together: about 460 A4 pages scanned at 300 dpi.
pub const MAX_TOTAL_PIXELS: u64 = 4_000_000_000;
/// The resolution assumed for a scan that states none (no JFIF/EXIF density, no PNG pHYs, no
/// TIFF resolution, or one in unknown units): 200 dpi, the lowest the counters accept, so such a
/// page is never drawn smaller than a compliant scan of the same pixels would be.
pub const ASSUMED_DPI: f32 = 200.0;
/// Page sides are kept within 3 and 14 400 default user-space units (ISO 32000-1 Annex C.2; the
/// same bounds apply in PDF/A-2): an absurd resolution changes the page size, never the pixels.
const MIN_PAGE_SIDE: f64 = 3.0;
const MAX_PAGE_SIDE: f64 = 14_400.0;
/// Pixels split and compressed per step when an alpha channel is moved to a soft mask.
const CHUNK_PIXELS: usize = 16 * 1024;

/// A horizontal and vertical resolution in dots per inch.
type Dpi = (f32, f32);

/// An accepted image format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageFormat {
    /// JPEG (JFIF or EXIF), embedded as is.
    Jpeg,
    /// PNG, decoded and re-compressed.
    Png,
    /// TIFF (also multi-page), decoded and re-compressed.
    Tiff,
}

impl fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ImageFormat::Jpeg => "JPEG",
            ImageFormat::Png => "PNG",
            ImageFormat::Tiff => "TIFF",
        })
    }
}

/// The colour model of a scan, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Colour {
    /// Grayscale or bilevel (black and white), with or without alpha.
    Gray,
    /// RGB (a JPEG's YCbCr and a TIFF's YCbCr count as RGB), with or without alpha.
    Rgb,
    /// CMYK.
    Cmyk,
    /// Palette (indexed) colour: the palette itself may hold only grays.
    Indexed,
}

/// What a scan is, read from its headers.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanInfo {
    /// The file's format.
    pub format: ImageFormat,
    /// Width in pixels (of the first page, for a TIFF).
    pub width: u32,
    /// Height in pixels (of the first page, for a TIFF).
    pub height: u32,
    /// Horizontal and vertical resolution in dots per inch, rounded to 0.01 (so that 11 811 pixels
    /// per metre reads as 300 dpi), or `None` when the file states none in physical units.
    pub dpi: Option<(f32, f32)>,
    /// Colour model.
    pub colour: Colour,
    /// Bits per colour component as stored (1 for bilevel, 16 for a 16-bit PNG, the index size
    /// for a palette image).
    pub bits_per_component: u8,
    /// Pages (images in the TIFF's main chain of directories; 1 for JPEG and PNG).
    pub pages: u32,
    /// Pixels of the largest page (of a TIFF; the image's for JPEG and PNG).
    pub largest_pixels: u64,
}

/// The most memory [`images_to_pdf`] takes for `bytes`, beyond the bytes themselves: the
/// largest page's decoded samples (16 bits each at most, and an alpha channel) and their
/// compressed copy, plus the PDF (about the input's size for a JPEG). A file that cannot be
/// inspected costs nothing: the conversion refuses it before decoding.
pub fn working_set(bytes: &[u8]) -> u64 {
    match inspect(bytes) {
        Ok(info) => {
            let channels: u64 = match info.colour {
                Colour::Gray | Colour::Indexed => 2,
                Colour::Rgb => 4,
                Colour::Cmyk => 5,
            };
            let sample_bytes = u64::from(info.bits_per_component.div_ceil(8).max(1));
            let decoded = info.largest_pixels * channels * sample_bytes;
            2 * decoded + 2 * bytes.len() as u64
        }
        Err(_) => 0,
    }
}

/// Why a scan cannot be inspected or turned into a PDF.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    /// `images_to_pdf` was given no image.
    #[error("no image was given")]
    NoImages,
    /// Not JPEG, PNG or TIFF; names the format when it is recognised (GIF, PDF, ...).
    #[error("unsupported image format: {0}; scans must be JPEG, PNG or TIFF")]
    UnsupportedFormat(&'static str),
    /// The bytes do not follow the format (truncated, bad checksum, broken header, ...).
    #[error("corrupt {format} image: {detail}")]
    Corrupt {
        /// The format the file claims.
        format: ImageFormat,
        /// What is wrong.
        detail: String,
    },
    /// More pixels or decoded bytes than the budgets allow ([`MAX_PIXELS`],
    /// [`MAX_DECODED_BYTES`]); refused before allocating.
    #[error("the {format} image is too large: {detail}")]
    TooLarge {
        /// The format.
        format: ImageFormat,
        /// The size found and the limit.
        detail: String,
    },
    /// A bit depth the conversion does not handle (12-bit JPEG, 32-bit TIFF, ...).
    #[error("unsupported bit depth in the {format} image: {bits} bits per component")]
    UnsupportedBitDepth {
        /// The format.
        format: ImageFormat,
        /// Bits per component found.
        bits: u16,
    },
    /// A valid image using a feature the conversion does not handle (arithmetic-coded JPEG,
    /// JPEG-compressed or palette TIFF, CIELab, ...).
    #[error("unsupported {format} image: {detail}")]
    Unsupported {
        /// The format.
        format: ImageFormat,
        /// The feature.
        detail: String,
    },
    /// More than [`MAX_PAGES`] pages in all.
    #[error("more than {max} pages")]
    TooManyPages {
        /// [`MAX_PAGES`].
        max: usize,
    },
    /// More than [`MAX_TOTAL_PIXELS`] pixels in all.
    #[error("more than {max} pixels in all the images together")]
    TooManyPixels {
        /// [`MAX_TOTAL_PIXELS`].
        max: u64,
    },
    /// The compressor failed (it writes to memory: only out of memory can cause it).
    #[error("could not compress the image: {0}")]
    Compression(String),
    /// One image of the list given to `images_to_pdf` failed; `index` counts from 0.
    #[error("image {} of the list: {error}", index + 1)]
    InImage {
        /// Position in the list, from 0.
        index: usize,
        /// What is wrong with it.
        error: Box<ImageError>,
    },
}

impl ImageError {
    /// The error itself, unwrapped from [`ImageError::InImage`].
    pub fn innermost(&self) -> &ImageError {
        match self {
            ImageError::InImage { error, .. } => error.innermost(),
            other => other,
        }
    }
}

/// Reads the headers (no decoding of pixel data, except the walk over a TIFF's directories to
/// count its pages): size, resolution, colour. Applies the per-image size budget, so an `Ok`
/// promises the image is not refused as too large; it does not promise that the pixel data is
/// intact (a PNG's compressed data is only read by [`images_to_pdf`]).
pub fn inspect(bytes: &[u8]) -> Result<ScanInfo, ImageError> {
    match sniff(bytes)? {
        ImageFormat::Jpeg => inspect_jpeg(bytes),
        ImageFormat::Png => inspect_png(bytes),
        ImageFormat::Tiff => inspect_tiff(bytes),
    }
}

/// Makes one PDF of the images, one page per image (per page of a TIFF), in order.
///
/// Each page is as large as the scanned paper: pixels / dpi × 72 points, the resolution assumed
/// to be [`ASSUMED_DPI`] (200 dpi) when the file states none; the image fills the page.
///
/// - JPEG: embedded byte for byte with /DCTDecode as /DeviceGray, /DeviceRGB or /DeviceCMYK; an
///   Adobe (APP14) CMYK JPEG, stored inverted, gets /Decode [1 0 1 0 1 0 1 0]. Baseline,
///   extended and progressive Huffman-coded 8-bit JPEGs only. An EXIF orientation is not applied.
/// - PNG and TIFF: decoded and re-compressed with /FlateDecode; 16-bit samples reduced to 8 bits;
///   a PNG palette kept as /Indexed (or expanded, with transparency); an alpha channel or PNG
///   transparency moved to an /SMask (dropped when fully opaque; a TIFF's premultiplied alpha gets
///   /Matte). TIFF: uncompressed, LZW, Deflate, PackBits and CCITT Group 4, any number of pages;
///   not JPEG-compressed, Group 3, palette, YCbCr or CIELab TIFFs. Embedded ICC profiles are not
///   carried over.
///
/// The PDF is 1.7 with a plain cross-reference table and a binary comment, has an /ID from the
/// SHA-256 of the input and no dates, so the same images always give the same bytes. No
/// transparency group is used; an /SMask is allowed in PDF/A-2. It is not PDF/A-2b as it stands:
/// that also needs an output intent (ICC profile) and XMP metadata, for whoever finishes the copy.
///
/// Memory: one image is decoded at a time; besides the PDF being built, at most its decoded
/// samples and their compressed form are held.
pub fn images_to_pdf(images: &[&[u8]]) -> Result<Vec<u8>, ImageError> {
    if images.is_empty() {
        return Err(ImageError::NoImages);
    }
    let mut pdf = PdfWriter::new();
    let mut budget = Budget::default();
    for (index, bytes) in images.iter().enumerate() {
        add_image(&mut pdf, &mut budget, bytes).map_err(|error| ImageError::InImage {
            index,
            error: Box::new(error),
        })?;
    }
    Ok(pdf.finish(&document_id(images)))
}

/// Adds a PNG (an agency's seal or a handwritten signature, transparency kept) to `doc` as an
/// image XObject, its alpha as an /SMask; returns the image's object id, width and height in
/// pixels. The same decoding, budgets and errors as [`images_to_pdf`]; only PNG is accepted.
pub fn png_xobject(
    doc: &mut lopdf::Document,
    png: &[u8],
) -> Result<(lopdf::ObjectId, u32, u32), ImageError> {
    use lopdf::{Dictionary, Object, Stream};
    match sniff(png)? {
        ImageFormat::Png => {}
        other => {
            return Err(ImageError::Unsupported {
                format: other,
                detail: "only a PNG is accepted here".into(),
            });
        }
    }
    let Raster {
        width,
        height,
        space,
        bits,
        data,
        mask,
        ..
    } = png_raster(png)?;
    let image_dict = |space: Object, bits: u8| {
        let mut dict = Dictionary::new();
        dict.set("Type", Object::Name(b"XObject".to_vec()));
        dict.set("Subtype", Object::Name(b"Image".to_vec()));
        dict.set("Width", i64::from(width));
        dict.set("Height", i64::from(height));
        dict.set("ColorSpace", space);
        dict.set("BitsPerComponent", i64::from(bits));
        dict.set("Filter", Object::Name(b"FlateDecode".to_vec()));
        dict
    };
    let mut dict = image_dict(space.lopdf(), bits);
    if let Some(mask) = mask {
        let mask_dict = image_dict(Object::Name(b"DeviceGray".to_vec()), 8);
        let id = doc.add_object(Stream::new(mask_dict, mask).with_compression(false));
        dict.set("SMask", Object::Reference(id));
    }
    let id = doc.add_object(Stream::new(dict, data).with_compression(false));
    Ok((id, width, height))
}

// ---------------------------------------------------------------------------------------------
// Formats and budgets

fn sniff(bytes: &[u8]) -> Result<ImageFormat, ImageError> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok(ImageFormat::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok(ImageFormat::Png)
    } else if [b"II*\0", b"MM\0*", b"II+\0", b"MM\0+"]
        .iter()
        .any(|magic| bytes.starts_with(*magic))
    {
        Ok(ImageFormat::Tiff)
    } else {
        Err(ImageError::UnsupportedFormat(format_name(bytes)))
    }
}

/// A name for a format that is not accepted, for the error message.
fn format_name(bytes: &[u8]) -> &'static str {
    if bytes.is_empty() {
        "an empty file"
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        "GIF"
    } else if bytes.starts_with(b"%PDF-") {
        "PDF (already a PDF, not an image)"
    } else if bytes.starts_with(b"BM") {
        "BMP"
    } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        "WebP"
    } else if bytes.get(4..8) == Some(b"ftyp") {
        "HEIF/AVIF"
    } else if bytes.starts_with(&[0xFF, 0xD8]) {
        "a JPEG without a marker after its start"
    } else {
        "not recognised"
    }
}

fn check_size(format: ImageFormat, width: u32, height: u32) -> Result<(), ImageError> {
    if width == 0 || height == 0 {
        return Err(ImageError::Corrupt {
            format,
            detail: format!("the image is {width} x {height} pixels"),
        });
    }
    let pixels = u64::from(width) * u64::from(height);
    if pixels > MAX_PIXELS {
        return Err(ImageError::TooLarge {
            format,
            detail: format!("{width} x {height} pixels, more than the {MAX_PIXELS} allowed"),
        });
    }
    Ok(())
}

fn check_decoded_bytes(format: ImageFormat, bytes: u64) -> Result<(), ImageError> {
    if bytes > MAX_DECODED_BYTES {
        return Err(ImageError::TooLarge {
            format,
            detail: format!("{bytes} bytes decoded, more than the {MAX_DECODED_BYTES} allowed"),
        });
    }
    Ok(())
}

/// A zeroed buffer, or an error instead of an abort when memory is short.
fn zeroed(format: ImageFormat, len: usize) -> Result<Vec<u8>, ImageError> {
    check_decoded_bytes(format, len as u64)?;
    let mut buf = Vec::new();
    buf.try_reserve_exact(len)
        .map_err(|_| ImageError::TooLarge {
            format,
            detail: format!("no memory for {len} bytes of pixels"),
        })?;
    buf.resize(len, 0);
    Ok(buf)
}

/// What the pages of one PDF have used of [`MAX_PAGES`] and [`MAX_TOTAL_PIXELS`].
#[derive(Default)]
struct Budget {
    pages: usize,
    pixels: u64,
}

impl Budget {
    fn take(&mut self, width: u32, height: u32) -> Result<(), ImageError> {
        self.pages += 1;
        self.pixels += u64::from(width) * u64::from(height);
        if self.pages > MAX_PAGES {
            return Err(ImageError::TooManyPages { max: MAX_PAGES });
        }
        if self.pixels > MAX_TOTAL_PIXELS {
            return Err(ImageError::TooManyPixels {
                max: MAX_TOTAL_PIXELS,
            });
        }
        Ok(())
    }
}

/// Resolution in dpi from pixels per unit, where one inch is `units_per_inch` units; `None`
/// unless both are finite and positive. Rounded to 0.01 dpi: metric densities are stored as
/// integers (PNG: pixels per metre), and rounding gives back the dpi they were made from.
fn dpi(x: f64, y: f64, units_per_inch: f64) -> Option<(f32, f32)> {
    let (x, y) = (x * units_per_inch, y * units_per_inch);
    if !(x.is_finite() && y.is_finite() && x > 0.0 && y > 0.0) {
        return None;
    }
    let round = |v: f64| ((v * 100.0).round() / 100.0) as f32;
    Some((round(x), round(y)))
}

fn add_image(pdf: &mut PdfWriter, budget: &mut Budget, bytes: &[u8]) -> Result<(), ImageError> {
    match sniff(bytes)? {
        ImageFormat::Jpeg => {
            let header = jpeg_header(bytes)?;
            let space = header.space()?;
            if header.precision != 8 {
                return Err(ImageError::UnsupportedBitDepth {
                    format: ImageFormat::Jpeg,
                    bits: header.precision.into(),
                });
            }
            check_size(ImageFormat::Jpeg, header.width, header.height)?;
            budget.take(header.width, header.height)?;
            pdf.add_page(
                &PageImage::Jpeg {
                    bytes,
                    invert: header.adobe && space == Space::Cmyk,
                    space,
                },
                header.width,
                header.height,
                header.dpi,
            );
        }
        ImageFormat::Png => {
            let (width, height, dpi) = png_header(bytes)?;
            budget.take(width, height)?;
            let raster = png_raster(bytes)?;
            pdf.add_page(&PageImage::Raster(raster), width, height, dpi);
        }
        ImageFormat::Tiff => {
            let mut decoder = open_tiff(bytes)?;
            loop {
                let (width, height) = decoder.dimensions().map_err(tiff_error)?;
                check_size(ImageFormat::Tiff, width, height)?;
                budget.take(width, height)?;
                let dpi = tiff_dpi(&mut decoder);
                let raster = tiff_raster(&mut decoder, width, height)?;
                pdf.add_page(&PageImage::Raster(raster), width, height, dpi);
                if !decoder.more_images() {
                    break;
                }
                decoder.next_image().map_err(tiff_error)?;
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// JPEG: headers only (ITU-T T.81 Annex B; JFIF 1.02; Exif 2.3 §4.6.4; Adobe TN 5116 for APP14)

struct JpegHeader {
    width: u32,
    height: u32,
    components: u8,
    precision: u8,
    /// An Adobe APP14 marker: its CMYK data is stored inverted.
    adobe: bool,
    dpi: Option<(f32, f32)>,
}

impl JpegHeader {
    fn space(&self) -> Result<Space, ImageError> {
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
fn jpeg_header(bytes: &[u8]) -> Result<JpegHeader, ImageError> {
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

/// XResolution, YResolution and ResolutionUnit of an EXIF block's first directory (a TIFF
/// structure); `None` when absent or unreadable, an EXIF block being only advisory here.
fn exif_dpi(tiff: &[u8]) -> Option<(f32, f32)> {
    let big_endian = match tiff.get(0..2)? {
        b"MM" => true,
        b"II" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b: [u8; 2] = tiff.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = tiff.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    if u16_at(2)? != 42 {
        return None;
    }
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let entries = usize::from(u16_at(ifd)?);
    let (mut x, mut y, mut unit) = (None, None, 2);
    for i in 0..entries {
        let entry = ifd.checked_add(2 + i * 12)?;
        let rational = || -> Option<f64> {
            if u16_at(entry + 2)? != 5 {
                return None; // RATIONAL
            }
            let at = usize::try_from(u32_at(entry + 8)?).ok()?;
            let (n, d) = (u32_at(at)?, u32_at(at.checked_add(4)?)?);
            (d != 0).then(|| f64::from(n) / f64::from(d))
        };
        match u16_at(entry)? {
            0x011A => x = rational(),
            0x011B => y = rational(),
            0x0128 => unit = u16_at(entry + 8)?,
            _ => {}
        }
    }
    match unit {
        2 => dpi(x?, y?, 1.0),
        3 => dpi(x?, y?, 2.54),
        _ => None,
    }
}

fn inspect_jpeg(bytes: &[u8]) -> Result<ScanInfo, ImageError> {
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

// ---------------------------------------------------------------------------------------------
// PNG

fn png_error(error: png::DecodingError) -> ImageError {
    let format = ImageFormat::Png;
    match error {
        png::DecodingError::LimitsExceeded => ImageError::TooLarge {
            format,
            detail: "the decoder's memory limits were exceeded".into(),
        },
        png::DecodingError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            ImageError::Corrupt {
                format,
                detail: "truncated".into(),
            }
        }
        other => ImageError::Corrupt {
            format,
            detail: other.to_string(),
        },
    }
}

/// A reader past the chunks before the image data, the size checked before anything is sized
/// from it.
fn png_reader(
    bytes: &[u8],
    transformations: png::Transformations,
) -> Result<png::Reader<Cursor<&[u8]>>, ImageError> {
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    decoder.set_transformations(transformations);
    decoder.set_ignore_text_chunk(true);
    let header = decoder.read_header_info().map_err(png_error)?;
    check_size(ImageFormat::Png, header.width, header.height)?;
    decoder.read_info().map_err(png_error)
}

fn png_dpi(info: &png::Info<'_>) -> Option<(f32, f32)> {
    let dims = info.pixel_dims?;
    match dims.unit {
        png::Unit::Meter => dpi(f64::from(dims.xppu), f64::from(dims.yppu), 0.0254),
        png::Unit::Unspecified => None,
    }
}

/// Width, height and resolution.
fn png_header(bytes: &[u8]) -> Result<(u32, u32, Option<Dpi>), ImageError> {
    let reader = png_reader(bytes, png::Transformations::IDENTITY)?;
    let info = reader.info();
    Ok((info.width, info.height, png_dpi(info)))
}

fn inspect_png(bytes: &[u8]) -> Result<ScanInfo, ImageError> {
    let reader = png_reader(bytes, png::Transformations::IDENTITY)?;
    let info = reader.info();
    Ok(ScanInfo {
        format: ImageFormat::Png,
        width: info.width,
        height: info.height,
        dpi: png_dpi(info),
        colour: match info.color_type {
            png::ColorType::Grayscale | png::ColorType::GrayscaleAlpha => Colour::Gray,
            png::ColorType::Rgb | png::ColorType::Rgba => Colour::Rgb,
            png::ColorType::Indexed => Colour::Indexed,
        },
        bits_per_component: info.bit_depth as u8,
        pages: 1,
        largest_pixels: u64::from(info.width) * u64::from(info.height),
    })
}

/// Decodes a PNG: 16-bit samples stripped to 8; gray and palette images at 1, 2 or 4 bits kept
/// packed (PDF packs rows the same way); transparency (tRNS) expanded to an alpha channel.
fn png_raster(bytes: &[u8]) -> Result<Raster, ImageError> {
    let format = ImageFormat::Png;
    let (transparency, palette) = {
        let probe = png_reader(bytes, png::Transformations::IDENTITY)?;
        let info = probe.info();
        (
            info.trns.is_some(),
            info.palette.as_ref().map(|p| p.to_vec()),
        )
    };
    let transformations = if transparency {
        png::Transformations::EXPAND | png::Transformations::STRIP_16
    } else {
        png::Transformations::STRIP_16
    };
    let mut reader = png_reader(bytes, transformations)?;
    let (colour, depth) = reader.output_color_type();
    let (width, height) = (reader.info().width, reader.info().height);
    let size = reader.output_buffer_size().ok_or(ImageError::TooLarge {
        format,
        detail: "the decoded image does not fit in memory".into(),
    })?;
    let mut buf = zeroed(format, size)?;
    reader.next_frame(&mut buf).map_err(png_error)?;
    let bits = depth as u8;
    let (space, channels, alpha) = match colour {
        png::ColorType::Grayscale => (Space::Gray, 1, false),
        png::ColorType::Rgb => (Space::Rgb, 3, false),
        png::ColorType::GrayscaleAlpha => (Space::Gray, 2, true),
        png::ColorType::Rgba => (Space::Rgb, 4, true),
        png::ColorType::Indexed => {
            let palette = palette.unwrap_or_default();
            if palette.is_empty() || palette.len() % 3 != 0 || palette.len() > 3 * 256 {
                return Err(ImageError::Corrupt {
                    format,
                    detail: "a palette image without a valid palette".into(),
                });
            }
            (Space::Indexed(palette), 1, false)
        }
    };
    let (data, mask) = if alpha {
        let pixels = buf.len() / channels;
        compress_pixels(pixels, channels, true, |i, c| buf[i * channels + c])?
    } else {
        (compress(&buf)?, None)
    };
    Ok(Raster {
        width,
        height,
        space,
        bits,
        data,
        mask,
        premultiplied: false,
    })
}

// ---------------------------------------------------------------------------------------------
// TIFF

fn tiff_error(error: tiff::TiffError) -> ImageError {
    let format = ImageFormat::Tiff;
    match error {
        tiff::TiffError::UnsupportedError(e) => ImageError::Unsupported {
            format,
            detail: e.to_string(),
        },
        tiff::TiffError::LimitsExceeded | tiff::TiffError::IntSizeError => ImageError::TooLarge {
            format,
            detail: "the decoder's memory limits were exceeded".into(),
        },
        tiff::TiffError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            ImageError::Corrupt {
                format,
                detail: "truncated".into(),
            }
        }
        other => ImageError::Corrupt {
            format,
            detail: other.to_string(),
        },
    }
}

fn open_tiff(bytes: &[u8]) -> Result<TiffDecoder<Cursor<&[u8]>>, ImageError> {
    let mut limits = tiff::decoder::Limits::default();
    limits.decoding_buffer_size = usize::try_from(MAX_DECODED_BYTES).unwrap_or(usize::MAX);
    Ok(TiffDecoder::new(Cursor::new(bytes))
        .map_err(tiff_error)?
        .with_limits(limits))
}

fn tiff_number(value: tiff::decoder::ifd::Value) -> Option<f64> {
    use tiff::decoder::ifd::Value;
    match value {
        Value::Rational(n, d) => (d != 0).then(|| f64::from(n) / f64::from(d)),
        Value::Short(v) => Some(f64::from(v)),
        Value::Unsigned(v) => Some(f64::from(v)),
        Value::Float(v) => Some(f64::from(v)),
        Value::Double(v) => Some(v),
        Value::List(values) => values.into_iter().next().and_then(tiff_number),
        _ => None,
    }
}

/// XResolution, YResolution (Y defaults to X) and ResolutionUnit (default inch; 1 means no
/// absolute unit), TIFF 6.0 §8.
fn tiff_dpi(decoder: &mut TiffDecoder<Cursor<&[u8]>>) -> Option<(f32, f32)> {
    let mut number = |tag| decoder.find_tag(tag).ok().flatten().and_then(tiff_number);
    let x = number(Tag::XResolution)?;
    let y = number(Tag::YResolution).unwrap_or(x);
    let unit = decoder
        .find_tag_unsigned::<u16>(Tag::ResolutionUnit)
        .ok()
        .flatten()
        .unwrap_or(2);
    match unit {
        2 => dpi(x, y, 1.0),
        3 => dpi(x, y, 2.54),
        _ => None,
    }
}

fn tiff_photometric(decoder: &mut TiffDecoder<Cursor<&[u8]>>) -> Result<u16, ImageError> {
    decoder
        .find_tag_unsigned::<u16>(Tag::PhotometricInterpretation)
        .map_err(tiff_error)?
        .ok_or_else(|| ImageError::Corrupt {
            format: ImageFormat::Tiff,
            detail: "no PhotometricInterpretation".into(),
        })
}

fn inspect_tiff(bytes: &[u8]) -> Result<ScanInfo, ImageError> {
    let format = ImageFormat::Tiff;
    let mut decoder = open_tiff(bytes)?;
    let (width, height) = decoder.dimensions().map_err(tiff_error)?;
    check_size(format, width, height)?;
    let dpi = tiff_dpi(&mut decoder);
    let colour = match tiff_photometric(&mut decoder)? {
        0 | 1 => Colour::Gray,
        2 | 6 => Colour::Rgb,
        3 => Colour::Indexed,
        5 => Colour::Cmyk,
        other => {
            return Err(ImageError::Unsupported {
                format,
                detail: format!("photometric interpretation {other} (such as CIELab)"),
            });
        }
    };
    let bits = decoder
        .find_tag_unsigned_vec::<u16>(Tag::BitsPerSample)
        .map_err(tiff_error)?
        .and_then(|bits| bits.first().copied())
        .unwrap_or(1);
    let mut pages: u32 = 1;
    let mut largest_pixels = u64::from(width) * u64::from(height);
    while decoder.more_images() {
        if pages as usize >= MAX_PAGES {
            return Err(ImageError::TooManyPages { max: MAX_PAGES });
        }
        decoder.next_image().map_err(tiff_error)?;
        let (w, h) = decoder.dimensions().map_err(tiff_error)?;
        largest_pixels = largest_pixels.max(u64::from(w) * u64::from(h));
        pages += 1;
    }
    Ok(ScanInfo {
        format,
        width,
        height,
        dpi,
        colour,
        bits_per_component: u8::try_from(bits)
            .map_err(|_| ImageError::UnsupportedBitDepth { format, bits })?,
        pages,
        largest_pixels,
    })
}

/// Decodes the decoder's current page. The tiff crate turns WhiteIsZero into BlackIsZero and
/// CCITT Group 4 into packed bits, so gray comes out as /DeviceGray needs it.
fn tiff_raster(
    decoder: &mut TiffDecoder<Cursor<&[u8]>>,
    width: u32,
    height: u32,
) -> Result<Raster, ImageError> {
    use tiff::ColorType;
    let format = ImageFormat::Tiff;
    let photometric = tiff_photometric(decoder)?;
    let unsupported = |detail: &str| ImageError::Unsupported {
        format,
        detail: detail.into(),
    };
    match photometric {
        3 => return Err(unsupported("palette (indexed colour) TIFF")),
        6 => return Err(unsupported("YCbCr TIFF (usually JPEG-compressed)")),
        _ => {}
    }
    let (space, channels, alpha, bits) = match decoder.colortype().map_err(tiff_error)? {
        ColorType::Gray(bits) => (Space::Gray, 1, false, bits),
        ColorType::RGB(bits) => (Space::Rgb, 3, false, bits),
        ColorType::RGBA(bits) => (Space::Rgb, 4, true, bits),
        ColorType::CMYK(bits) => (Space::Cmyk, 4, false, bits),
        ColorType::CMYKA(bits) => (Space::Cmyk, 5, true, bits),
        ColorType::Multiband {
            bit_depth,
            num_samples: 2,
        } if photometric == 1 => (Space::Gray, 2, true, bit_depth),
        other => return Err(unsupported(&format!("colour type {other:?}"))),
    };
    match (bits, channels) {
        (1 | 2 | 4, 1) | (8 | 16, _) => {}
        _ => {
            return Err(ImageError::UnsupportedBitDepth {
                format,
                bits: bits.into(),
            });
        }
    }
    let row_bytes = (u64::from(width) * channels as u64 * u64::from(bits)).div_ceil(8);
    check_decoded_bytes(format, row_bytes * u64::from(height))?;
    // ExtraSamples 1: associated (premultiplied) alpha, TIFF 6.0 §18.
    let premultiplied = alpha
        && decoder
            .find_tag_unsigned_vec::<u16>(Tag::ExtraSamples)
            .ok()
            .flatten()
            .is_some_and(|extra| extra.first() == Some(&1));

    let mut result = DecodingResult::U8(Vec::new());
    let layout = decoder
        .read_image_to_buffer(&mut result)
        .map_err(tiff_error)?;
    let pixels = width as usize * height as usize;
    let planar = layout.planes > 1;
    if planar && (layout.planes != channels || bits < 8) {
        return Err(unsupported("this planar sample layout"));
    }
    let short = || ImageError::Corrupt {
        format,
        detail: "fewer samples than the image needs".into(),
    };
    let (data, mask) = match result {
        DecodingResult::U8(samples) if bits < 8 || (!planar && !alpha) => {
            if (samples.len() as u64) < row_bytes * u64::from(height) {
                return Err(short());
            }
            (compress(&samples)?, None)
        }
        DecodingResult::U8(samples) => {
            let plane = layout.plane_stride.map_or(pixels, |s| s.get());
            let needed = if planar {
                plane * (channels - 1) + pixels
            } else {
                pixels * channels
            };
            if samples.len() < needed || (planar && plane < pixels) {
                return Err(short());
            }
            if planar {
                compress_pixels(pixels, channels, alpha, |i, c| samples[c * plane + i])?
            } else {
                compress_pixels(pixels, channels, alpha, |i, c| samples[i * channels + c])?
            }
        }
        DecodingResult::U16(samples) => {
            let plane = layout.plane_stride.map_or(pixels, |s| s.get() / 2);
            let needed = if planar {
                plane * (channels - 1) + pixels
            } else {
                pixels * channels
            };
            if samples.len() < needed || (planar && plane < pixels) {
                return Err(short());
            }
            // 16 to 8 bits: the high byte (what rounding down a linear scale gives).
            let high = |v: u16| (v >> 8) as u8;
            if planar {
                compress_pixels(pixels, channels, alpha, |i, c| high(samples[c * plane + i]))?
            } else {
                compress_pixels(pixels, channels, alpha, |i, c| {
                    high(samples[i * channels + c])
                })?
            }
        }
        _ => return Err(unsupported("signed or floating-point samples")),
    };
    Ok(Raster {
        width,
        height,
        space,
        bits: bits.min(8),
        data,
        mask,
        premultiplied,
    })
}

// ---------------------------------------------------------------------------------------------
// Compression

fn compress(data: &[u8]) -> Result<Vec<u8>, ImageError> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    encoder
        .write_all(data)
        .and_then(|()| encoder.finish())
        .map_err(|e| ImageError::Compression(e.to_string()))
}

/// Compresses `pixels` pixels of `channels` 8-bit samples, `sample(pixel, channel)`; when `alpha`,
/// the last channel goes to a separate compressed plane (the soft mask), dropped if all opaque.
/// Works in chunks: no second full-size buffer.
fn compress_pixels(
    pixels: usize,
    channels: usize,
    alpha: bool,
    sample: impl Fn(usize, usize) -> u8,
) -> Result<(Vec<u8>, Option<Vec<u8>>), ImageError> {
    let failed = |e: std::io::Error| ImageError::Compression(e.to_string());
    let colour_channels = if alpha { channels - 1 } else { channels };
    let mut colour = ZlibEncoder::new(Vec::new(), Compression::default());
    let mut mask = ZlibEncoder::new(Vec::new(), Compression::default());
    let mut opaque = true;
    let mut colour_chunk = Vec::with_capacity(CHUNK_PIXELS * colour_channels);
    let mut mask_chunk = Vec::with_capacity(if alpha { CHUNK_PIXELS } else { 0 });
    let mut start = 0;
    while start < pixels {
        let end = pixels.min(start + CHUNK_PIXELS);
        colour_chunk.clear();
        mask_chunk.clear();
        for i in start..end {
            colour_chunk.extend((0..colour_channels).map(|c| sample(i, c)));
            if alpha {
                let a = sample(i, colour_channels);
                opaque &= a == 255;
                mask_chunk.push(a);
            }
        }
        colour.write_all(&colour_chunk).map_err(failed)?;
        if alpha {
            mask.write_all(&mask_chunk).map_err(failed)?;
        }
        start = end;
    }
    let colour = colour.finish().map_err(failed)?;
    let mask = if alpha && !opaque {
        Some(mask.finish().map_err(failed)?)
    } else {
        None
    };
    Ok((colour, mask))
}

// ---------------------------------------------------------------------------------------------
// PDF writing

#[derive(Debug, Clone, PartialEq, Eq)]
enum Space {
    Gray,
    Rgb,
    Cmyk,
    /// An RGB palette, 3 bytes an entry.
    Indexed(Vec<u8>),
}

impl Space {
    fn components(&self) -> usize {
        match self {
            Space::Gray | Space::Indexed(_) => 1,
            Space::Rgb => 3,
            Space::Cmyk => 4,
        }
    }

    fn lopdf(&self) -> lopdf::Object {
        use lopdf::Object;
        let name = |n: &str| Object::Name(n.as_bytes().to_vec());
        match self {
            Space::Gray => name("DeviceGray"),
            Space::Rgb => name("DeviceRGB"),
            Space::Cmyk => name("DeviceCMYK"),
            Space::Indexed(palette) => Object::Array(vec![
                name("Indexed"),
                name("DeviceRGB"),
                Object::Integer(palette.len() as i64 / 3 - 1),
                Object::String(palette.clone(), lopdf::StringFormat::Hexadecimal),
            ]),
        }
    }

    fn pdf(&self) -> String {
        match self {
            Space::Gray => "/DeviceGray".into(),
            Space::Rgb => "/DeviceRGB".into(),
            Space::Cmyk => "/DeviceCMYK".into(),
            Space::Indexed(palette) => format!(
                "[/Indexed /DeviceRGB {} <{}>]",
                palette.len() / 3 - 1,
                hex::encode_upper(palette)
            ),
        }
    }
}

/// A decoded image, compressed for /FlateDecode.
struct Raster {
    width: u32,
    height: u32,
    space: Space,
    bits: u8,
    data: Vec<u8>,
    /// The alpha channel, compressed, when not fully opaque.
    mask: Option<Vec<u8>>,
    /// The colour is premultiplied by alpha over black (/Matte).
    premultiplied: bool,
}

enum PageImage<'a> {
    Jpeg {
        bytes: &'a [u8],
        space: Space,
        invert: bool,
    },
    Raster(Raster),
}

/// The /ID: the first 16 bytes of SHA-256 over each image's length and bytes.
fn document_id(images: &[&[u8]]) -> [u8; 16] {
    let mut hash = Sha256::new();
    for image in images {
        hash.update((image.len() as u64).to_be_bytes());
        hash.update(image);
    }
    let digest = hash.finalize();
    let mut id = [0; 16];
    id.copy_from_slice(&digest[..16]);
    id
}

/// A number as PDF writes reals: at most 4 decimals, no exponent, no trailing zeros.
fn real(value: f64) -> String {
    let text = format!("{value:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.is_empty() || text == "-" {
        "0".into()
    } else {
        text.into()
    }
}

/// The page size in points: pixels / dpi × 72, kept within the PDF page-size bounds.
fn page_size(width: u32, height: u32, dpi: Option<(f32, f32)>) -> (f64, f64) {
    let (dx, dy) = dpi.unwrap_or((ASSUMED_DPI, ASSUMED_DPI));
    let (mut w, mut h) = (
        f64::from(width) / f64::from(dx) * 72.0,
        f64::from(height) / f64::from(dy) * 72.0,
    );
    let largest = w.max(h);
    if largest > MAX_PAGE_SIDE {
        (w, h) = (w * MAX_PAGE_SIDE / largest, h * MAX_PAGE_SIDE / largest);
    }
    let smallest = w.min(h);
    if smallest < MIN_PAGE_SIDE {
        (w, h) = (w * MIN_PAGE_SIDE / smallest, h * MIN_PAGE_SIDE / smallest);
    }
    (
        w.clamp(MIN_PAGE_SIDE, MAX_PAGE_SIDE),
        h.clamp(MIN_PAGE_SIDE, MAX_PAGE_SIDE),
    )
}

/// Writes objects straight into the output as pages come, and the cross-reference table at the
/// end. Object 1 is the catalog, 2 the page tree, both written last.
struct PdfWriter {
    out: Vec<u8>,
    /// Byte offset of object n at index n - 1.
    offsets: Vec<usize>,
    pages: Vec<usize>,
}

impl PdfWriter {
    fn new() -> Self {
        // The comment of bytes above 127 marks the file as binary (ISO 19005-2 §6.1.2).
        let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
        out.reserve(64 * 1024);
        PdfWriter {
            out,
            offsets: vec![0, 0],
            pages: Vec::new(),
        }
    }

    fn begin(&mut self) -> usize {
        self.offsets.push(self.out.len());
        let id = self.offsets.len();
        self.out
            .extend_from_slice(format!("{id} 0 obj\n").as_bytes());
        id
    }

    fn object(&mut self, body: &str) -> usize {
        let id = self.begin();
        self.out
            .extend_from_slice(format!("{body}\nendobj\n").as_bytes());
        id
    }

    fn stream(&mut self, dict: &str, data: &[u8]) -> usize {
        let id = self.begin();
        self.out
            .extend_from_slice(format!("<<{dict} /Length {}>>\nstream\n", data.len()).as_bytes());
        self.out.extend_from_slice(data);
        self.out.extend_from_slice(b"\nendstream\nendobj\n");
        id
    }

    fn add_page(
        &mut self,
        image: &PageImage<'_>,
        width: u32,
        height: u32,
        dpi: Option<(f32, f32)>,
    ) {
        let size = format!("/Width {width} /Height {height}");
        let image_id = match image {
            PageImage::Jpeg {
                bytes,
                space,
                invert,
            } => {
                let decode = if *invert {
                    " /Decode [1 0 1 0 1 0 1 0]"
                } else {
                    ""
                };
                self.stream(
                    &format!(
                        "/Type /XObject /Subtype /Image {size} /ColorSpace {} /BitsPerComponent 8 \
                         /Filter /DCTDecode{decode}",
                        space.pdf()
                    ),
                    bytes,
                )
            }
            PageImage::Raster(raster) => {
                let mask = raster.mask.as_ref().map(|mask| {
                    let matte = if raster.premultiplied {
                        format!(
                            " /Matte [{}]",
                            vec!["0"; raster.space.components()].join(" ")
                        )
                    } else {
                        String::new()
                    };
                    let dict = format!(
                        "/Type /XObject /Subtype /Image {size} /ColorSpace /DeviceGray \
                         /BitsPerComponent 8 /Filter /FlateDecode{matte}"
                    );
                    self.stream(&dict, mask)
                });
                let smask = mask.map_or(String::new(), |id| format!(" /SMask {id} 0 R"));
                debug_assert_eq!((raster.width, raster.height), (width, height));
                self.stream(
                    &format!(
                        "/Type /XObject /Subtype /Image {size} /ColorSpace {} \
                         /BitsPerComponent {} /Filter /FlateDecode{smask}",
                        raster.space.pdf(),
                        raster.bits
                    ),
                    &raster.data,
                )
            }
        };
        let (w, h) = page_size(width, height, dpi);
        let (w, h) = (real(w), real(h));
        let content = self.stream(
            "",
            format!("q\n{w} 0 0 {h} 0 0 cm\n/Im1 Do\nQ\n").as_bytes(),
        );
        let page = self.object(&format!(
            "<</Type /Page /Parent 2 0 R /MediaBox [0 0 {w} {h}] \
             /Resources <</XObject <</Im1 {image_id} 0 R>>>> /Contents {content} 0 R>>"
        ));
        self.pages.push(page);
    }

    fn finish(mut self, id: &[u8; 16]) -> Vec<u8> {
        let kids: Vec<String> = self.pages.iter().map(|p| format!("{p} 0 R")).collect();
        self.offsets[1] = self.out.len();
        self.out.extend_from_slice(
            format!(
                "2 0 obj\n<</Type /Pages /Kids [{}] /Count {}>>\nendobj\n",
                kids.join(" "),
                self.pages.len()
            )
            .as_bytes(),
        );
        self.offsets[0] = self.out.len();
        self.out
            .extend_from_slice(b"1 0 obj\n<</Type /Catalog /Pages 2 0 R>>\nendobj\n");
        let xref = self.out.len();
        let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", self.offsets.len() + 1);
        for offset in &self.offsets {
            table.push_str(&format!("{offset:010} 00000 n \n"));
        }
        let id = hex::encode_upper(id);
        table.push_str(&format!(
            "trailer\n<</Size {} /Root 1 0 R /ID [<{id}> <{id}>]>>\nstartxref\n{xref}\n%%EOF\n",
            self.offsets.len() + 1
        ));
        self.out.extend_from_slice(table.as_bytes());
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reals_are_written_without_exponent_or_trailing_zeros() {
        assert_eq!(real(595.2), "595.2");
        assert_eq!(real(72.0), "72");
        assert_eq!(real(841.9200000001), "841.92");
        assert_eq!(real(0.00001), "0");
    }

    #[test]
    fn page_sizes_follow_the_resolution_and_stay_within_pdf_bounds() {
        let (w, h) = page_size(2480, 3508, Some((300.0, 300.0)));
        assert!(
            (w - 595.2).abs() < 0.01 && (h - 841.92).abs() < 0.01,
            "{w} x {h}"
        );
        assert_eq!(page_size(200, 100, None), (72.0, 36.0));
        let (w, h) = page_size(100_000, 50_000, Some((1.0, 1.0)));
        assert_eq!((w, h), (MAX_PAGE_SIDE, MAX_PAGE_SIDE / 2.0));
        let (w, h) = page_size(1, 2, Some((300.0, 300.0)));
        assert_eq!((w, h), (MIN_PAGE_SIDE, 2.0 * MIN_PAGE_SIDE));
    }

    #[test]
    fn metric_densities_round_back_to_the_dpi_they_were_made_from() {
        assert_eq!(dpi(11811.0, 7874.0, 0.0254), Some((300.0, 200.0)));
        assert_eq!(dpi(118.11, 118.11, 2.54), Some((300.0, 300.0)));
        assert_eq!(dpi(0.0, 300.0, 1.0), None);
        assert_eq!(dpi(f64::NAN, 300.0, 1.0), None);
    }

    #[test]
    fn exif_resolution_is_read_in_both_byte_orders() {
        // II, IFD at 8 with 3 entries; rationals at 50 and 58.
        let mut le = b"II*\0\x08\0\0\0\x03\0".to_vec();
        for (tag, typ, value) in [(0x011Au16, 5u16, 50u32), (0x011B, 5, 58), (0x0128, 3, 2)] {
            le.extend(tag.to_le_bytes());
            le.extend(typ.to_le_bytes());
            le.extend(1u32.to_le_bytes());
            le.extend(value.to_le_bytes());
        }
        le.extend(0u32.to_le_bytes());
        for (n, d) in [(600u32, 2u32), (300, 1)] {
            le.extend(n.to_le_bytes());
            le.extend(d.to_le_bytes());
        }
        assert_eq!(exif_dpi(&le), Some((300.0, 300.0)));
        let mut be = b"MM\0*\0\0\0\x08\0\x01".to_vec();
        be.extend([0x01, 0x1A, 0, 5, 0, 0, 0, 1, 0, 0, 0, 26, 0, 0, 0, 0]);
        be.extend([0, 0, 0, 72, 0, 0, 0, 1]);
        assert_eq!(exif_dpi(&be), None, "no YResolution");
        assert_eq!(exif_dpi(b"MM\0*\xFF\xFF\xFF\xFF"), None);
    }
}

/// One page of a scanned PDF, as its largest image shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct PdfPageScan {
    /// The page, from 1.
    pub page: u32,
    /// The largest image's resolution on the page, pixels over the page's size in inches
    /// (a scanner's PDF is one full-page image per page); `None` for a page with no image.
    pub dpi: Option<(f32, f32)>,
    /// That image's colour model (1-bit images and /DeviceGray count as gray).
    pub colour: Option<Colour>,
}

/// What the pages of a scanned PDF are: for each page, the resolution and colour of its largest
/// image, judged against the page's /MediaBox.
pub fn inspect_pdf(bytes: &[u8]) -> Result<Vec<PdfPageScan>, String> {
    use lopdf::Object;
    let doc = super::load(bytes).map_err(|e| e.to_string())?;
    let mut pages = Vec::new();
    for (number, page_id) in doc.get_pages() {
        let page = doc.get_dictionary(page_id).map_err(|e| e.to_string())?;
        let media = inherited(&doc, page, b"MediaBox")
            .and_then(|o| o.as_array().ok().cloned())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_float().ok())
                    .collect::<Vec<f32>>()
            })
            .filter(|v| v.len() == 4)
            .map_or((595.0, 842.0), |v| {
                ((v[2] - v[0]).abs(), (v[3] - v[1]).abs())
            });
        let resources = inherited(&doc, page, b"Resources")
            .and_then(|o| deref(&doc, o).as_dict().ok().cloned());
        let mut best: Option<(u64, f32, f32, Colour)> = None;
        if let Some(xobjects) = resources
            .as_ref()
            .and_then(|r| r.get(b"XObject").ok())
            .and_then(|x| deref(&doc, x).as_dict().ok())
        {
            for (_, x) in xobjects.iter() {
                let Ok(stream) = deref(&doc, x).as_stream() else {
                    continue;
                };
                let d = &stream.dict;
                if d.get(b"Subtype").and_then(Object::as_name).ok() != Some(b"Image".as_slice()) {
                    continue;
                }
                let num = |k: &[u8]| d.get(k).ok().and_then(|v| v.as_i64().ok()).unwrap_or(0);
                let (w, h) = (num(b"Width").max(0) as u64, num(b"Height").max(0) as u64);
                let colour = if num(b"BitsPerComponent") == 1 || d.get(b"ImageMask").is_ok() {
                    Colour::Gray
                } else {
                    colour_of(&doc, d.get(b"ColorSpace").ok())
                };
                if best.is_none_or(|(area, ..)| w * h > area) {
                    best = Some((w * h, w as f32, h as f32, colour));
                }
            }
        }
        pages.push(PdfPageScan {
            page: number,
            dpi: best.map(|(_, w, h, _)| {
                let dpi = |px: f32, pt: f32| (px / (pt / 72.0) * 100.0).round() / 100.0;
                (dpi(w, media.0), dpi(h, media.1))
            }),
            colour: best.map(|(.., c)| c),
        });
    }
    Ok(pages)
}

fn deref<'a>(doc: &'a lopdf::Document, o: &'a lopdf::Object) -> &'a lopdf::Object {
    match o {
        lopdf::Object::Reference(id) => doc.get_object(*id).unwrap_or(o),
        _ => o,
    }
}

/// A page attribute, looked up through the page tree (at most 32 levels).
fn inherited<'a>(
    doc: &'a lopdf::Document,
    page: &'a lopdf::Dictionary,
    key: &[u8],
) -> Option<&'a lopdf::Object> {
    let mut node = Some(page);
    for _ in 0..32 {
        let dict = node?;
        if let Ok(v) = dict.get(key) {
            return Some(deref(doc, v));
        }
        node = dict
            .get(b"Parent")
            .and_then(lopdf::Object::as_reference)
            .ok()
            .and_then(|id| doc.get_dictionary(id).ok());
    }
    None
}

fn colour_of(doc: &lopdf::Document, space: Option<&lopdf::Object>) -> Colour {
    use lopdf::Object;
    let Some(space) = space.map(|s| deref(doc, s)) else {
        return Colour::Gray;
    };
    match space {
        Object::Name(n) => match n.as_slice() {
            b"DeviceGray" | b"CalGray" => Colour::Gray,
            b"DeviceCMYK" => Colour::Cmyk,
            _ => Colour::Rgb,
        },
        Object::Array(a) => match a.first().and_then(|n| n.as_name().ok()) {
            Some(b"Indexed") => Colour::Indexed,
            Some(b"ICCBased") => {
                let n = a
                    .get(1)
                    .map(|s| deref(doc, s))
                    .and_then(|s| s.as_stream().ok())
                    .and_then(|s| s.dict.get(b"N").ok())
                    .and_then(|n| n.as_i64().ok());
                match n {
                    Some(1) => Colour::Gray,
                    Some(4) => Colour::Cmyk,
                    _ => Colour::Rgb,
                }
            }
            Some(b"CalGray") => Colour::Gray,
            _ => Colour::Rgb,
        },
        _ => Colour::Rgb,
    }
}
