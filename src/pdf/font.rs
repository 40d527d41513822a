//! Embedded Unicode TrueType text for the PDFs motcua writes: metrics, glyph encoding and the
//! embedding of a font subset as a composite font.
//!
//! Owns: the built-in DejaVu Sans faces (`assets/fonts/`, parsed once), NFC normalisation of
//! the text it shapes, the Identity-H glyph codes put into content streams, and the Type0 /
//! CIDFontType2 objects (with /W widths, a subsetted /FontFile2 and a /ToUnicode CMap) that
//! make those codes readable (ISO 32000-1 §9.7, §9.10; PDF/A-2 ISO 19005-2 §6.2.11). Each
//! face's Vietnamese repertoire (ASCII, the Vietnamese letters, common punctuation) has fixed
//! codes and one subset computed once per process, which text keeping to it reuses; text
//! beyond it is subset per document.
//! Never does: I/O, layout beyond greedy word wrapping, shaping beyond one glyph per character
//! (no kerning, no ligatures: the widths used for layout are exactly the /W widths written).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use lopdf::{Dictionary, Document, Object, ObjectId, Stream, StringFormat};
use sha2::{Digest, Sha256};
use subsetter::GlyphRemapper;
use ttf_parser::{Face, GlyphId};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// DejaVu Sans 2.37 (Bitstream Vera licence, see `assets/fonts/SOURCE.md`).
pub static REGULAR_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold 2.37.
pub static BOLD_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// PDF glyph space: widths and font metrics are given per 1000 units of text space
/// (ISO 32000-1 §9.2.4).
const GLYPH_SPACE: f32 = 1000.0;

/// The characters below this one have their glyph and advance in a table
/// ([`Font::common_glyphs`]).
const COMMON_CHARS: u32 = 0x2000;

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
    /// See [`Font::common_glyphs`].
    common_glyphs: OnceLock<Vec<(u16, f32)>>,
    /// The Vietnamese repertoire's glyphs and CIDs, found on first use.
    repertoire: OnceLock<Repertoire>,
    /// The repertoire's subset, widths and CMap, built on the first embedding that needs no
    /// other glyph.
    repertoire_embedding: OnceLock<Result<Embedding, FontError>>,
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
            common_glyphs: OnceLock::new(),
            repertoire: OnceLock::new(),
            repertoire_embedding: OnceLock::new(),
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

    /// The Vietnamese repertoire, found on first use.
    fn repertoire(&self) -> &Repertoire {
        self.repertoire.get_or_init(|| Repertoire::new(self))
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
        let units: f32 = nfc(text)
            .chars()
            .map(|c| match self.common_glyphs().get(c as usize) {
                Some(&(glyph, advance)) if glyph != 0 => advance,
                _ => self.advance(self.glyph(c).0),
            })
            .sum();
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
        match self.common_glyphs().get(c as usize) {
            Some(&(glyph, _)) => glyph != 0,
            None => self.face.glyph_index(c).is_some_and(|g| g.0 != 0),
        }
    }

    /// The characters of `text` (after NFC normalisation) the font has no glyph for, in order
    /// of first appearance, each once. Such characters are drawn as U+FFFD (or `?`).
    pub fn missing_chars(&self, text: &str) -> Vec<char> {
        let mut missing = Vec::new();
        for c in nfc(text).chars() {
            if !self.has_glyph(c) && !missing.contains(&c) {
                missing.push(c);
            }
        }
        missing
    }

    /// The glyph drawn for `c` and the character it shows: its own, else a replacement;
    /// .notdef only if the font has neither.
    fn glyph(&self, c: char) -> (GlyphId, char) {
        if let Some(&(glyph, _)) = self.common_glyphs().get(c as usize)
            && glyph != 0
        {
            return (GlyphId(glyph), c);
        }
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

    /// The glyph id (0 if none) and advance of every character below U+2000 (the Latin
    /// scripts, Greek, Cyrillic and Vietnamese), looked up once instead of in the `cmap` for
    /// every character laid out.
    fn common_glyphs(&self) -> &[(u16, f32)] {
        self.common_glyphs.get_or_init(|| {
            (0..COMMON_CHARS)
                .map(|u| {
                    char::from_u32(u)
                        .and_then(|c| self.face.glyph_index(c))
                        .map_or((0, 0.0), |glyph| (glyph.0, self.advance(glyph)))
                })
                .collect()
        })
    }

    /// The advance of `glyph` in glyph space, rounded to whole units: the same number is
    /// written to /W, so layout and the viewer agree exactly.
    fn advance(&self, glyph: GlyphId) -> f32 {
        let units = f32::from(self.face.glyph_hor_advance(glyph).unwrap_or(0));
        (units * GLYPH_SPACE / self.units_per_em).round()
    }
}

