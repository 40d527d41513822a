//! QR codes drawn as vector graphics in PDF content streams.
//!
//! Owns: encoding text as a QR code (ISO/IEC 18004, error correction level M, the mask chosen
//! by the standard's penalty rules) and turning its dark modules into one path of filled
//! rectangles, with the 4-module quiet zone the standard requires kept clear. Never does: I/O, raster images, choosing where on a page the code goes.

use qrcode::bits::encode_auto;
use std::sync::OnceLock;

use qrcode::canvas::{Canvas, MaskPattern, Module};
use qrcode::ec::construct_codewords;
use qrcode::{Color, EcLevel, Version};

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
/// §7.8.3 as that crate scores them. The crate places the data; the eight masked candidates
/// are then word operations on bit sets (see [`VersionMasks`]) instead of eight masked copies
/// of its canvas, which took a tenth of the time to render and sign a result.
pub fn qr_modules(data: &str) -> Result<(usize, Vec<bool>), QrError> {
    let encoding = |e: qrcode::types::QrError| QrError::Encoding(e.to_string());
    let bits = encode_auto(data.as_bytes(), EcLevel::M).map_err(encoding)?;
    let version = bits.version();
    let (data_codewords, ec_codewords) =
        construct_codewords(&bits.into_bytes(), version, EcLevel::M).map_err(encoding)?;
    let mut canvas = Canvas::new(version, EcLevel::M);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&data_codewords, &ec_codewords);
    let masks = VersionMasks::of(version)?;
    let w = masks.width;

    // The data modules (masked by the candidate) and their colours, by row and by column.
    let (data_rows, data_cols) = lines(w, |x, y| matches!(canvas.get(x, y), Module::Unmasked(_)));
    let (dark_rows, dark_cols) = lines(w, |x, y| canvas.get(x, y) == Module::Unmasked(Color::Dark));
    // The lines fit in one 64-bit word up to version 10 (57 modules and the padding): score on
    // as few words as the lines need.
    let lines_of = Lines {
        w,
        data_rows: &data_rows,
        data_cols: &data_cols,
        dark_rows: &dark_rows,
        dark_cols: &dark_cols,
        masks,
    };
    let best = match (w + 2 * PAD).div_ceil(64) {
        1 => lines_of.best_mask::<1>(),
        2 => lines_of.best_mask::<2>(),
        _ => lines_of.best_mask::<3>(),
    };
    let rows: Vec<Bits> = lines_of.candidate(best, true);
    let modules = rows
        .iter()
        .flat_map(|row| (0..w).map(move |x| row.get(PAD + x)))
        .collect();
    Ok((w, modules))
}

/// A symbol's data modules and their colours (by row and by column) and its version's masks.
struct Lines<'a> {
    w: usize,
    data_rows: &'a [Bits],
    data_cols: &'a [Bits],
    dark_rows: &'a [Bits],
    dark_cols: &'a [Bits],
    masks: &'a VersionMasks,
}

impl Lines<'_> {
    /// The symbol masked with mask `m`, by row (or by column), on the first `N` words.
    ///
    /// A data module is its colour flipped where the mask is dark; every other module is what
    /// the crate draws there for this mask (patterns, format and version information, and the
    /// mask itself on a module left empty).
    fn candidate_words<const N: usize>(&self, m: usize, by_row: bool) -> Vec<Bits<N>> {
        let (data, dark, mask, rest) = if by_row {
            (
                self.data_rows,
                self.dark_rows,
                &self.masks.mask_rows[m],
                &self.masks.rest_rows[m],
            )
        } else {
            (
                self.data_cols,
                self.dark_cols,
                &self.masks.mask_cols[m],
                &self.masks.rest_cols[m],
            )
        };
        (0..self.w)
            .map(|i| {
                let [data, dark, mask, rest] =
                    [data[i], dark[i], mask[i], rest[i]].map(Bits::words::<N>);
                data.and(dark.xor(mask)).or(data.not().and(rest))
            })
            .collect()
    }

    fn candidate(&self, m: usize, by_row: bool) -> Vec<Bits> {
        self.candidate_words::<3>(m, by_row)
    }

    /// The mask with the lowest penalty (the first on equal penalties).
    fn best_mask<const N: usize>(&self) -> usize {
        let mut best = (u32::MAX, 0);
        for m in 0..MASKS.len() {
            let rows = self.candidate_words::<N>(m, true);
            let cols = self.candidate_words::<N>(m, false);
            let score = penalty(&rows, &cols, self.w);
            if score < best.0 {
                best = (score, m);
            }
        }
        best.1
    }
}

