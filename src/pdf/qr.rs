//! QR codes drawn as vector graphics in PDF content streams.
//!
//! Owns: encoding text as a QR code (ISO/IEC 18004, error correction level M) and turning its
//! dark modules into one path of filled rectangles, with the 4-module quiet zone the standard
//! requires kept clear. Never does: I/O, raster images, choosing where on a page the code goes.

use qrcode::{Color, EcLevel, QrCode};

/// The light margin around the symbol, in modules (ISO/IEC 18004:2015 §9.1).
pub const QUIET_ZONE: usize = 4;

/// Why a QR code cannot be drawn.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum QrError {
    /// The data does not fit in a QR code (version 40) at error correction level M.
    #[error("the data does not fit in a QR code: {0}")]
    Encoding(String),
    /// The requested size is not a positive, finite number of points.
    #[error("a QR code must have a positive, finite size, not {0}")]
    Size(f32),
}

/// Content-stream operators that paint the QR code of `data` in black (DeviceGray) as a
/// `size` × `size` point square, quiet zone included, with its lower-left corner at (`x`, `y`).
/// The operators save and restore the graphics state, so they can go anywhere in a stream.
pub fn qr_ops(data: &str, x: f32, y: f32, size: f32) -> Result<Vec<u8>, QrError> {
    if !(size.is_finite() && size > 0.0) {
        return Err(QrError::Size(size));
    }
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
        .map_err(|e| QrError::Encoding(e.to_string()))?;
    let width = code.width();
    let colors = code.to_colors();
    let module = size / (width + 2 * QUIET_ZONE) as f32;

    let mut ops = String::with_capacity(width * width * 8);
    ops.push_str("q\n0 g\n");
    for row in 0..width {
        // Row 0 is the top of the symbol; PDF's y axis points up.
        let top = y + size - (QUIET_ZONE + row) as f32 * module;
        let mut col = 0;
        while col < width {
            if colors[row * width + col] != Color::Dark {
                col += 1;
                continue;
            }
            // One rectangle per horizontal run of dark modules keeps the path short.
            let start = col;
            while col < width && colors[row * width + col] == Color::Dark {
                col += 1;
            }
            ops.push_str(&format!(
                "{} {} {} {} re\n",
                num(x + (QUIET_ZONE + start) as f32 * module),
                num(top - module),
                num((col - start) as f32 * module),
                num(module),
            ));
        }
    }
    ops.push_str("f\nQ\n");
    Ok(ops.into_bytes())
}

/// A number for a content stream: at most three decimals, no exponent, no `-0`.
pub(crate) fn num(v: f32) -> String {
    let text = format!("{:.3}", v);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    match text {
        "-0" | "" => "0".to_string(),
        t => t.to_string(),
    }
}
