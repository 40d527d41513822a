//! Recognising what a file is from its bytes, never from the client's claim.
//!
//! Owns: the accepted media types (PDF, JPEG, PNG, TIFF, CMS/PKCS#7 signatures), magic-number
//! detection over a file's first bytes, and the structural check a PDF must pass.
//! Does no I/O: bytes in, verdict out. The intake feeds it the head and tail of a streamed file,
//! then the whole stored PDF.

use std::fmt;

/// How many leading bytes detection looks at. PDF readers accept a header anywhere in the first
/// 1024 bytes (ISO 32000-1, annex H.3, item 3.4.1), so we look that far too.
pub const HEAD_LEN: usize = 1024;
/// How many trailing bytes the PDF check reads: `startxref`, its offset and `%%EOF` live here.
pub const TAIL_LEN: usize = 2048;
/// PDFs up to this size are kept in memory while they stream in, for the structure check; larger
/// ones are read back from the store for it once they are durable.
pub const FULL_PARSE_LIMIT: usize = 4 * 1024 * 1024;

/// A media type motcua accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    /// `application/pdf`
    Pdf,
    /// `image/jpeg`
    Jpeg,
    /// `image/png`
    Png,
    /// `image/tiff`
    Tiff,
    /// `application/pkcs7-signature` (CMS SignedData, DER/BER or PEM)
    Cms,
}

impl MediaType {
    /// The canonical media type string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Tiff => "image/tiff",
            Self::Cms => "application/pkcs7-signature",
        }
    }

    /// Parses a stored canonical string.
    pub fn from_canonical(s: &str) -> Option<Self> {
        [Self::Pdf, Self::Jpeg, Self::Png, Self::Tiff, Self::Cms]
            .into_iter()
            .find(|m| m.as_str() == s)
    }

    /// What a client's `Content-Type` claims, if it names one of ours. Generic types
    /// (`application/octet-stream`) and absent ones claim nothing: `Ok(None)`.
    /// A type we do not accept at all is `Err`.
    pub fn from_claim(claim: &str) -> Result<Option<Self>, UnsupportedClaim> {
        let essence = claim
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        Ok(Some(match essence.as_str() {
            "" | "application/octet-stream" | "binary/octet-stream" => return Ok(None),
            "application/pdf" | "application/x-pdf" => Self::Pdf,
            "image/jpeg" | "image/jpg" | "image/pjpeg" => Self::Jpeg,
            "image/png" => Self::Png,
            "image/tiff" | "image/tif" => Self::Tiff,
            "application/pkcs7-signature"
            | "application/x-pkcs7-signature"
            | "application/pkcs7-mime"
            | "application/x-pkcs7-mime"
            | "application/cms" => Self::Cms,
            _ => return Err(UnsupportedClaim(essence)),
        }))
    }

    /// What a filename's extension claims, if it is one we know.
    pub fn from_extension(filename: &str) -> Option<Self> {
        let ext = filename.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "pdf" => Self::Pdf,
            "jpg" | "jpeg" | "jpe" => Self::Jpeg,
            "png" => Self::Png,
            "tif" | "tiff" => Self::Tiff,
            "p7s" | "p7m" | "p7b" | "pkcs7" | "cms" => Self::Cms,
            _ => return None,
        })
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A client claimed a media type that motcua does not accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("media type {0:?} is not accepted (PDF, JPEG, PNG, TIFF or a CMS/PKCS#7 signature)")]
pub struct UnsupportedClaim(pub String);

/// The DER encoding of the OID 1.2.840.113549.1.7.2, id-signedData (RFC 5652 §5.1).
const SIGNED_DATA_OID: [u8; 11] = [
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02,
];

/// Detects the media type from a file's first bytes (up to [`HEAD_LEN`]).
pub fn detect(head: &[u8]) -> Option<MediaType> {
    if head.starts_with(&[0xff, 0xd8, 0xff]) {
        return Some(MediaType::Jpeg);
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(MediaType::Png);
    }
    if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        return Some(MediaType::Tiff);
    }
    if is_cms(head) {
        return Some(MediaType::Cms);
    }
    if find(&head[..head.len().min(HEAD_LEN)], b"%PDF-").is_some() {
        return Some(MediaType::Pdf);
    }
    None
}

/// A ContentInfo whose contentType is signedData: `SEQUENCE { OID signedData, ... }` in DER or
/// BER (indefinite length, as some signing tools write), or a PEM `PKCS7`/`CMS` block.
fn is_cms(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&head[..head.len().min(200)]);
    let trimmed = text.trim_start();
    if trimmed.starts_with("-----BEGIN PKCS7-----") || trimmed.starts_with("-----BEGIN CMS-----") {
        return true;
    }
    if head.first() != Some(&0x30) || head.len() < 2 + SIGNED_DATA_OID.len() {
        return false;
    }
    // Skip the outer length: short form, long form (1..=4 length bytes), or indefinite (0x80).
    let len_octets = match head[1] {
        0x80 => 0,
        n if n < 0x80 => 0,
        n if (0x81..=0x84).contains(&n) => (n & 0x7f) as usize,
        _ => return false,
    };
    let start = 2 + len_octets;
    head.get(start..start + SIGNED_DATA_OID.len()) == Some(&SIGNED_DATA_OID[..])
}