/// What the eight masks make of a version's symbol apart from its data, from the `qrcode`
/// crate's own canvas, once per version and process: for each mask (in [`MASKS`] order), the
/// mask's dark modules, and every module once masked with no data placed (the function
/// patterns, the format and version information, the mask on empty modules); by row and by
/// column, as line bit sets.
struct VersionMasks {
    width: usize,
    mask_rows: Vec<Vec<Bits>>,
    mask_cols: Vec<Vec<Bits>>,
    rest_rows: Vec<Vec<Bits>>,
    rest_cols: Vec<Vec<Bits>>,
}

impl VersionMasks {
    fn of(version: Version) -> Result<&'static VersionMasks, QrError> {
        static CACHE: [OnceLock<VersionMasks>; 40] = [const { OnceLock::new() }; 40];
        let Version::Normal(n @ 1..=40) = version else {
            return Err(QrError::Encoding(format!(
                "unexpected QR version {version:?}"
            )));
        };
        Ok(CACHE[n as usize - 1].get_or_init(|| VersionMasks::build(version)))
    }

    fn build(version: Version) -> VersionMasks {
        let w = version.width() as usize;
        let dark = |canvas: &Canvas| lines(w, |x, y| canvas.get(x, y).is_dark());
        let mut masks = VersionMasks {
            width: w,
            mask_rows: Vec::new(),
            mask_cols: Vec::new(),
            rest_rows: Vec::new(),
            rest_cols: Vec::new(),
        };
        for mask in MASKS {
            // An empty canvas masked: the mask itself (the format information drawn over it
            // lies on function modules, never on data).
            let mut plain = Canvas::new(version, EcLevel::M);
            plain.apply_mask(mask);
            let (rows, cols) = dark(&plain);
            masks.mask_rows.push(rows);
            masks.mask_cols.push(cols);
            let mut patterns = Canvas::new(version, EcLevel::M);
            patterns.draw_all_functional_patterns();
            patterns.apply_mask(mask);
            let (rows, cols) = dark(&patterns);
            masks.rest_rows.push(rows);
            masks.rest_cols.push(cols);
        }
        masks
    }
}

/// The modules of a `w` × `w` symbol for which `on(x, y)` holds, as line bit sets: by row and
/// by column. No branch on a module: masked modules are close to random.
fn lines(w: usize, on: impl Fn(i16, i16) -> bool) -> (Vec<Bits>, Vec<Bits>) {
    let (mut rows, mut cols) = (vec![Bits::default(); w], vec![Bits::default(); w]);
    for (y, row) in rows.iter_mut().enumerate() {
        for (x, col) in cols.iter_mut().enumerate() {
            // The width is at most 177.
            let module = on(x as i16, y as i16);
            row.put(PAD + x, module);
            col.put(PAD + y, module);
        }
    }
    (rows, cols)
}