/// The characters of Vietnamese administrative text: printable ASCII, the Latin-1 letters and
/// punctuation Vietnamese uses, ă â đ ê ĩ ô ơ ũ ư (both cases), every letter of the Latin
/// Extended Additional block from U+1EA0 (Ạ) to U+1EF9 (ỹ), the combining tone marks, common
/// typographic punctuation and U+FFFD (what a character without a glyph is drawn as).
///
/// Their glyphs take the fixed CIDs 1..=n in this order (duplicates and characters the font
/// lacks skipped), so text drawn only from them embeds one subset computed once per font.
fn repertoire_chars() -> impl Iterator<Item = char> {
    const OTHERS: &str = "ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúý\u{A0}«»§°·×\
                          ĂăĐđĨĩŨũƠơƯư\
                          \u{300}\u{301}\u{303}\u{309}\u{323}\
                          –—‘’“”…•\u{FFFD}";
    (' '..='~')
        .chain(OTHERS.chars())
        .chain('\u{1EA0}'..='\u{1EF9}')
}

/// The glyphs of [`repertoire_chars`] in one font, with their fixed CIDs.
struct Repertoire {
    /// The CID of each glyph id of the font; 0 for a glyph outside the repertoire.
    cids: Vec<u16>,
    /// The glyph id and character of CIDs 1..=n, at index CID − 1.
    glyphs: Vec<(u16, char)>,
}

impl Repertoire {
    fn new(font: &Font) -> Repertoire {
        let mut cids = vec![0u16; usize::from(font.face.number_of_glyphs())];
        let mut glyphs: Vec<(u16, char)> = Vec::new();
        for c in repertoire_chars() {
            let Some(glyph) = font.face.glyph_index(c).filter(|g| g.0 != 0) else {
                continue;
            };
            let Some(slot) = cids.get_mut(usize::from(glyph.0)) else {
                continue;
            };
            if *slot == 0 {
                glyphs.push((glyph.0, c));
                // A few hundred characters: always within u16.
                *slot = u16::try_from(glyphs.len()).unwrap_or(u16::MAX);
            }
        }
        Repertoire { cids, glyphs }
    }

    /// The fixed CID of `glyph`, if it is one of the repertoire's.
    fn cid(&self, glyph: GlyphId) -> Option<u16> {
        self.cids
            .get(usize::from(glyph.0))
            .copied()
            .filter(|&cid| cid != 0)
    }
}

/// The font objects for one glyph set (a subset program, its /W widths and /ToUnicode CMap),
/// built once and added to any number of documents.
#[derive(Clone)]
struct Embedding {
    /// The subset tag and PostScript name, e.g. `ABCDEF+DejaVuSans`.
    base_font: Vec<u8>,
    /// The Flate-compressed /FontFile2 stream.
    program: Stream,
    /// The /W array.
    widths: Object,
    /// The Flate-compressed /ToUnicode stream.
    to_unicode: Stream,
}

impl Embedding {
    /// Subsets `font` to `glyphs` (glyph id and the character it shows), which take CIDs
    /// 1, 2, … in order; CID 0 is .notdef, mapped to U+FFFD in /ToUnicode when `notdef` (it was
    /// shown because the font has no replacement glyph either).
    fn build(font: &Font, glyphs: &[(u16, char)], notdef: bool) -> Result<Embedding, FontError> {
        let gids: Vec<u16> = glyphs.iter().map(|(gid, _)| *gid).collect();
        let remapper = GlyphRemapper::new_from_glyphs(&gids);
        let program = subsetter::subset(font.data, 0, &remapper)
            .map_err(|e| FontError::Subset(e.to_string()))?;
        let mut program = Stream::new(
            Dictionary::from_iter([("Length1", Object::Integer(program.len() as i64))]),
            program,
        );
        program
            .compress()
            .map_err(|e| FontError::Subset(e.to_string()))?;

        // /W as one run from CID 0: the CIDs of a subset are dense. Glyphs the subsetter
        // added after them only as components of composite glyphs are never shown and get no
        // width. The widths are whole glyph-space units, exactly what `text_width` adds up.
        let widths = std::iter::once(GlyphId(0))
            .chain(gids.iter().map(|gid| GlyphId(*gid)))
            .map(|glyph| Object::Integer(font.advance(glyph) as i64))
            .collect();
        let widths = Object::Array(vec![Object::Integer(0), Object::Array(widths)]);

        let mut to_unicode = Stream::new(Dictionary::new(), to_unicode_cmap(glyphs, notdef));
        to_unicode
            .compress()
            .map_err(|e| FontError::Subset(e.to_string()))?;

        let base_font = format!("{}+{}", subset_tag(font, &remapper), font.postscript_name);
        Ok(Embedding {
            base_font: base_font.into_bytes(),
            program,
            widths,
            to_unicode,
        })
    }