/// Why a file that looks like a PDF is not accepted as one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PdfProblem {
    /// No `%%EOF` marker near the end (ISO 32000-1 §7.5.5).
    #[error("no %%EOF marker at the end of the file")]
    NoEof,
    /// No `startxref` with a byte offset inside the file (ISO 32000-1 §7.5.5).
    #[error("no valid startxref offset in the trailer")]
    NoStartXref,
    /// The structure check refused it (unreadable, damaged, encrypted, or beyond the budgets
    /// that bound reading it).
    #[error(transparent)]
    Unreadable(#[from] crate::pdf::PdfError),
}

/// The structural check every PDF passes: a `startxref` pointing inside the file and a
/// final `%%EOF`, read from the last [`TAIL_LEN`] bytes of a file of `size` bytes.
pub fn check_pdf_tail(tail: &[u8], size: u64) -> Result<(), PdfProblem> {
    let eof = rfind(tail, b"%%EOF").ok_or(PdfProblem::NoEof)?;
    let sx = rfind(&tail[..eof], b"startxref").ok_or(PdfProblem::NoStartXref)?;
    let after = &tail[sx + b"startxref".len()..eof];
    let digits: String = String::from_utf8_lossy(after)
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    let offset: u64 = digits.parse().map_err(|_| PdfProblem::NoStartXref)?;
    if offset == 0 || offset >= size {
        return Err(PdfProblem::NoStartXref);
    }
    Ok(())
}

/// The structure check of a whole PDF ([`crate::pdf::check_structure`], the same rule
/// verification and signing apply): read within the budgets, intact, with a catalog.
pub fn parse_pdf(bytes: &[u8]) -> Result<(), PdfProblem> {
    Ok(crate::pdf::check_structure(bytes)?)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_numbers_decide_the_type() {
        assert_eq!(detect(b"%PDF-1.7\n"), Some(MediaType::Pdf));
        assert_eq!(detect(b"\xff\xd8\xff\xe0JFIF"), Some(MediaType::Jpeg));
        assert_eq!(detect(b"\x89PNG\r\n\x1a\n...."), Some(MediaType::Png));
        assert_eq!(detect(b"II*\0...."), Some(MediaType::Tiff));
        assert_eq!(detect(b"MM\0*...."), Some(MediaType::Tiff));
        assert_eq!(detect(b"hello world"), None);
        assert_eq!(detect(b""), None);
    }

    #[test]
    fn cms_is_recognised_in_der_ber_and_pem() {
        let mut der = vec![0x30, 0x82, 0x01, 0x00];
        der.extend_from_slice(&SIGNED_DATA_OID);
        assert_eq!(detect(&der), Some(MediaType::Cms));
        let mut ber = vec![0x30, 0x80];
        ber.extend_from_slice(&SIGNED_DATA_OID);
        assert_eq!(detect(&ber), Some(MediaType::Cms));
        assert_eq!(detect(b"-----BEGIN PKCS7-----\nMIAG"), Some(MediaType::Cms));
        // id-data instead of id-signedData is not a signature.
        let mut data = vec![0x30, 0x80];
        data.extend_from_slice(&[
            0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01,
        ]);
        assert_eq!(detect(&data), None);
    }

    #[test]
    fn claims_are_normalised() {
        assert_eq!(
            MediaType::from_claim("image/jpg"),
            Ok(Some(MediaType::Jpeg))
        );
        assert_eq!(
            MediaType::from_claim("application/pdf; charset=binary"),
            Ok(Some(MediaType::Pdf))
        );
        assert_eq!(MediaType::from_claim("application/octet-stream"), Ok(None));
        assert!(MediaType::from_claim("text/html").is_err());
        assert_eq!(MediaType::from_extension("a.P7S"), Some(MediaType::Cms));
        assert_eq!(MediaType::from_extension("noext"), None);
    }

    #[test]
    fn pdf_tail_needs_startxref_inside_the_file_and_eof() {
        assert_eq!(check_pdf_tail(b"startxref\n120\n%%EOF\n", 500), Ok(()));
        assert_eq!(
            check_pdf_tail(b"startxref\n900\n%%EOF\n", 500),
            Err(PdfProblem::NoStartXref)
        );
        assert_eq!(
            check_pdf_tail(b"startxref\n120\n", 500),
            Err(PdfProblem::NoEof)
        );
        assert_eq!(check_pdf_tail(b"%%EOF", 500), Err(PdfProblem::NoStartXref));
    }

    #[test]
    fn a_pdf_header_with_garbage_does_not_parse() {
        assert!(matches!(
            parse_pdf(b"%PDF-1.7\nthis is not a pdf\n%%EOF\n"),
            Err(PdfProblem::Unreadable(_))
        ));
    }
}
