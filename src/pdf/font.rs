//! Embedded Unicode TrueType text for the PDFs motcua writes: metrics, glyph encoding and the
//! embedding of a font subset as a composite font.
//!
//! Owns: the built-in DejaVu Sans faces (`assets/fonts/`, parsed once), NFC normalisation of
//! the text it shapes, the Identity-H glyph codes put into content streams, and the Type0 /
//! CIDFontType2 objects (with /W widths, a subsetted /FontFile2 and a /ToUnicode CMap) that
//! make those codes readable (ISO 32000-1 §9.7, §9.10; PDF/A-2 ISO 19005-2 §6.2.11).
//! Never does: I/O, layout beyond greedy word wrapping, shaping beyond one glyph per character
//! (no kerning, no ligatures: the widths used for layout are exactly the /W widths written).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use lopdf::{Dictionary, Document, Object, ObjectId, Stream, StringFormat};
use sha2::{Digest, Sha256};
use subsetter::GlyphRemapper;
use ttf_parser::{Face, GlyphId};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// DejaVu Sans 2.37 (Bitstream Vera licence, see `assets/fonts/SOURCE.md`).
static REGULAR_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold 2.37.
static BOLD_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// PDF glyph space: widths and font metrics are given per 1000 units of text space
/// (ISO 32000-1 §9.2.4).
const GLYPH_SPACE: f32 = 1000.0;

/// Drawn instead of a character the font has no glyph for: PDF/A forbids showing .notdef
/// (ISO 19005-2 §6.2.11.8). Callers that must not substitute check [`Font::missing_chars`].
const REPLACEMENT: [char; 2] = ['\u{FFFD}', '?'];

/// Why a font cannot be used or embedded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FontError {
    /// The bytes are not a TrueType font this module can use (it needs `glyf` outlines, a
    /// Unicode `cmap` and horizontal metrics).
    #[error("not a usable TrueType font: {0}")]
    Unusable(String),
    /// The subsetter refused the font program.
    #[error("subsetting the font failed: {0}")]
    Subset(String),
    /// More distinct glyphs than the two-byte Identity-H codes can address.
    #[error("more than 65535 distinct glyphs in one font subset")]
    TooManyGlyphs,
}

/// A parsed TrueType font face with the metrics the PDF font dictionaries need.
///
/// [`Font::regular`] and [`Font::bold`] are the built-in DejaVu Sans faces, which cover every
/// Vietnamese letter.
pub struct Font {
    data: &'static [u8],
    face: Face<'static>,
    /// The PostScript name (name ID 6), the /BaseFont without the subset tag.
    postscript_name: String,
    units_per_em: f32,
    ascent: f32,
    descent: f32,
    cap_height: f32,
    bbox: [f32; 4],
    italic_angle: f32,
    stem_v: f32,
    fixed_pitch: bool,
}

impl std::fmt::Debug for Font {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Font")
            .field("postscript_name", &self.postscript_name)
            .field("bytes", &self.data.len())
            .finish_non_exhaustive()
    }
}

impl Font {
    /// Parses a TrueType font held for the life of the program (e.g. from `include_bytes!`).
    pub fn parse(data: &'static [u8]) -> Result<Font, FontError> {
        let face = Face::parse(data, 0).map_err(|e| FontError::Unusable(e.to_string()))?;
        if face.tables().glyf.is_none() {
            return Err(FontError::Unusable(
                "no glyf table (only TrueType outlines are embedded as CIDFontType2)".into(),
            ));
        }
        if face.glyph_index('a').is_none() {
            return Err(FontError::Unusable("no Unicode cmap".into()));
        }
        let units_per_em = f32::from(face.units_per_em());
        let scale = |v: f32| (v * GLYPH_SPACE / units_per_em).round();
        let postscript_name = face
            .names()
            .into_iter()
            .filter(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
            .find_map(|n| n.to_string())
            .map(|n| {
                n.chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect()
            })
            .filter(|n: &String| !n.is_empty())
            .unwrap_or_else(|| "Font".to_string());
        let b = face.global_bounding_box();
        // StemV is not in the font; this estimate from the weight class is the usual one.
        let weight = f32::from(face.weight().to_number());
        Ok(Font {
            data,
            postscript_name,
            units_per_em,
            ascent: scale(f32::from(face.ascender())),
            descent: scale(f32::from(face.descender())),
            cap_height: scale(f32::from(face.capital_height().unwrap_or(face.ascender()))),
            bbox: [
                scale(f32::from(b.x_min)),
                scale(f32::from(b.y_min)),
                scale(f32::from(b.x_max)),
                scale(f32::from(b.y_max)),
            ],
            italic_angle: face.italic_angle(),
            stem_v: (10.0 + 0.244 * (weight - 50.0)).round(),
            fixed_pitch: face.is_monospaced(),
            face,
        })
    }

    /// The built-in DejaVu Sans, parsed on first use.
    pub fn regular() -> &'static Font {
        static FONT: OnceLock<Font> = OnceLock::new();
        FONT.get_or_init(|| Font::parse(REGULAR_TTF).expect("the built-in DejaVu Sans parses"))
    }

