//! PDF reading for signature verification: finds every signature dictionary and checks its
//! /ByteRange against the raw bytes. Bytes in, facts out: no I/O.
//!
//! Rules (ISO 32000-1 §12.8.1, ETSI EN 319 142-1): the byte range is `[0, b, c, d]` with `b < c`,
//! `c + d` within the file; the excluded gap `[b, c)` is exactly the hex string that is the
//! signature dictionary's /Contents, inside that dictionary's own object (which must be a plain,
//! uncompressed object), so the signed bytes are everything of the signed revision but the
//! signature itself. A signature followed by later revisions has those revisions judged by
//! [`changes`]. Every document is read through [`read`], within its budgets; a damaged one is
//! refused, never read as if intact.

pub mod changes;
pub mod font;
pub mod image;
pub mod qr;
pub mod read;
pub mod render;

use lopdf::{Document, Object, xref::XrefEntry};

/// Why a PDF cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PdfError {
    /// Not parseable as a PDF.
    #[error("not a readable PDF: {0}")]
    Unreadable(String),
    /// Too large to analyse.
    #[error("the PDF is larger than {0} bytes")]
    TooLarge(usize),
    /// Beyond the budgets that bound the memory and work of reading one document (a
    /// decompression bomb, or more objects than any real document has).
    #[error("the PDF is too complex to read safely: {0}")]
    TooComplex(String),
    /// Encrypted (password-protected).
    #[error("the PDF is encrypted; remove its password protection and send it again")]
    Encrypted,
    /// Structurally damaged: what a reader would show cannot be determined.
    #[error("the PDF is damaged: {0}")]
    Damaged(String),
}

/// A signature found in a PDF.
#[derive(Debug, Clone)]
pub struct PdfSignature {
    /// The signature dictionary's object number.
    pub object: u32,
    /// /SubFilter.
    pub sub_filter: String,
    /// /ByteRange as found.
    pub byte_range: Vec<i64>,
    /// The CMS signature (DER, trailing padding removed), when the byte range is sound.
    pub cms: Option<Vec<u8>>,
    /// What is wrong with the byte range or /Contents, when anything is.
    pub problem: Option<String>,
    /// End of the signed revision (c + d).
    pub signed_end: u64,
    /// Whether the signed revision is the whole file.
    pub covers_whole_file: bool,
    /// /M, the claimed signing time, Unix seconds.
    pub claimed_time: Option<i64>,
    /// /Name, /Reason, /Location as given.
    pub name: Option<String>,
    /// For a certification signature (DocMDP), the permitted changes: 1 none, 2 form filling
    /// and signing, 3 also annotations (ISO 32000-1 §12.8.2.2).
    pub docmdp: Option<i64>,
}

fn text(o: &Object) -> Option<String> {
    match o {
        Object::String(bytes, _) => Some(String::from_utf8_lossy(bytes).into_owned()),
        Object::Name(n) => Some(String::from_utf8_lossy(n).into_owned()),
        _ => None,
    }
}

/// The /P of a DocMDP transform in the signature's /Reference, when there is one.
fn docmdp(doc: &Document, sig: &lopdf::Dictionary) -> Option<i64> {
    let resolve = |o: &Object| -> Option<Object> {
        match o {
            Object::Reference(id) => doc.get_object(*id).ok().cloned(),
            other => Some(other.clone()),
        }
    };
    let Object::Array(refs) = resolve(sig.get(b"Reference").ok()?)? else {
        return None;
    };
    for r in refs {
        let Some(Object::Dictionary(d)) = resolve(&r) else {
            continue;
        };
        if d.get(b"TransformMethod").ok().and_then(text).as_deref() == Some("DocMDP") {
            let p = d
                .get(b"TransformParams")
                .ok()
                .and_then(resolve)
                .and_then(|t| {
                    t.as_dict()
                        .ok()
                        .and_then(|t| t.get(b"P").ok())
                        .and_then(|p| p.as_i64().ok())
                });
            return Some(p.unwrap_or(2));
        }
    }
    None
}

/// The length of a DER value starting at `der[0]`, if its header is well-formed.
fn der_len(der: &[u8]) -> Option<usize> {
    let first = *der.get(1)?;
    if first < 0x80 {
        return Some(2 + first as usize);
    }
    let n = (first & 0x7f) as usize;
    if n == 0 || n > 4 {
        return None;
    }
    let mut len = 0usize;
    for b in der.get(2..2 + n)? {
        len = (len << 8) | *b as usize;
    }
    Some(2 + n + len)
}

