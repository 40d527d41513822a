//! QR codes drawn as vector graphics in PDF content streams.
//!
//! Owns: encoding text as a QR code (ISO/IEC 18004, error correction level M, the mask chosen
//! by the standard's penalty rules) and turning its dark modules into one path of filled
//! rectangles, with the 4-module quiet zone the standard requires kept clear. Never does: I/O, raster images, choosing where on a page the code goes.

use qrcode::bits::encode_auto;
use qrcode::canvas::{Canvas, MaskPattern};
use qrcode::ec::construct_codewords;
use qrcode::{Color, EcLevel};

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

/// The masks of ISO/IEC 18004 §7.8.2 in the order of their references 000 to 111, the order in
/// which the `qrcode` crate tries them (on equal penalties the first wins).
const MASKS: [MaskPattern; 8] = [
    MaskPattern::Checkerboard,
    MaskPattern::HorizontalLines,
    MaskPattern::VerticalLines,
    MaskPattern::DiagonalLines,
    MaskPattern::LargeCheckerboard,
    MaskPattern::Fields,
    MaskPattern::Diamonds,
    MaskPattern::Meadow,
];

/// The QR code of `data` at error correction level M: its width in modules and its modules
/// row by row from the top, `true` for dark, quiet zone not included.
///
/// The symbol is the one `qrcode::QrCode::with_error_correction_level` makes: the same data
/// encoding and the same mask, the one with the lowest penalty by the rules of ISO/IEC 18004
/// §7.8.3 as that crate scores them, but scored here on a plain bitmap (the crate's scoring
/// took a fifth of the time to render and sign a result).
pub fn qr_modules(data: &str) -> Result<(usize, Vec<bool>), QrError> {
    let encoding = |e: qrcode::types::QrError| QrError::Encoding(e.to_string());
    let bits = encode_auto(data.as_bytes(), EcLevel::M).map_err(encoding)?;
    let version = bits.version();
    let (data_codewords, ec_codewords) =
        construct_codewords(&bits.into_bytes(), version, EcLevel::M).map_err(encoding)?;
    let mut canvas = Canvas::new(version, EcLevel::M);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&data_codewords, &ec_codewords);
    let width = usize::try_from(version.width()).map_err(|e| QrError::Encoding(e.to_string()))?;

    let mut best: Option<(u32, Vec<bool>)> = None;
    for mask in MASKS {
        let mut masked = canvas.clone();
        masked.apply_mask(mask);
        let modules: Vec<bool> = masked
            .into_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect();
        let score = penalty(&modules, width);
        if best.as_ref().is_none_or(|(lowest, _)| score < *lowest) {
            best = Some((score, modules));
        }
    }
    let (_, modules) = best.ok_or_else(|| QrError::Encoding("no mask".into()))?;
    Ok((width, modules))
}

/// The penalty of a masked symbol (ISO/IEC 18004 §7.8.3.1, as the `qrcode` crate computes it):
/// runs of five or more modules of one colour in a row or column (3 + the excess), 2 × 2 blocks
/// of one colour (3 each), finder-like 1:1:3:1:1 patterns with four light modules on one
/// side (40 each, the nine inside the three finder patterns of each direction not counted)
/// and the deviation of the dark share from 50 % (1 per percent, unrounded).
///
/// Written without data-dependent branches: the modules of a masked symbol are close to random.
fn penalty(modules: &[bool], width: usize) -> u32 {
    /// Dark, light, dark, dark, dark, light, dark (a palindrome: the same read either way).
    const FINDER: u32 = 0b1011101;
    let w = width.max(1);
    let mut columns = vec![false; modules.len()];
    for (y, row) in modules.chunks_exact(w).enumerate() {
        for (x, &m) in row.iter().enumerate() {
            columns[x * w + y] = m;
        }
    }
    let mut score = 0u32;
    for line in modules.chunks_exact(w).chain(columns.chunks_exact(w)) {
        // Rule 1: the fifth module of a run of one colour adds 3, each further one 1.
        let mut run = 0u32;
        let mut previous = None;
        for &m in line {
            run = if previous == Some(m) { run + 1 } else { 1 };
            previous = Some(m);
            score += 3 * u32::from(run == 5) + u32::from(run > 5);
        }
        // Rule 3: the line with four light modules before and after it (outside the symbol
        // counts as light), fed through a 15-module window: 4 before, 7 for the pattern at
        // `k`, 4 after, the newest in bit 0.
        let mut window = 0u32;
        let padded = std::iter::repeat_n(false, 4)
            .chain(line.iter().copied())
            .chain(std::iter::repeat_n(false, 4));
        for (i, m) in padded.enumerate() {
            window = ((window << 1) | u32::from(m)) & 0x7FFF;
            // The window holds the pattern at k = i − 14 (the padding shifts by 4), for k in
            // 0..=w − 7.
            let in_line = i >= 14 && i - 14 + 7 <= w;
            let finder = (window >> 4) & 0x7F == FINDER;
            let clear_side = (window >> 11) == 0 || window & 0xF == 0;
            score += 40 * u32::from(in_line & finder & clear_side);
        }
    }
    // The three finder patterns match three times in each direction.
    score = score.saturating_sub(2 * 360);
    // Rule 2: blocks of one colour.
    for (upper, lower) in modules.chunks_exact(w).zip(modules.chunks_exact(w).skip(1)) {
        for (u, l) in upper.windows(2).zip(lower.windows(2)) {
            score += 3 * u32::from((u[0] == u[1]) & (u[0] == l[0]) & (u[0] == l[1]));
        }
    }
    // Rule 4: the share of dark modules.
    let dark = modules.iter().filter(|m| **m).count();
    let ratio = (dark * 200 / modules.len().max(1)) as u32;
    score + ratio.abs_diff(100)
}

