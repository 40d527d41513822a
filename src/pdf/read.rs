//! Reading untrusted PDFs within budgets: the one structure check that intake, verification,
//! signing and the change analysis all pass through.
//!
//! A PDF is hostile until read. Three things make a small file expensive, and each has a budget
//! checked before the memory is spent:
//! - **Inflation.** A compressed stream can expand a thousandfold (a 2 MB file to 2 GiB of zeros).
//!   lopdf decodes object and cross-reference streams while loading; every stream it decodes stops
//!   at [`MAX_INFLATED_STREAM`], and the object streams of a document together at
//!   [`MAX_INFLATED_TOTAL`] (counted by a load filter before lopdf expands each one).
//! - **Density.** Every token of the object syntax becomes a parsed value of about a hundred bytes
//!   (`"0 "` is two bytes of input). The tokens of the raw file are counted in one pass over the
//!   bytes before lopdf sees them, those of each object stream before it is expanded; together they
//!   stay under [`MAX_TOKENS`].
//! - **Depth.** A recursive parser nested too deep overflows the stack, which no `catch_unwind`
//!   catches: arrays and dictionaries are refused beyond [`MAX_NESTING`] levels first.
//!
//! What lopdf does when the cross-reference data cannot be read as written (it rebuilds the table by
//! scanning the file, which may show objects of an older revision or none of the newest) is not
//! hidden: such a file is reported damaged, never read as if intact. Encrypted files are refused:
//! the archive keeps documents anyone can open, and a PDF/A may not be encrypted.
//!
//! Bytes in, a document or a typed refusal out: no I/O, no panics.

use std::cell::Cell;

use lopdf::{Document, LoadOptions, Object, ObjectId, xref::XrefRecovery};

use super::PdfError;

/// Hostile input costs bounded work: files above this are not parsed.
pub const MAX_PDF_BYTES: usize = 256 * 1024 * 1024;
/// Arrays and dictionaries nested deeper than this are refused before parsing. Real documents
/// stay far below (ISO 32000-1 Annex C suggests 28 as an implementation limit); lopdf itself gives
/// up at 100, silently skipping the object in lenient mode, so ours must trip first.
pub const MAX_NESTING: usize = 64;
/// The most bytes one stream may decode to while a document is loaded. Object streams hold a
/// hundred or two objects (qpdf and Acrobat write at most 100 to 200), a few hundred KiB; a
/// cross-reference stream of 500 000 objects is 3.5 MiB.
pub const MAX_INFLATED_STREAM: usize = 4 * 1024 * 1024;
/// The most bytes all the object streams of one document may decode to together.
pub const MAX_INFLATED_TOTAL: usize = 16 * 1024 * 1024;
/// The most cross-reference streams a document may have (one per revision): each may decode to
/// [`MAX_INFLATED_STREAM`]. A form signed twenty times has twenty-odd.
pub const MAX_XREF_STREAMS: usize = 64;
/// The most tokens of object syntax (numbers, names, strings, keywords, array and dictionary
/// openings) a document may have outside its streams, object streams included. A tagged
/// report of a few hundred pages has a hundred thousand or two; at [`TOKEN_COST`] each, this
/// bounds the parsed objects of one document to 64 MiB.
pub const MAX_TOKENS: usize = 500_000;

/// What one pass over the raw bytes found, before any parsing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shape {
    /// The deepest nesting of arrays and dictionaries.
    pub depth: usize,
    /// Tokens of object syntax outside streams.
    pub tokens: usize,
    /// Names `/XRef` (cross-reference stream dictionaries).
    pub xref_streams: usize,
    /// Whether a name `/Encrypt` appears (an encryption dictionary in a trailer).
    pub encrypted: bool,
    /// Bytes of stream data in objects that name `/ObjStm` (object streams, still compressed).
    pub object_stream_bytes: usize,
}

/// What one parsed token costs at most, in bytes: a lopdf `Object` in its array or dictionary
/// with its share of the container (measured in `tests/api/budgets.rs`).
pub const TOKEN_COST: usize = 128;
/// Tokens an object stream may expand to per byte of its compressed data. Object syntax
/// compresses three- to fivefold and a token with its separator takes four bytes or more, so
/// real streams hold about one token per compressed byte; a stream of `0 0 0 …` compressed a
/// thousandfold holds five hundred.
pub const OBJECT_STREAM_TOKENS_PER_BYTE: usize = 4;
/// Tokens every document's object streams may hold whatever their compressed size.
const OBJECT_STREAM_TOKENS_FLOOR: usize = 10_000;

