//! PNG and TIFF scans, read through the `png` and `tiff` crates: their headers (size, resolution,
//! colour, a TIFF's pages) and their pixels, decoded and compressed again for /FlateDecode, an
//! alpha channel split off as the soft mask.
//!
//! Owns: the decoders' settings and limits, what their errors mean to a caller, the sample layouts
//! a PDF image takes (16 bits reduced to 8, 1, 2 and 4 bits kept packed, planar TIFFs interleaved)
//! and the Flate compression of pixels.
//!
//! Never: sizes a buffer from a header before `check_size` and the decoded-bytes budget have
//! passed it; holds a second full-size copy of the pixels (they are compressed in chunks); keeps
//! an embedded ICC profile.

use std::io::{Cursor, Write};

use flate2::{Compression, write::ZlibEncoder};
use tiff::decoder::{Decoder as TiffDecoder, DecodingResult};
use tiff::tags::Tag;

use super::writer::{Raster, Space};
use super::{
    Colour, Dpi, ImageError, ImageFormat, MAX_DECODED_BYTES, MAX_PAGES, ScanInfo,
    check_decoded_bytes, check_size, dpi, zeroed,
};

/// Pixels split and compressed per step when an alpha channel is moved to a soft mask.
const CHUNK_PIXELS: usize = 16 * 1024;

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
pub(super) fn png_header(bytes: &[u8]) -> Result<(u32, u32, Option<Dpi>), ImageError> {
    let reader = png_reader(bytes, png::Transformations::IDENTITY)?;
    let info = reader.info();
    Ok((info.width, info.height, png_dpi(info)))
}

pub(super) fn inspect_png(bytes: &[u8]) -> Result<ScanInfo, ImageError> {
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
pub(super) fn png_raster(bytes: &[u8]) -> Result<Raster, ImageError> {
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

pub(super) fn tiff_error(error: tiff::TiffError) -> ImageError {
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

pub(super) fn open_tiff(bytes: &[u8]) -> Result<TiffDecoder<Cursor<&[u8]>>, ImageError> {
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
pub(super) fn tiff_dpi(decoder: &mut TiffDecoder<Cursor<&[u8]>>) -> Option<(f32, f32)> {
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

pub(super) fn inspect_tiff(bytes: &[u8]) -> Result<ScanInfo, ImageError> {
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
pub(super) fn tiff_raster(
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