/// The penalty of a masked symbol (ISO/IEC 18004 §7.8.3.1, as the `qrcode` crate computes it),
/// given as its rows and its columns: runs of five or more modules of one colour in a row or
/// column (3 + the excess), 2 × 2 blocks of one colour (3 each), finder-like 1:1:3:1:1
/// patterns with four light modules on one side (40 each, the nine inside the three finder
/// patterns of each direction not counted) and the deviation of the dark share from 50 % (1
/// per percent, unrounded).
///
/// Every line is a bit set, so each rule is a few word operations per line rather than a step
/// per module.
fn penalty<const N: usize>(rows: &[Bits<N>], columns: &[Bits<N>], width: usize) -> u32 {
    let w = width.max(1);
    let inside = Bits::range(PAD, PAD + w);
    let padded = Bits::range(0, w + 2 * PAD);
    // Where a finder-like pattern may start: wholly inside the line.
    let starts = if w >= 7 {
        Bits::range(PAD, PAD + w - 6)
    } else {
        Bits::default()
    };
    let mut score = 0u32;
    for &dark in rows.iter().chain(columns) {
        let light = dark.not().and(padded);
        // Rule 1: a run of L ≥ 5 modules adds 3 + (L − 5) = 2 + (the L − 4 windows of five).
        for colour in [dark.and(inside), light.and(inside)] {
            let five = colour
                .and(colour.shr(1))
                .and(colour.shr(2))
                .and(colour.shr(3))
                .and(colour.shr(4));
            let runs = five.and(five.shl(1).not());
            score += 2 * runs.count() + five.count();
        }
        // Rule 3: dark, light, dark, dark, dark, light, dark from a start, with the four
        // modules before it or the four after it light.
        let mut finder = starts;
        for (j, is_dark) in FINDER.iter().enumerate() {
            finder = finder.and(if *is_dark { dark } else { light }.shr(j));
        }
        let four_light = light.and(light.shr(1)).and(light.shr(2)).and(light.shr(3));
        let clear_side = four_light.shl(4).or(four_light.shr(7));
        score += 40 * finder.and(clear_side).count();
    }
    // The three finder patterns match three times in each direction.
    score = score.saturating_sub(2 * 360);
    // Rule 2: blocks of one colour.
    let pairs = inside.and(inside.shr(1));
    for (upper, lower) in rows.iter().zip(rows.iter().skip(1)) {
        let same_below = upper.xor(*lower).not();
        let same_right = upper.xor(upper.shr(1)).not();
        let blocks = same_right.and(same_below).and(same_below.shr(1)).and(pairs);
        score += 3 * blocks.count();
    }
    // Rule 4: the share of dark modules.
    let dark: usize = rows.iter().map(|r| r.and(inside).count() as usize).sum();
    let ratio = (dark * 200 / (w * w)) as u32;
    score + ratio.abs_diff(100)
}

/// The light modules rule 3 asks for on either side of a finder-like pattern.
const PAD: usize = 4;

/// The finder-like pattern of rule 3 (a palindrome: the same read either way).
const FINDER: [bool; 7] = [true, false, true, true, true, false, true];

/// A line of a symbol with its padding: bit `i` of word `i / 64`, on `N` words (version 40 is
/// 177 modules wide, 185 with the padding: 3 words).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bits<const N: usize = 3>([u64; N]);

impl<const N: usize> Default for Bits<N> {
    fn default() -> Self {
        Bits([0; N])
    }
}

impl<const N: usize> Bits<N> {
    /// Bits `from..to`.
    fn range(from: usize, to: usize) -> Self {
        let mut bits = Self::default();
        for i in from..to.min(64 * N) {
            bits.put(i, true);
        }
        bits
    }

    /// Sets bit `i` when `on` (without branching on it).
    fn put(&mut self, i: usize, on: bool) {
        self.0[i / 64] |= u64::from(on) << (i % 64);
    }

    fn get(&self, i: usize) -> bool {
        self.0[i / 64] >> (i % 64) & 1 == 1
    }

    /// The first `M` words (`M` ≤ `N`; the caller knows the rest are zero).
    fn words<const M: usize>(self) -> Bits<M> {
        Bits(std::array::from_fn(|k| self.0[k]))
    }