impl Shape {
    /// The tokens the object streams may expand to.
    fn object_stream_allowance(&self) -> usize {
        self.object_stream_bytes
            .saturating_mul(OBJECT_STREAM_TOKENS_PER_BYTE)
            .saturating_add(OBJECT_STREAM_TOKENS_FLOOR)
    }

    /// The most memory reading a document of `len` bytes with this shape takes, beyond the
    /// bytes themselves: lopdf copies stream data out of the buffer (at most `len`), parses every
    /// token (the raw ones counted, the object streams' bounded by their allowance and
    /// [`MAX_TOKENS`]) and decodes one stream at a time; the change analysis after a signature
    /// holds two documents at once, so everything counts twice.
    pub fn working_set(&self, len: usize) -> u64 {
        let tokens = self
            .tokens
            .saturating_add(self.object_stream_allowance())
            .min(MAX_TOKENS);
        let one = len
            .saturating_add(tokens.saturating_mul(TOKEN_COST))
            .saturating_add(MAX_INFLATED_STREAM);
        2 * one as u64
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | b'\0')
}

fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

/// One pass over object syntax (a file, or the decoded content of an object stream): nesting,
/// tokens, and the names that matter before parsing. Stream data is skipped up to its
/// `endstream`; strings, comments and names are read as the lexer would (ISO 32000-1 §7.2).
pub fn shape(bytes: &[u8]) -> Shape {
    let mut s = Shape::default();
    let mut depth = 0usize;
    // Whether the object being read names /ObjStm (its stream is an object stream).
    let mut object_stream = false;
    let mut i = 0usize;
    let n = bytes.len();
    while i < n {
        let b = bytes[i];
        match b {
            _ if is_space(b) => i += 1,
            b'%' => {
                while i < n && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'(' => {
                s.tokens += 1;
                let mut level = 0usize;
                while i < n {
                    match bytes[i] {
                        b'\\' => i += 1,
                        b'(' => level += 1,
                        b')' => {
                            level -= 1;
                            if level == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                i += 1;
            }
            b'<' if bytes.get(i + 1) == Some(&b'<') => {
                s.tokens += 1;
                depth += 1;
                s.depth = s.depth.max(depth);
                i += 2;
            }
            b'<' => {
                s.tokens += 1;
                while i < n && bytes[i] != b'>' {
                    i += 1;
                }
                i += 1;
            }
            b'>' if bytes.get(i + 1) == Some(&b'>') => {
                depth = depth.saturating_sub(1);
                i += 2;
            }
            b'[' => {
                s.tokens += 1;
                depth += 1;
                s.depth = s.depth.max(depth);
                i += 1;
            }
            b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'/' => {
                s.tokens += 1;
                let start = i + 1;
                i = start;
                while i < n && !is_space(bytes[i]) && !is_delimiter(bytes[i]) {
                    i += 1;
                }
                match &bytes[start..i] {
                    b"Encrypt" => s.encrypted = true,
                    b"XRef" => s.xref_streams += 1,
                    b"ObjStm" => object_stream = true,
                    _ => {}
                }
            }
            _ if is_delimiter(b) => i += 1,
            _ => {
                let start = i;
                while i < n && !is_space(bytes[i]) && !is_delimiter(bytes[i]) {
                    i += 1;
                }
                let word = &bytes[start..i];
                if word == b"stream" {
                    // Stream data is not object syntax: skip it to its end marker.
                    let data = match bytes[i..].windows(9).position(|w| w == b"endstream") {
                        Some(p) => p,
                        None => n - i,
                    };
                    if object_stream {
                        s.object_stream_bytes += data;
                    }
                    i = (i + data + 9).min(n);
                } else {
                    if word == b"obj" || word == b"endobj" {
                        object_stream = false;
                    }
                    s.tokens += 1;
                }
            }
        }
    }
    s
}

/// The size, nesting, encryption and token budgets every PDF passes before lopdf parses it.
pub fn within_budget(bytes: &[u8]) -> Result<Shape, PdfError> {
    if bytes.len() > MAX_PDF_BYTES {
        return Err(PdfError::TooLarge(MAX_PDF_BYTES));
    }
    let shape = shape(bytes);
    if shape.depth > MAX_NESTING {
        return Err(PdfError::Unreadable(format!(
            "arrays or dictionaries are nested deeper than {MAX_NESTING} levels"
        )));
    }
    if shape.encrypted {
        return Err(PdfError::Encrypted);
    }
    if shape.tokens > MAX_TOKENS {
        return Err(PdfError::TooComplex(format!(
            "more than {MAX_TOKENS} objects and values"
        )));
    }
    if shape.xref_streams > MAX_XREF_STREAMS {
        return Err(PdfError::TooComplex(format!(
            "more than {MAX_XREF_STREAMS} cross-reference streams"
        )));
    }
    Ok(shape)
}

/// The most memory reading `bytes` takes (see [`Shape::working_set`]); a file the budgets refuse
/// costs only the refusal, since reading it stops before parsing.
pub fn working_set(bytes: &[u8]) -> u64 {
    const REFUSAL: u64 = 64 * 1024;
    match within_budget(bytes) {
        Ok(shape) => shape.working_set(bytes.len()),
        Err(_) => REFUSAL,
    }
}

/// What the object streams of the document being loaded on this thread have used so far.
#[derive(Debug, Clone, Copy, Default)]
struct Spent {
    inflated: usize,
    /// Tokens of the object streams so far, and what they may reach.
    tokens: usize,
    allowance: usize,
    exceeded: Option<Exceeded>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exceeded {
    Inflated,
    Tokens,
}

thread_local! {
    /// lopdf takes the load filter as a plain `fn`, so what it counts lives here, set up and read
    /// by [`load_document`] around each load on this thread (lopdf loads on the calling thread).
    static SPENT: Cell<Spent> = Cell::new(Spent::default());
}

/// The load filter: charges each object stream's decoded size and tokens before lopdf expands
/// it, and drops it (recording why) once the document's budgets are spent.
fn charge_object_streams(id: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
    if let Object::Stream(stream) = object {
        if stream.dict.has_type(b"ObjStm") {
            let mut spent = SPENT.get();
            if spent.exceeded.is_some() {
                return None;
            }
            let room = (MAX_INFLATED_TOTAL - spent.inflated).min(MAX_INFLATED_STREAM);
            match stream.get_plain_content_with_limit(room) {
                Ok(content) => {
                    spent.inflated += content.len();
                    spent.tokens += shape(&content).tokens;
                    if spent.tokens > spent.allowance {
                        spent.exceeded = Some(Exceeded::Tokens);
                    }
                }
                Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded {
                    ..
                })) => spent.exceeded = Some(Exceeded::Inflated),
                // Undecodable: lopdf reports or skips it as it would anyway.
                Err(_) => {}
            }
            SPENT.set(spent);
            if spent.exceeded.is_some() {
                return None;
            }
        }
        // A stream is never a member of an object stream: this is the top-level call, whose
        // returned object lopdf does not use (it keeps `object`), so nothing is cloned.
        return Some((id, Object::Null));
    }
    // Either a top-level object (lopdf keeps `object`) or a member of an object stream (lopdf
    // keeps what is returned): hand back a copy; members are small by the budgets above.
    Some((id, object.clone()))
}

/// Loads a PDF within every budget. The document may be damaged (its cross-reference table
/// rebuilt by lopdf); [`load`] refuses those.
pub fn load_document(bytes: &[u8]) -> Result<Document, PdfError> {
    let shape = within_budget(bytes)?;
    SPENT.set(Spent {
        allowance: shape
            .object_stream_allowance()
            .min(MAX_TOKENS - shape.tokens),
        ..Spent::default()
    });
    let options = LoadOptions {
        filter: Some(charge_object_streams),
        max_decompressed_size: Some(MAX_INFLATED_STREAM),
        ..LoadOptions::default()
    };
    // lopdf must never take the process down on hostile input.
    let loaded = std::panic::catch_unwind(|| Document::load_mem_with_options(bytes, options));
    let spent = SPENT.replace(Spent::default());
    let loaded = loaded
        .map_err(|_| PdfError::Unreadable("the parser failed on this file".into()))?
        .map_err(|e| match e {
            lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. }) => {
                PdfError::TooComplex(format!(
                    "a compressed stream expands beyond {} MiB",
                    MAX_INFLATED_STREAM >> 20
                ))
            }
            e => PdfError::Unreadable(e.to_string()),
        })?;
    match spent.exceeded {
        Some(Exceeded::Inflated) => Err(PdfError::TooComplex(format!(
            "its object streams expand beyond {} MiB",
            MAX_INFLATED_TOTAL >> 20
        ))),
        Some(Exceeded::Tokens) => Err(PdfError::TooComplex(
            "its object streams expand to more objects and values than their size allows \
             (or than the document's budget)"
                .into(),
        )),
        None => Ok(loaded),
    }
}

/// Why a loaded document is not intact, if it is not: its cross-reference data could not be read
/// as written (what lopdf rebuilt may not be what a reader shows), an object its
/// cross-reference data lists cannot be read where it says (a truncated or overwritten file), or
/// its catalog leads to no page tree (a file whose objects were lost).
pub fn damage(doc: &Document) -> Option<String> {
    use lopdf::xref::XrefEntry;
    match doc.xref_recovery {
        Some(XrefRecovery::Reconstructed) => {
            return Some(
                "its cross-reference data cannot be read as written (the file is truncated or \
                 damaged)"
                    .into(),
            );
        }
        // A section found a few bytes from where an offset pointed: common, and harmless.
        Some(XrefRecovery::OffsetCorrected) | None => {}
        // A kind of repair this version does not know: not read as intact.
        Some(_) => return Some("its cross-reference data had to be repaired".into()),
    }
    let unreadable: Vec<u32> = doc
        .reference_table
        .entries
        .iter()
        .filter_map(|(&number, entry)| match entry {
            XrefEntry::Normal { generation, .. } => Some((number, *generation)),
            XrefEntry::Compressed { .. } => Some((number, 0)),
            XrefEntry::Free | XrefEntry::UnusableFree => None,
        })
        .filter(|id| id.0 != 0 && !doc.objects.contains_key(id))
        .map(|(number, _)| number)
        .take(5)
        .collect();
    if !unreadable.is_empty() {
        let list: Vec<String> = unreadable.iter().map(u32::to_string).collect();
        return Some(format!(
            "objects its cross-reference data lists cannot be read ({})",
            list.join(", ")
        ));
    }
    let pages = doc
        .catalog()
        .ok()
        .and_then(|c| c.get(b"Pages").ok())
        .and_then(|p| match p {
            Object::Reference(id) => doc.get_object(*id).ok(),
            other => Some(other),
        })
        .is_some_and(|p| p.as_dict().is_ok());
    if !pages {
        return Some("its document catalog leads to no page tree".into());
    }
    None
}

/// The offset the last `startxref` of the file names: where a reader starts reading it.
pub fn last_startxref(bytes: &[u8]) -> Option<usize> {
    let tail = &bytes[bytes.len().saturating_sub(2048)..];
    let at = tail.windows(9).rposition(|w| w == b"startxref")?;
    std::str::from_utf8(&tail[at + 9..])
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Loads an intact PDF within every budget: a damaged one is refused.
pub fn load(bytes: &[u8]) -> Result<Document, PdfError> {
    let doc = load_document(bytes)?;
    match damage(&doc) {
        Some(why) => Err(PdfError::Damaged(why)),
        None => Ok(doc),
    }
}

/// The structure check of a whole PDF: read within the budgets, intact, with a document catalog
/// and a page tree. Intake, verification and signing apply this same rule.
pub fn check_structure(bytes: &[u8]) -> Result<(), PdfError> {
    let doc = load(bytes)?;
    doc.catalog()
        .map_err(|e| PdfError::Unreadable(format!("no document catalog: {e}")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shape_counts_tokens_outside_streams_and_strings() {
        let s = shape(
            b"%PDF-1.7\n1 0 obj << /Type /Catalog /Name (a (b) c) /A [1 2 <00ff>] >> endobj\n\
              2 0 obj << /Length 5 >> stream\n[[[[[\nendstream endobj",
        );
        // 1 0 obj << /Type /Catalog /Name (…) /A [ 1 2 <…> endobj 2 0 obj << /Length 5 endobj
        assert_eq!(s.tokens, 21);
        assert_eq!(s.depth, 2);
        assert!(!s.encrypted);
    }

    #[test]
    fn an_encryption_dictionary_is_seen_but_a_longer_name_is_not() {
        assert!(shape(b"trailer << /Encrypt 5 0 R >>").encrypted);
        assert!(!shape(b"<< /EncryptMetadata false >>").encrypted);
        assert!(!shape(b"<< /T (/Encrypt) >>").encrypted);
    }

    #[test]
    fn nesting_beyond_the_budget_is_refused_before_parsing() {
        let deep = format!(
            "%PDF-1.7\n1 0 obj {}{} endobj\n%%EOF",
            "[".repeat(MAX_NESTING + 1),
            "]".repeat(MAX_NESTING + 1)
        );
        assert!(matches!(
            within_budget(deep.as_bytes()),
            Err(PdfError::Unreadable(_))
        ));
        let fine = format!("{}{}", "[".repeat(MAX_NESTING), "]".repeat(MAX_NESTING));
        assert_eq!(within_budget(fine.as_bytes()).unwrap().depth, MAX_NESTING);
    }
}