    /// The built-in DejaVu Sans Bold, parsed on first use.
    pub fn bold() -> &'static Font {
        static FONT: OnceLock<Font> = OnceLock::new();
        FONT.get_or_init(|| Font::parse(BOLD_TTF).expect("the built-in DejaVu Sans Bold parses"))
    }

    /// The PostScript name, e.g. `DejaVuSans-Bold`.
    pub fn postscript_name(&self) -> &str {
        &self.postscript_name
    }

    /// The size in bytes of the whole font program, before subsetting.
    pub fn program_len(&self) -> usize {
        self.data.len()
    }

    /// The width of `text` (after NFC normalisation) set at `size` points, in points.
    pub fn text_width(&self, text: &str, size: f32) -> f32 {
        let units: f32 = text.nfc().map(|c| self.advance(self.glyph(c).0)).sum();
        units * size / GLYPH_SPACE
    }

    /// The ascent above the baseline at `size` points (positive).
    pub fn ascent(&self, size: f32) -> f32 {
        self.ascent * size / GLYPH_SPACE
    }

    /// The descent below the baseline at `size` points (negative, as in the font).
    pub fn descent(&self, size: f32) -> f32 {
        self.descent * size / GLYPH_SPACE
    }

    /// Whether the font has a glyph for `c`.
    pub fn has_glyph(&self, c: char) -> bool {
        self.face.glyph_index(c).is_some_and(|g| g.0 != 0)
    }

    /// The characters of `text` (after NFC normalisation) the font has no glyph for, in order
    /// of first appearance, each once. Such characters are drawn as U+FFFD (or `?`).
    pub fn missing_chars(&self, text: &str) -> Vec<char> {
        let mut missing = Vec::new();
        for c in text.nfc() {
            if !self.has_glyph(c) && !missing.contains(&c) {
                missing.push(c);
            }
        }
        missing
    }

    /// The glyph drawn for `c` and the character it shows: its own, else a replacement;
    /// .notdef only if the font has neither.
    fn glyph(&self, c: char) -> (GlyphId, char) {
        std::iter::once(c)
            .chain(REPLACEMENT)
            .find_map(|c| {
                self.face
                    .glyph_index(c)
                    .filter(|g| g.0 != 0)
                    .map(|g| (g, c))
            })
            .unwrap_or((GlyphId(0), REPLACEMENT[0]))
    }

    /// The advance of `glyph` in glyph space, rounded to whole units: the same number is
    /// written to /W, so layout and the viewer agree exactly.
    fn advance(&self, glyph: GlyphId) -> f32 {
        let units = f32::from(self.face.glyph_hor_advance(glyph).unwrap_or(0));
        (units * GLYPH_SPACE / self.units_per_em).round()
    }
}

/// Collects the glyphs that one or more content streams show in one font, then embeds exactly
/// that subset.
///
/// Codes are two-byte CIDs (Identity-H) numbered in order of first use; with /CIDToGIDMap
/// /Identity they are the glyph ids of the embedded subset, so a code handed out by
/// [`TextWriter::encode`] stays valid however many more glyphs are encoded later.
pub struct TextWriter<'f> {
    font: &'f Font,
    remapper: GlyphRemapper,
    /// CID → (width in glyph space, the text the glyph stands for).
    used: BTreeMap<u16, (f32, String)>,
    overflow: bool,
}

impl<'f> TextWriter<'f> {
    /// A writer with no glyphs used yet.
    pub fn new(font: &'f Font) -> Self {
        TextWriter {
            font,
            remapper: GlyphRemapper::new(),
            used: BTreeMap::new(),
            overflow: false,
        }
    }