    /// Adds the Type0 font, its CIDFontType2 descendant, font descriptor, /FontFile2 and
    /// /ToUnicode to `doc`; returns the Type0 font's id.
    fn add(self, font: &Font, doc: &mut Document) -> ObjectId {
        let file_id = doc.add_object(self.program);

        // Symbolic (bit 3): the glyphs are outside the standard Latin character set; fixed
        // pitch (bit 1) when the font is monospaced (ISO 32000-1 §9.8.2).
        let flags = 4 | i64::from(font.fixed_pitch);
        let descriptor = Dictionary::from_iter([
            ("Type", Object::Name(b"FontDescriptor".to_vec())),
            ("FontName", Object::Name(self.base_font.clone())),
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

        let cid_font = Dictionary::from_iter([
            ("Type", Object::Name(b"Font".to_vec())),
            ("Subtype", Object::Name(b"CIDFontType2".to_vec())),
            ("BaseFont", Object::Name(self.base_font.clone())),
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
            ("W", self.widths),
            ("CIDToGIDMap", Object::Name(b"Identity".to_vec())),
        ]);
        let cid_font_id = doc.add_object(cid_font);
        let to_unicode_id = doc.add_object(self.to_unicode);

        doc.add_object(Dictionary::from_iter([
            ("Type", Object::Name(b"Font".to_vec())),
            ("Subtype", Object::Name(b"Type0".to_vec())),
            ("BaseFont", Object::Name(self.base_font)),
            ("Encoding", Object::Name(b"Identity-H".to_vec())),
            (
                "DescendantFonts",
                Object::Array(vec![Object::Reference(cid_font_id)]),
            ),
            ("ToUnicode", Object::Reference(to_unicode_id)),
        ]))
    }
}

/// Six capital letters derived from the font and the glyphs of the subset in CID order
/// (ISO 32000-1 §9.6.4), so two different subsets of one font in one file never share a name
/// and the repertoire subset always has the same one.
fn subset_tag(font: &Font, remapper: &GlyphRemapper) -> String {
    let mut hash = Sha256::new();
    hash.update(font.postscript_name.as_bytes());
    for gid in remapper.remapped_gids() {
        hash.update(gid.to_be_bytes());
    }
    hash.finalize()
        .iter()
        .take(6)
        .map(|b| char::from(b'A' + b % 26))
        .collect()
}

/// The /ToUnicode CMap: CID i (from 1) to the UTF-16BE of the character of `glyphs[i - 1]`,
/// and CID 0 to U+FFFD when `notdef` (ISO 32000-1 §9.10.3; the CMap syntax of Adobe
/// Technical Note #5411).
fn to_unicode_cmap(glyphs: &[(u16, char)], notdef: bool) -> Vec<u8> {
    let mut cmap = String::from(
        "/CIDInit /ProcSet findresource begin\n\
         12 dict begin\n\
         begincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n\
         /CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let entries: Vec<(usize, char)> = notdef
        .then_some((0, REPLACEMENT[0]))
        .into_iter()
        .chain(glyphs.iter().enumerate().map(|(i, (_, c))| (i + 1, *c)))
        .collect();
    // At most 100 entries per bfchar block.
    for block in entries.chunks(100) {
        cmap.push_str(&format!("{} beginbfchar\n", block.len()));
        for (cid, c) in block {
            let utf16: String = c
                .encode_utf16(&mut [0; 2])
                .iter()
                .map(|u| format!("{u:04X}"))
                .collect();
            cmap.push_str(&format!("<{cid:04X}> <{utf16}>\n"));
        }
        cmap.push_str("endbfchar\n");
    }
    cmap.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    cmap.into_bytes()
}

/// Fonts already in a document that other content streams of it may use: for each of the
/// regular and bold faces, the Type0 font embedding exactly the face's repertoire subset
/// (see [`TextWriter::is_repertoire_only`]), when the document has one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RepertoireFonts {
    /// DejaVu Sans.
    pub regular: Option<ObjectId>,
    /// DejaVu Sans Bold.
    pub bold: Option<ObjectId>,
}

/// Collects the glyphs that one or more content streams show in one font, then embeds a
/// subset with them.
///
/// Codes are two-byte CIDs (Identity-H); with /CIDToGIDMap /Identity they are the glyph ids of
/// the embedded subset. The glyphs of the font's Vietnamese repertoire (see
/// [`repertoire_chars`]) have the fixed CIDs 1..=n; any other glyph gets the next CID after n
/// in order of first use. So a code handed out by [`TextWriter::encode`] stays valid however
/// many more glyphs are encoded later, and text that keeps to the repertoire embeds the
/// repertoire subset, computed once per font and then only copied.
pub struct TextWriter<'f> {
    font: &'f Font,
    repertoire: &'f Repertoire,
    /// The glyphs outside the repertoire, in order of first use (CID n + 1 + index), with the
    /// character each stands for.
    extras: Vec<(u16, char)>,
    /// Glyph id → CID of `extras`.
    extra_cids: HashMap<u16, u16>,
    /// Whether .notdef was shown (only for a font with neither U+FFFD nor `?`).
    notdef: bool,
    overflow: bool,
}

impl<'f> TextWriter<'f> {
    /// A writer with no glyphs used yet.
    pub fn new(font: &'f Font) -> Self {
        TextWriter {
            font,
            repertoire: font.repertoire(),
            extras: Vec::new(),
            extra_cids: HashMap::new(),
            notdef: false,
            overflow: false,
        }
    }