    fn and(self, o: Self) -> Self {
        Bits(std::array::from_fn(|k| self.0[k] & o.0[k]))
    }

    fn or(self, o: Self) -> Self {
        Bits(std::array::from_fn(|k| self.0[k] | o.0[k]))
    }

    fn xor(self, o: Self) -> Self {
        Bits(std::array::from_fn(|k| self.0[k] ^ o.0[k]))
    }

    fn not(self) -> Self {
        Bits(self.0.map(|word| !word))
    }

    /// Bit `i` of the result is bit `i + n` of `self` (n < 64).
    fn shr(self, n: usize) -> Self {
        if n == 0 {
            return self;
        }
        Bits(std::array::from_fn(|k| {
            let carry = if k + 1 < N {
                self.0[k + 1] << (64 - n)
            } else {
                0
            };
            self.0[k] >> n | carry
        }))
    }

    /// Bit `i + n` of the result is bit `i` of `self` (n < 64).
    fn shl(self, n: usize) -> Self {
        if n == 0 {
            return self;
        }
        Bits(std::array::from_fn(|k| {
            let carry = if k > 0 { self.0[k - 1] >> (64 - n) } else { 0 };
            self.0[k] << n | carry
        }))
    }

    fn count(self) -> u32 {
        self.0.iter().map(|word| word.count_ones()).sum()
    }
}

/// Content-stream operators that paint the QR code of `data` in black (DeviceGray) as a
/// `size` × `size` point square, quiet zone included, with its lower-left corner at (`x`, `y`).
/// The operators save and restore the graphics state, so they can go anywhere in a stream.
///
/// One `cm` maps module units to the page, the origin at the symbol's top-left module and
/// rows counted downwards, so each horizontal run of dark modules is one rectangle of small
/// integers (`column row length 1 re`): a third of the bytes of page coordinates, to write,
/// compress and hash.
pub fn qr_ops(data: &str, x: f32, y: f32, size: f32) -> Result<Vec<u8>, QrError> {
    if !(size.is_finite() && size > 0.0) {
        return Err(QrError::Size(size));
    }
    let (width, dark) = qr_modules(data)?;
    let module = size / (width + 2 * QUIET_ZONE) as f32;
    let quiet = QUIET_ZONE as f32 * module;

    let mut ops = Vec::with_capacity(width * width * 4);
    ops.extend_from_slice(b"q\n0 g\n");
    let mut text = String::with_capacity(64);
    for v in [module, 0.0, 0.0, -module, x + quiet, y + size - quiet] {
        push_num(&mut text, v);
        text.push(' ');
    }
    ops.extend_from_slice(text.as_bytes());
    ops.extend_from_slice(b"cm\n");
    for (row, modules) in dark.chunks_exact(width.max(1)).enumerate() {
        let mut col = 0;
        while col < width {
            if !modules[col] {
                col += 1;
                continue;
            }
            let start = col;
            while col < width && modules[col] {
                col += 1;
            }
            push_uint(&mut ops, start);
            ops.push(b' ');
            push_uint(&mut ops, row);
            ops.push(b' ');
            push_uint(&mut ops, col - start);
            ops.extend_from_slice(b" 1 re\n");
        }
    }
    ops.extend_from_slice(b"f\nQ\n");
    Ok(ops)
}

/// Appends the decimal digits of `n`.
fn push_uint(out: &mut Vec<u8>, n: usize) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// A number for a content stream: at most three decimals, no exponent, no `-0`.
pub(crate) fn num(v: f32) -> String {
    let mut text = String::with_capacity(12);
    push_num(&mut text, v);
    text
}

/// Appends [`num`]`(v)` to `out`: `v` rounded to thousandths (half to even, as `{:.3}` does;
/// the product of an `f32` and 1000 is exact in an `f64`), without trailing zeros.
pub(crate) fn push_num(out: &mut String, v: f32) {
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