    /// The font this writer encodes for.
    pub fn font(&self) -> &'f Font {
        self.font
    }

    /// The PDF string operand for `Tj` showing `text` (NFC-normalised first), e.g.
    /// `b"<0012003A>"`, remembering the glyphs for [`TextWriter::embed`]. A character the font
    /// lacks is shown as U+FFFD (or `?`).
    pub fn encode(&mut self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(2 + 4 * text.len());
        out.push(b'<');
        for c in text.nfc() {
            let (glyph, shown) = self.font.glyph(c);
            if self.remapper.num_gids() == u16::MAX && self.remapper.get(glyph.0).is_none() {
                self.overflow = true;
                continue;
            }
            let cid = self.remapper.remap(glyph.0);
            self.used
                .entry(cid)
                .or_insert_with(|| (self.font.advance(glyph), shown.to_string()));
            out.extend_from_slice(format!("{cid:04X}").as_bytes());
        }
        out.push(b'>');
        out
    }

    /// Adds the Type0 font, its CIDFontType2 descendant, font descriptor, subsetted and
    /// Flate-compressed /FontFile2 and /ToUnicode CMap to `doc` (which may be the
    /// `new_document` of a `lopdf::IncrementalDocument`), and returns the Type0 font's id.
    pub fn embed(self, doc: &mut Document) -> Result<ObjectId, FontError> {
        if self.overflow {
            return Err(FontError::TooManyGlyphs);
        }
        let font = self.font;
        let program = subsetter::subset(font.data, 0, &self.remapper)
            .map_err(|e| FontError::Subset(e.to_string()))?;
        let base_font = format!("{}+{}", self.subset_tag(), font.postscript_name);

        let mut file = Stream::new(
            Dictionary::from_iter([("Length1", Object::Integer(program.len() as i64))]),
            program,
        );
        file.compress()
            .map_err(|e| FontError::Subset(e.to_string()))?;
        let file_id = doc.add_object(file);

        // Symbolic (bit 3): the glyphs are outside the standard Latin character set; fixed
        // pitch (bit 1) when the font is monospaced (ISO 32000-1 §9.8.2).
        let flags = 4 | i64::from(font.fixed_pitch);
        let descriptor = Dictionary::from_iter([
            ("Type", Object::Name(b"FontDescriptor".to_vec())),
            ("FontName", Object::Name(base_font.clone().into_bytes())),
            ("Flags", Object::Integer(flags)),
            (
                "FontBBox",
                Object::Array(font.bbox.iter().map(|v| Object::Real(*v)).collect()),
            ),
            ("ItalicAngle", Object::Real(font.italic_angle)),
            ("Ascent", Object::Real(font.ascent)),
            ("Descent", Object::Real(font.descent)),
            ("CapHeight", Object::Real(font.cap_height)),
            ("StemV", Object::Real(font.stem_v)),
            ("FontFile2", Object::Reference(file_id)),
        ]);
        let descriptor_id = doc.add_object(descriptor);

        // /W as one run from CID 0: the CIDs of a subset are dense. Glyphs the subsetter
        // added only as components of composite glyphs are never shown and get no width.
        let mut widths = Vec::with_capacity(self.used.len() + 1);
        widths.push(Object::Real(font.advance(GlyphId(0))));
        let mut next = 1u16;
        let mut runs = vec![Object::Integer(0)];
        for (&cid, (width, _)) in &self.used {
            if cid == 0 {
                widths[0] = Object::Real(*width);
                continue;
            }
            if cid != next {
                runs.push(Object::Array(std::mem::take(&mut widths)));
                runs.push(Object::Integer(i64::from(cid)));
            }
            widths.push(Object::Real(*width));
            next = cid.saturating_add(1);
        }
        runs.push(Object::Array(widths));

        let cid_font = Dictionary::from_iter([
            ("Type", Object::Name(b"Font".to_vec())),
            ("Subtype", Object::Name(b"CIDFontType2".to_vec())),
            ("BaseFont", Object::Name(base_font.clone().into_bytes())),
            (
                "CIDSystemInfo",
                Object::Dictionary(Dictionary::from_iter([
                    ("Registry", Object::string_literal("Adobe")),
                    ("Ordering", Object::string_literal("Identity")),
                    ("Supplement", Object::Integer(0)),
                ])),
            ),
            ("FontDescriptor", Object::Reference(descriptor_id)),
            ("DW", Object::Integer(1000)),
            ("W", Object::Array(runs)),
            ("CIDToGIDMap", Object::Name(b"Identity".to_vec())),
        ]);
        let cid_font_id = doc.add_object(cid_font);

        let mut to_unicode = Stream::new(Dictionary::new(), self.to_unicode_cmap());
        to_unicode
            .compress()
            .map_err(|e| FontError::Subset(e.to_string()))?;
        let to_unicode_id = doc.add_object(to_unicode);

        Ok(doc.add_object(Dictionary::from_iter([
            ("Type", Object::Name(b"Font".to_vec())),
            ("Subtype", Object::Name(b"Type0".to_vec())),
            ("BaseFont", Object::Name(base_font.into_bytes())),
            ("Encoding", Object::Name(b"Identity-H".to_vec())),
            (
                "DescendantFonts",
                Object::Array(vec![Object::Reference(cid_font_id)]),
            ),
            ("ToUnicode", Object::Reference(to_unicode_id)),
        ])))
    }

    /// Six capital letters derived from the font and the glyphs used (ISO 32000-1 §9.6.4), so
    /// two different subsets of one font in one file never share a name.
    fn subset_tag(&self) -> String {
        let mut hash = Sha256::new();
        hash.update(self.font.postscript_name.as_bytes());
        for gid in self.remapper.remapped_gids() {
            hash.update(gid.to_be_bytes());
        }
        hash.finalize()
            .iter()
            .take(6)
            .map(|b| char::from(b'A' + b % 26))
            .collect()
    }

    /// The /ToUnicode CMap: each CID to the UTF-16BE text it was encoded from
    /// (ISO 32000-1 §9.10.3; the CMap syntax of Adobe Technical Note #5411).
    fn to_unicode_cmap(&self) -> Vec<u8> {
        let mut cmap = String::from(
            "/CIDInit /ProcSet findresource begin\n\
             12 dict begin\n\
             begincmap\n\
             /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
             /CMapName /Adobe-Identity-UCS def\n\
             /CMapType 2 def\n\
             1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
        );
        let entries: Vec<(u16, &String)> = self
            .used
            .iter()
            .filter(|(_, (_, text))| !text.is_empty())
            .map(|(cid, (_, text))| (*cid, text))
            .collect();
        // At most 100 entries per bfchar block.
        for block in entries.chunks(100) {
            cmap.push_str(&format!("{} beginbfchar\n", block.len()));
            for (cid, text) in block {
                let utf16: String = text.encode_utf16().map(|u| format!("{u:04X}")).collect();
                cmap.push_str(&format!("<{cid:04X}> <{utf16}>\n"));
            }
            cmap.push_str("endbfchar\n");
        }
        cmap.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
        cmap.into_bytes()
    }
}