fn hex_value(raw: &[u8]) -> Option<Vec<u8>> {
    let digits: Vec<u8> = raw
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if digits.len() % 2 == 1 {
        return None;
    }
    hex::decode(digits).ok()
}

pub use read::{
    MAX_INFLATED_STREAM, MAX_INFLATED_TOTAL, MAX_NESTING, MAX_PDF_BYTES, MAX_TOKENS,
    check_structure, load, within_budget,
};

/// The signatures of a PDF, and whether the document holding them is damaged.
#[derive(Debug, Clone)]
pub struct Signatures {
    /// Every signature found, by the end of its signed revision.
    pub found: Vec<PdfSignature>,
    /// Why the document is not intact (`read::damage`), when it is not: its signatures were
    /// found in what could be read, and none of them stands for what a reader shows.
    pub damage: Option<String>,
}

/// Every signature dictionary of an intact PDF (an object with /ByteRange and /Contents, or
/// /Type /Sig or /DocTimeStamp), with its byte range checked against the raw bytes; a damaged
/// document is refused.
pub fn signatures(bytes: &[u8]) -> Result<Vec<PdfSignature>, PdfError> {
    let signatures = signatures_in(bytes)?;
    match signatures.damage {
        Some(why) => Err(PdfError::Damaged(why)),
        None => Ok(signatures.found),
    }
}

/// Like [`signatures`], also in a damaged document (read within the budgets all the same), with
/// the damage reported beside them so that a verifier can say why none is valid.
pub fn signatures_in(bytes: &[u8]) -> Result<Signatures, PdfError> {
    let doc = read::load_document(bytes)?;
    let damage = read::damage(&doc);
    let mut out = Vec::new();
    for (&(number, _), object) in &doc.objects {
        let Ok(dict) = object.as_dict() else { continue };
        let is_sig = dict.get(b"ByteRange").is_ok() && dict.get(b"Contents").is_ok()
            || dict
                .get(b"Type")
                .ok()
                .and_then(text)
                .is_some_and(|t| t == "Sig" || t == "DocTimeStamp");
        if !is_sig {
            continue;
        }
        let sub_filter = dict
            .get(b"SubFilter")
            .ok()
            .and_then(text)
            .unwrap_or_default();
        let byte_range: Vec<i64> = match dict.get(b"ByteRange") {
            Ok(Object::Array(items)) => items.iter().filter_map(|i| i.as_i64().ok()).collect(),
            _ => Vec::new(),
        };
        let mut sig = PdfSignature {
            object: number,
            sub_filter,
            byte_range: byte_range.clone(),
            cms: None,
            problem: None,
            signed_end: 0,
            covers_whole_file: false,
            claimed_time: dict
                .get(b"M")
                .ok()
                .and_then(text)
                .and_then(|t| pdf_date(&t)),
            docmdp: docmdp(&doc, dict),
            name: dict.get(b"Name").ok().and_then(text),
        };
        match check_range(bytes, &doc, number, &byte_range) {
            Ok((cms, end)) => {
                sig.signed_end = end;
                sig.covers_whole_file = end == bytes.len() as u64;
                sig.cms = Some(cms);
            }
            Err(problem) => sig.problem = Some(problem),
        }
        out.push(sig);
    }
    out.sort_by_key(|s| s.signed_end);
    Ok(Signatures { found: out, damage })
}