/// Content-stream operators that paint the QR code of `data` in black (DeviceGray) as a
/// `size` × `size` point square, quiet zone included, with its lower-left corner at (`x`, `y`).
/// The operators save and restore the graphics state, so they can go anywhere in a stream.
pub fn qr_ops(data: &str, x: f32, y: f32, size: f32) -> Result<Vec<u8>, QrError> {
    if !(size.is_finite() && size > 0.0) {
        return Err(QrError::Size(size));
    }
    let (width, dark) = qr_modules(data)?;
    let module = size / (width + 2 * QUIET_ZONE) as f32;

    let mut ops = String::with_capacity(width * width * 8);
    ops.push_str("q\n0 g\n");
    for row in 0..width {
        // Row 0 is the top of the symbol; PDF's y axis points up.
        let top = y + size - (QUIET_ZONE + row) as f32 * module;
        let mut col = 0;
        while col < width {
            if !dark[row * width + col] {
                col += 1;
                continue;
            }
            // One rectangle per horizontal run of dark modules keeps the path short.
            let start = col;
            while col < width && dark[row * width + col] {
                col += 1;
            }
            for v in [
                x + (QUIET_ZONE + start) as f32 * module,
                top - module,
                (col - start) as f32 * module,
                module,
            ] {
                push_num(&mut ops, v);
                ops.push(' ');
            }
            ops.push_str("re\n");
        }
    }
    ops.push_str("f\nQ\n");
    Ok(ops.into_bytes())
}

/// A number for a content stream: at most three decimals, no exponent, no `-0`.
pub(crate) fn num(v: f32) -> String {
    let mut text = String::with_capacity(12);
    push_num(&mut text, v);
    text
}

/// Appends [`num`]`(v)` to `out`: `v` rounded to thousandths (half to even, as `{:.3}` does;
/// the product of an `f32` and 1000 is exact in an `f64`), without trailing zeros.
fn push_num(out: &mut String, v: f32) {
    use std::fmt::Write;
    let thousandths = (f64::from(v) * 1000.0).round_ties_even();
    if !thousandths.is_finite() || thousandths.abs() >= 1e15 {
        // Not finite, or too large for the integer path: never on a page.
        let text = format!("{v:.3}");
        out.push_str(text.trim_end_matches('0').trim_end_matches('.'));
        return;
    }
    let thousandths = thousandths as i64;
    if thousandths < 0 {
        out.push('-');
    }
    let magnitude = thousandths.unsigned_abs();
    // Writing to a String cannot fail.
    let _ = write!(out, "{}", magnitude / 1000);
    let mut fraction = magnitude % 1000;
    if fraction != 0 {
        let mut digits = 3;
        while fraction.is_multiple_of(10) {
            fraction /= 10;
            digits -= 1;
        }
        let _ = write!(out, ".{fraction:0digits$}");
    }
}