/// Greedy word wrap: the lines (NFC-normalised, words joined by single spaces) of `text` set in
/// `font` at `size` points, each at most `max_width` points wide. A line break in `text`
/// starts a new line; a word wider than `max_width` is broken between characters (never before
/// a combining mark). Empty or blank text gives no lines.
pub fn wrap(font: &Font, text: &str, size: f32, max_width: f32) -> Vec<String> {
    let text: String = text.nfc().collect();
    let space = font.text_width(" ", size);
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        let mut width = 0.0;
        for word in paragraph.split_whitespace() {
            let word_width = font.text_width(word, size);
            if !line.is_empty() && width + space + word_width <= max_width {
                line.push(' ');
                line.push_str(word);
                width += space + word_width;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            if word_width <= max_width {
                line.push_str(word);
                width = word_width;
                continue;
            }
            // Break an over-long word (a URL, a code) between characters.
            width = 0.0;
            for c in word.chars() {
                let w = font.text_width(c.encode_utf8(&mut [0; 4]), size);
                if !line.is_empty() && width + w > max_width && !is_combining_mark(c) {
                    lines.push(std::mem::take(&mut line));
                    width = 0.0;
                }
                line.push(c);
                width += w;
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
    }
    lines
}

/// The UTF-16BE text string with byte order mark that PDF uses for non-ASCII text outside
/// content streams (ISO 32000-1 §7.9.2.2), e.g. a document title.
pub fn text_string(text: &str) -> Object {
    let text: String = text.nfc().collect();
    if text.is_ascii() {
        return Object::String(text.into_bytes(), StringFormat::Literal);
    }
    let mut bytes = vec![0xFE, 0xFF];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_be_bytes());
    }
    Object::String(bytes, StringFormat::Hexadecimal)
}