/// Checks `[0, b, c, d]` and returns the CMS bytes and the end of the signed revision.
fn check_range(
    bytes: &[u8],
    doc: &Document,
    number: u32,
    r: &[i64],
) -> Result<(Vec<u8>, u64), String> {
    let [a, b, c, d] = r else {
        return Err("the /ByteRange is not four integers".into());
    };
    let (a, b, c, d) = (*a, *b, *c, *d);
    let len = bytes.len() as i64;
    if a != 0 {
        return Err("the /ByteRange does not start at 0".into());
    }
    if b <= 0 || c <= b || d < 0 || c.checked_add(d).is_none_or(|end| end > len) {
        return Err("the /ByteRange is out of order or beyond the file".into());
    }
    let (b, c, d) = (b as usize, c as usize, d as usize);
    // The gap is exactly one hex string.
    let gap = &bytes[b..c];
    if gap.first() != Some(&b'<') || gap.last() != Some(&b'>') || gap.len() < 2 {
        return Err("the bytes excluded by /ByteRange are not the signature's hex string".into());
    }
    let inner = &gap[1..gap.len() - 1];
    if !inner
        .iter()
        .all(|x| x.is_ascii_hexdigit() || x.is_ascii_whitespace())
    {
        return Err("the bytes excluded by /ByteRange are not only hex digits".into());
    }
    // ... and it belongs to this signature dictionary's own (uncompressed) object.
    let offset = match doc.reference_table.get(number) {
        Some(XrefEntry::Normal { offset, .. }) => *offset as usize,
        _ => return Err("the signature dictionary is not a plain object of the file".into()),
    };
    if offset >= b {
        return Err("the signature dictionary lies outside the signed bytes".into());
    }
    let between = &bytes[offset..b];
    let head = format!("{number} ");
    if !between.starts_with(head.as_bytes())
        || between.windows(6).filter(|w| *w == b"endobj").count() > 0
    {
        return Err("the excluded hex string is not inside the signature dictionary".into());
    }
    let trimmed: Vec<u8> = between
        .iter()
        .rev()
        .copied()
        .skip_while(|x| x.is_ascii_whitespace())
        .take(9)
        .collect();
    if trimmed.iter().rev().copied().collect::<Vec<u8>>() != b"/Contents" {
        return Err("the excluded hex string is not the value of /Contents".into());
    }
    let mut cms = hex_value(inner).ok_or("the /Contents hex string is malformed")?;
    // /Contents is padded with zeros after the value. With a definite length, cut there and
    // insist the rest is padding; an indefinite (BER) length is left to the CMS parser.
    if cms.get(1) != Some(&0x80) {
        let used = der_len(&cms).ok_or("the /Contents is not DER")?;
        if used > cms.len() || cms[used..].iter().any(|x| *x != 0) {
            return Err("the /Contents holds more than one DER value".into());
        }
        cms.truncate(used);
    }
    Ok((cms, (c + d) as u64))
}

/// Parses a PDF date (ISO 32000-1 §7.9.4): `D:YYYYMMDDHHmmSSOHH'mm'`, later parts optional.
pub fn pdf_date(text: &str) -> Option<i64> {
    let t = text.strip_prefix("D:").unwrap_or(text);
    let digits = |range: std::ops::Range<usize>, default: i64| -> Option<i64> {
        match t.get(range) {
            Some(s) if s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
            Some(_) => None,
            None => Some(default),
        }
    };
    let year = digits(0..4, -1)?;
    if year < 0 {
        return None;
    }
    let month = digits(4..6, 1)?;
    let day = digits(6..8, 1)?;
    let hour = digits(8..10, 0)?;
    let minute = digits(10..12, 0)?;
    let second = digits(12..14, 0)?;
    let date = time::Date::from_calendar_date(
        i32::try_from(year).ok()?,
        time::Month::try_from(u8::try_from(month).ok()?).ok()?,
        u8::try_from(day).ok()?,
    )
    .ok()?;
    let local = date
        .with_hms(
            u8::try_from(hour).ok()?,
            u8::try_from(minute).ok()?,
            u8::try_from(second).ok()?,
        )
        .ok()?
        .assume_utc()
        .unix_timestamp();
    let offset = match t.get(14..15) {
        Some(sign @ ("+" | "-")) => {
            let oh: i64 = t.get(15..17)?.parse().ok()?;
            let om: i64 = t.get(18..20).and_then(|m| m.parse().ok()).unwrap_or(0);
            let secs = oh * 3600 + om * 60;
            if sign == "+" { secs } else { -secs }
        }
        _ => 0,
    };
    Some(local - offset)
}

/// The two byte ranges a signature covers, without copying.
pub fn signed_parts<'a>(bytes: &'a [u8], byte_range: &[i64]) -> Option<[&'a [u8]; 2]> {
    let [_, b, c, d] = byte_range else {
        return None;
    };
    let (b, c, d) = (
        usize::try_from(*b).ok()?,
        usize::try_from(*c).ok()?,
        usize::try_from(*d).ok()?,
    );
    Some([bytes.get(..b)?, bytes.get(c..c.checked_add(d)?)?])
}

/// The bytes a signature covers: the signed revision without the /Contents gap.
pub fn signed_bytes(bytes: &[u8], byte_range: &[i64]) -> Option<Vec<u8>> {
    let [_, b, c, d] = byte_range else {
        return None;
    };
    let (b, c, d) = (
        usize::try_from(*b).ok()?,
        usize::try_from(*c).ok()?,
        usize::try_from(*d).ok()?,
    );
    let mut out = Vec::with_capacity(b + d);
    out.extend_from_slice(bytes.get(..b)?);
    out.extend_from_slice(bytes.get(c..c + d)?);
    Some(out)
}