    /// Whether every glyph encoded so far is in the font's Vietnamese repertoire, so that
    /// [`TextWriter::embed`] adds the repertoire subset, the same objects for any such text:
    /// another content stream whose writer is repertoire-only may then use those objects.
    pub fn is_repertoire_only(&self) -> bool {
        self.extras.is_empty() && !self.notdef && !self.overflow
    }

    /// The font this writer encodes for.
    pub fn font(&self) -> &'f Font {
        self.font
    }

    /// The PDF string operand for `Tj` showing `text` (NFC-normalised first), e.g.
    /// `b"<0012003A>"`, remembering the glyphs for [`TextWriter::embed`]. A character the font
    /// lacks is shown as U+FFFD (or `?`).
    pub fn encode(&mut self, text: &str) -> Vec<u8> {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let mut out = Vec::with_capacity(2 + 4 * text.len());
        out.push(b'<');
        for c in nfc(text).chars() {
            let Some(cid) = self.cid(c) else {
                self.overflow = true;
                continue;
            };
            out.extend([12, 8, 4, 0].map(|shift| HEX[usize::from((cid >> shift) & 0xF)]));
        }
        out.push(b'>');
        out
    }

    /// The CID showing `c`, assigning the next free one to a glyph outside the repertoire;
    /// `None` when the two-byte codes are exhausted.
    fn cid(&mut self, c: char) -> Option<u16> {
        let (glyph, shown) = self.font.glyph(c);
        if glyph.0 == 0 {
            self.notdef = true;
            return Some(0);
        }
        if let Some(cid) = self.repertoire.cid(glyph) {
            return Some(cid);
        }
        if let Some(&cid) = self.extra_cids.get(&glyph.0) {
            return Some(cid);
        }
        // CID u16::MAX stays free: the subset's glyph count (CIDs 0..=n) must fit in u16.
        let cid = u16::try_from(self.repertoire.glyphs.len() + 1 + self.extras.len())
            .ok()
            .filter(|&cid| cid < u16::MAX)?;
        self.extras.push((glyph.0, shown));
        self.extra_cids.insert(glyph.0, cid);
        Some(cid)
    }

    /// Adds the Type0 font, its CIDFontType2 descendant, font descriptor, subsetted and
    /// Flate-compressed /FontFile2 and /ToUnicode CMap to `doc` (which may be the
    /// `new_document` of a `lopdf::IncrementalDocument`), and returns the Type0 font's id.
    ///
    /// Text within the repertoire adds copies of the font's repertoire objects (subset once,
    /// on first use); other text subsets the repertoire and its extra glyphs for this call.
    pub fn embed(self, doc: &mut Document) -> Result<ObjectId, FontError> {
        if self.overflow {
            return Err(FontError::TooManyGlyphs);
        }
        let font = self.font;
        if self.extras.is_empty() && !self.notdef {
            let cached = font
                .repertoire_embedding
                .get_or_init(|| Embedding::build(font, &self.repertoire.glyphs, false))
                .as_ref()
                .map_err(Clone::clone)?;
            return Ok(cached.clone().add(font, doc));
        }
        let mut glyphs = self.repertoire.glyphs.clone();
        glyphs.extend_from_slice(&self.extras);
        Ok(Embedding::build(font, &glyphs, self.notdef)?.add(font, doc))
    }
}

/// `text` in Unicode Normalization Form C, borrowed when it already is (the quick check
/// answers for almost all text, without decomposing and recomposing it).
fn nfc(text: &str) -> Cow<'_, str> {
    if text.is_ascii() || is_nfc_quick(text.chars()) == IsNormalized::Yes {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.nfc().collect())
    }
}

/// Greedy word wrap: the lines (NFC-normalised, words joined by single spaces) of `text` set in
/// `font` at `size` points, each at most `max_width` points wide. A line break in `text`
/// starts a new line; a word wider than `max_width` is broken between characters (never before
/// a combining mark). Empty or blank text gives no lines.
pub fn wrap(font: &Font, text: &str, size: f32, max_width: f32) -> Vec<String> {
    let text = nfc(text);
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
