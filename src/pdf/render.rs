//! Result documents (văn bản kết quả) rendered as one-page A4 PDFs aimed at PDF/A-2b.
//!
//! Owns: the templates (national heading, title, numbers, body fields, place and date line, QR
//! code with the verification URL) laid out after the presentation rules for official documents
//! of Decree 30/2020/ND-CP (Annex I: margins, heading, date wording), and the PDF/A-2b
//! furniture (ISO 19005-2): XMP metadata matching /Info, an sRGB output intent, embedded subset
//! fonts with /ToUnicode, a trailer /ID. The output is deterministic: the same input gives the
//! same bytes. An empty area at the bottom right ([`signature_area`]) is kept for the visible
//! signature that signing adds in a later revision.
//! Never does: I/O, signing, choosing the result code or the verification URL.

use std::sync::OnceLock;

use lopdf::{Dictionary, Document, Object, Stream, StringFormat};
use sha2::{Digest, Sha256};
use time::{Date, OffsetDateTime, UtcOffset, macros::offset};

use super::font::{Font, FontError, RepertoireFonts, TextWriter, text_string, wrap};
use super::qr::{QrError, num, push_num, qr_ops};

/// The sRGB profile of the output intent (zlib licence, see `assets/icc/SOURCE.md`).
static SRGB_ICC: &[u8] = include_bytes!("../../assets/icc/sRGB.icc");

/// Dates on the document are Vietnam's (UTC+7, no daylight saving time).
const VIETNAM: UtcOffset = offset!(+7);

/// Points per millimetre.
const MM: f32 = 72.0 / 25.4;
/// A4 portrait, in points.
const PAGE: [f32; 2] = [210.0 * MM, 297.0 * MM];
/// Margins of Decree 30/2020/ND-CP, Annex I §I.5: top and bottom 20–25 mm, left 30–35 mm,
/// right 15–20 mm. The smallest of each leaves the most room for the body.
const TOP: f32 = 20.0 * MM;
const BOTTOM: f32 = 20.0 * MM;
const LEFT: f32 = 30.0 * MM;
const RIGHT: f32 = 15.0 * MM;
const TEXT_WIDTH: f32 = PAGE[0] - LEFT - RIGHT;
/// The heading's left column (issuing agency, numbers); the right one holds the national name.
const LEFT_COLUMN: f32 = 0.40 * TEXT_WIDTH;
const COLUMN_GAP: f32 = 8.0;
/// The body's label column; values wrap in the rest.
const LABEL_COLUMN: f32 = 150.0;
/// Sizes in points.
const HEADING_SIZE: f32 = 11.0;
const TITLE_SIZE: f32 = 14.0;
const BODY_SIZE: f32 = 11.0;
const URL_SIZE: f32 = 7.0;
const MIN_URL_SIZE: f32 = 5.5;
/// How far below a baseline the rules under the heading run: clear of the dots below
/// letters such as "Ộ".
const RULE_DROP: f32 = 5.0;
/// Baseline to baseline, as a multiple of the size.
const LEADING: f32 = 1.3;
/// The QR code with its quiet zone: 30 mm square.
const QR_SIZE: f32 = 30.0 * MM;
/// The visible signature block added by signing: about 80 × 35 mm at the bottom right.
const SIGNATURE: [f32; 2] = [80.0 * MM, 35.0 * MM];
/// Shear of the text matrix that slants the place and date line (DejaVu Sans has no italic
/// built in; ~12°, the slant of DejaVu Sans Oblique).
const OBLIQUE: f32 = 0.21;

/// Why a result document cannot be rendered.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// A field that every result document prints is empty.
    #[error("the field {0} is empty")]
    MissingField(&'static str),
    /// A character has no glyph in the built-in fonts (it would be printed as a replacement).
    #[error("the field {field} contains {character:?} (U+{:04X}), which the font cannot print", u32::from(*.character))]
    UnsupportedCharacter {
        /// The field, or `fields[i]` for a body field.
        field: String,
        /// The first such character.
        character: char,
    },
    /// The text does not fit on one page above the QR code and the signature area.
    #[error("the document does not fit on one page ({0:.0} points too long)")]
    TooLong(f32),
    /// The QR code cannot be made.
    #[error(transparent)]
    Qr(#[from] QrError),
    /// A font cannot be embedded.
    #[error(transparent)]
    Font(#[from] FontError),
    /// lopdf failed to write the file.
    #[error("writing the PDF failed: {0}")]
    Write(String),
}

/// The kind of result, which gives the default title and wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResultKind {
    /// Business registration certificate (giấy chứng nhận đăng ký doanh nghiệp).
    BusinessRegistration,
    /// Birth registration (giấy khai sinh).
    BirthRegistration,
    /// Receipt of a dossier with the date the result is due (giấy tiếp nhận hồ sơ và hẹn trả
    /// kết quả).
    DossierReceipt,
    /// Notice of the outcome of a procedure (thông báo kết quả giải quyết thủ tục hành chính):
    /// the result of a procedure that has no template of its own.
    OutcomeNotice,
}

impl ResultKind {
    /// Every kind.
    pub const ALL: [ResultKind; 4] = [
        Self::BusinessRegistration,
        Self::BirthRegistration,
        Self::DossierReceipt,
        Self::OutcomeNotice,
    ];

    /// The name the API and the procedure catalogue use, e.g. `birth_registration`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BusinessRegistration => "business_registration",
            Self::BirthRegistration => "birth_registration",
            Self::DossierReceipt => "dossier_receipt",
            Self::OutcomeNotice => "outcome_notice",
        }
    }

    /// The kind named `name` ([`Self::as_str`]).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The title printed when [`ResultDocument::title`] is empty.
    pub fn default_title(self) -> &'static str {
        match self {
            ResultKind::BusinessRegistration => "GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP",
            ResultKind::BirthRegistration => "GIẤY KHAI SINH",
            ResultKind::DossierReceipt => "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
            ResultKind::OutcomeNotice => "THÔNG BÁO KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH",
        }
    }

    /// The sentence that opens the body.
    pub fn intro(self) -> &'static str {
        match self {
            ResultKind::BusinessRegistration => {
                "Căn cứ hồ sơ đăng ký doanh nghiệp, cơ quan đăng ký kinh doanh chứng nhận:"
            }
            ResultKind::BirthRegistration => "Chứng nhận việc đăng ký khai sinh như sau:",
            ResultKind::DossierReceipt => {
                "Bộ phận Tiếp nhận và Trả kết quả đã tiếp nhận hồ sơ như sau:"
            }
            ResultKind::OutcomeNotice => {
                "Cơ quan có thẩm quyền thông báo kết quả giải quyết thủ tục hành chính như sau:"
            }
        }
    }
}

/// What a result document prints. Plain data: [`render`] checks it.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultDocument {
    /// The kind of result.
    pub kind: ResultKind,
    /// Result code (số), `<dossier code>-KQ<n>`, e.g. `HN-261128-0001-KQ1`.
    pub result_code: String,
    /// Dossier code (mã hồ sơ).
    pub dossier_code: String,
    /// The issuing agency, e.g. "Sở Kế hoạch và Đầu tư Thành phố Hà Nội"; printed in capitals.
    pub agency: String,
    /// The title, e.g. "GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP"; the kind's default when empty.
    pub title: String,
    /// Label/value pairs printed as the body, in order; long values wrap.
    pub fields: Vec<(String, String)>,
    /// The place of the place and date line (địa danh), e.g. "Hà Nội".
    pub place: String,
    /// When the result was issued; printed in Vietnam time, and the document's creation date.
    pub issued_at: OffsetDateTime,
    /// The date the result is due (ngày hẹn trả kết quả); printed on receipts only.
    pub due_date: Option<Date>,
    /// The verification URL, encoded in the QR code and printed beneath it.
    pub verify_url: String,
}

/// The rectangle `[x0, y0, x1, y1]` (PDF points, lower-left origin) kept empty at the bottom
/// right of the page for the visible signature block.
pub fn signature_area() -> [f32; 4] {
    let x1 = PAGE[0] - RIGHT;
    [x1 - SIGNATURE[0], BOTTOM, x1, BOTTOM + SIGNATURE[1]]
}

/// Renders `doc` as a one-page A4 PDF 1.7 aimed at PDF/A-2b.
pub fn render(doc: &ResultDocument) -> Result<Vec<u8>, RenderError> {
    render_parsed(doc).map(|r| r.bytes)
}

/// A rendered file, with the document it was written from: what signing it as an incremental
/// update needs, without parsing the file again.
#[derive(Debug)]
pub struct Rendered {
    /// The file.
    pub bytes: Vec<u8>,
    /// The objects and trailer `bytes` holds, `xref_start` set to its cross-reference table.
    pub document: Document,
    /// The page's fonts, for a signature block to use instead of embedding its own.
    pub fonts: RepertoireFonts,
}

/// [`render`], keeping the document (see [`Rendered`]).
pub fn render_parsed(doc: &ResultDocument) -> Result<Rendered, RenderError> {
    check(doc)?;
    let regular = Font::regular();
    let bold = Font::bold();
    let mut page = Page {
        ops: Vec::with_capacity(16 * 1024),
        regular: TextWriter::new(regular),
        bold: TextWriter::new(bold),
    };

    // National heading (Annex I §II.1–§II.2): the agency on the left, the national name and
    // motto on the right, each centred in its column and underlined by a rule.
    let right_x = LEFT + LEFT_COLUMN + COLUMN_GAP;
    let right_width = TEXT_WIDTH - LEFT_COLUMN - COLUMN_GAP;
    let top = PAGE[1] - TOP - bold.ascent(HEADING_SIZE);
    let mut y_left = top;
    let agency = doc.agency.to_uppercase();
    let agency_lines = wrap(bold, &agency, HEADING_SIZE, LEFT_COLUMN);
    for line in &agency_lines {
        page.centred(Face::Bold, line, HEADING_SIZE, LEFT, LEFT_COLUMN, y_left);
        y_left -= HEADING_SIZE * LEADING;
    }
    let rule_y = y_left + HEADING_SIZE * LEADING - RULE_DROP;
    page.rule(
        LEFT + LEFT_COLUMN / 3.0,
        LEFT + 2.0 * LEFT_COLUMN / 3.0,
        rule_y,
    );

    let mut y_right = top;
    let nation = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM";
    let nation_size = fit(bold, nation, HEADING_SIZE, right_width);
    page.centred(
        Face::Bold,
        nation,
        nation_size,
        right_x,
        right_width,
        y_right,
    );
    y_right -= HEADING_SIZE * LEADING;
    let motto = "Độc lập - Tự do - Hạnh phúc";
    let motto_size = fit(bold, motto, HEADING_SIZE + 1.0, right_width);
    let motto_width = page.centred(Face::Bold, motto, motto_size, right_x, right_width, y_right);
    let motto_x = right_x + (right_width - motto_width) / 2.0;
    page.rule(motto_x, motto_x + motto_width, y_right - RULE_DROP);
    y_right -= HEADING_SIZE * LEADING;

    // Number and dossier code under the agency; place and date under the motto.
    let mut y = y_left.min(y_right) - 12.0;
    let numbers = [
        format!("Số: {}", doc.result_code.trim()),
        format!("Mã hồ sơ: {}", doc.dossier_code.trim()),
    ];
    let mut y_numbers = y;
    for text in &numbers {
        for line in wrap(regular, text, BODY_SIZE, LEFT_COLUMN) {
            page.centred(
                Face::Regular,
                &line,
                BODY_SIZE,
                LEFT,
                LEFT_COLUMN,
                y_numbers,
            );
            y_numbers -= BODY_SIZE * LEADING;
        }
    }
    let date_line = place_and_date(&doc.place, doc.issued_at);
    for line in wrap(regular, &date_line, BODY_SIZE, right_width) {
        let width = regular.text_width(&line, BODY_SIZE);
        let x = right_x + (right_width - width) / 2.0;
        page.text_matrix(
            Face::Regular,
            &line,
            BODY_SIZE,
            [1.0, 0.0, OBLIQUE, 1.0, x, y],
        );
        y -= BODY_SIZE * LEADING;
    }
    y = y.min(y_numbers) - 24.0;

    // Title (Annex I §II.4), centred, bold.
    let title = match doc.title.trim() {
        "" => doc.kind.default_title(),
        t => t,
    };
    for line in wrap(bold, title, TITLE_SIZE, TEXT_WIDTH) {
        page.centred(Face::Bold, &line, TITLE_SIZE, LEFT, TEXT_WIDTH, y);
        y -= TITLE_SIZE * LEADING;
    }
    y -= 12.0;

    // Body: the kind's opening sentence, then label/value rows.
    for line in wrap(regular, doc.kind.intro(), BODY_SIZE, TEXT_WIDTH) {
        page.left(Face::Regular, &line, BODY_SIZE, LEFT, y);
        y -= BODY_SIZE * LEADING;
    }
    y -= 4.0;
    let mut rows: Vec<(String, String)> = doc.fields.clone();
    if doc.kind == ResultKind::DossierReceipt
        && let Some(due) = doc.due_date
    {
        rows.push(("Ngày hẹn trả kết quả".into(), dd_mm_yyyy(due)));
    }
    for (label, value) in &rows {
        let label = format!("{}:", label.trim().trim_end_matches(':'));
        let labels = wrap(regular, &label, BODY_SIZE, LABEL_COLUMN - COLUMN_GAP);
        let values = wrap(bold, value, BODY_SIZE, TEXT_WIDTH - LABEL_COLUMN);
        for (i, line) in labels.iter().enumerate() {
            page.left(
                Face::Regular,
                line,
                BODY_SIZE,
                LEFT,
                y - i as f32 * BODY_SIZE * LEADING,
            );
        }
        for (i, line) in values.iter().enumerate() {
            let line_y = y - i as f32 * BODY_SIZE * LEADING;
            page.left(Face::Bold, line, BODY_SIZE, LEFT + LABEL_COLUMN, line_y);
        }
        y -= labels.len().max(values.len()).max(1) as f32 * BODY_SIZE * LEADING + 3.0;
    }

    // Footer: the QR code at the bottom left with the URL beneath it, the signature area at
    // the bottom right. The body must end above both.
    let signature = signature_area();
    let url_width = signature[0] - LEFT - COLUMN_GAP;
    // One line if the URL fits at a readable size, else wrapped.
    let url_size = fit(regular, doc.verify_url.trim(), URL_SIZE, url_width).max(MIN_URL_SIZE);
    let url_lines = wrap(regular, &doc.verify_url, url_size, url_width);
    let url_leading = url_size * LEADING;
    let mut url_y =
        BOTTOM - regular.descent(url_size) + (url_lines.len() as f32 - 1.0) * url_leading;
    for line in &url_lines {
        page.left(Face::Regular, line, url_size, LEFT, url_y);
        url_y -= url_leading;
    }
    let qr_y = BOTTOM + url_lines.len() as f32 * url_leading + 2.0;
    page.ops
        .extend_from_slice(&qr_ops(doc.verify_url.trim(), LEFT, qr_y, QR_SIZE)?);
    let floor = (qr_y + QR_SIZE).max(signature[3]) + 6.0;
    let lowest_descent = y + BODY_SIZE * LEADING + regular.descent(BODY_SIZE);
    if lowest_descent < floor {
        return Err(RenderError::TooLong(floor - lowest_descent));
    }

    let link = doc.verify_url.is_ascii().then(|| {
        [
            LEFT,
            BOTTOM,
            LEFT + QR_SIZE.max(
                url_width.min(
                    url_lines
                        .iter()
                        .map(|l| regular.text_width(l, url_size))
                        .fold(0.0, f32::max),
                ),
            ),
            qr_y + QR_SIZE,
        ]
    });
    assemble(doc, title, page, link)
}

/// Rejects what would print wrongly: empty required fields, characters without a glyph.
fn check(doc: &ResultDocument) -> Result<(), RenderError> {
    for (name, value) in [
        ("result_code", &doc.result_code),
        ("dossier_code", &doc.dossier_code),
        ("agency", &doc.agency),
        ("verify_url", &doc.verify_url),
    ] {
        if value.trim().is_empty() {
            return Err(RenderError::MissingField(name));
        }
    }
    let regular = Font::regular();
    let bold = Font::bold();
    let printable = |field: String, text: &str, font: &Font| -> Result<(), RenderError> {
        let visible: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        match font.missing_chars(&visible).first() {
            Some(&character) => Err(RenderError::UnsupportedCharacter { field, character }),
            None => Ok(()),
        }
    };
    printable("agency".into(), &doc.agency.to_uppercase(), bold)?;
    printable("title".into(), &doc.title, bold)?;
    printable("result_code".into(), &doc.result_code, regular)?;
    printable("dossier_code".into(), &doc.dossier_code, regular)?;
    printable("place".into(), &doc.place, regular)?;
    printable("verify_url".into(), &doc.verify_url, regular)?;
    for (i, (label, value)) in doc.fields.iter().enumerate() {
        printable(format!("fields[{i}]"), label, regular)?;
        printable(format!("fields[{i}]"), value, bold)?;
    }
    Ok(())
}

/// "Hà Nội, ngày 05 tháng 01 năm 2026": Annex I §II.3 of Decree 30/2020/ND-CP writes days
/// below 10 and the months 1 and 2 with a leading zero.
fn place_and_date(place: &str, at: OffsetDateTime) -> String {
    let date = at.to_offset(VIETNAM).date();
    let month = u8::from(date.month());
    let month = if month <= 2 {
        format!("{month:02}")
    } else {
        month.to_string()
    };
    let when = format!("ngày {:02} tháng {month} năm {}", date.day(), date.year());
    match place.trim() {
        "" => format!("N{}", &when[1..]),
        place => format!("{place}, {when}"),
    }
}

fn dd_mm_yyyy(date: Date) -> String {
    format!(
        "{:02}/{:02}/{}",
        date.day(),
        u8::from(date.month()),
        date.year()
    )
}

/// The largest size up to `size` at which `text` fits in `width`.
fn fit(font: &Font, text: &str, size: f32, width: f32) -> f32 {
    let natural = font.text_width(text, size);
    if natural <= width {
        size
    } else {
        size * width / natural
    }
}

#[derive(Clone, Copy)]
enum Face {
    Regular,
    Bold,
}

/// The page's content stream and the glyphs it uses.
struct Page {
    ops: Vec<u8>,
    regular: TextWriter<'static>,
    bold: TextWriter<'static>,
}

impl Page {
    /// Shows `text` with the text matrix `m`.
    fn text_matrix(&mut self, face: Face, text: &str, size: f32, m: [f32; 6]) {
        let (name, writer) = match face {
            Face::Regular => ("F1", &mut self.regular),
            Face::Bold => ("F2", &mut self.bold),
        };
        let operand = writer.encode(text);
        let mut line = String::with_capacity(80);
        line.push_str("BT\n/");
        line.push_str(name);
        line.push(' ');
        push_num(&mut line, size);
        line.push_str(" Tf\n");
        for v in m {
            push_num(&mut line, v);
            line.push(' ');
        }
        line.push_str("Tm\n");
        self.ops.extend_from_slice(line.as_bytes());
        self.ops.extend_from_slice(&operand);
        self.ops.extend_from_slice(b" Tj\nET\n");
    }

    fn left(&mut self, face: Face, text: &str, size: f32, x: f32, y: f32) {
        self.text_matrix(face, text, size, [1.0, 0.0, 0.0, 1.0, x, y]);
    }

    /// Shows `text` centred in the column `[x, x + width]`; returns its width.
    fn centred(&mut self, face: Face, text: &str, size: f32, x: f32, width: f32, y: f32) -> f32 {
        let font = match face {
            Face::Regular => self.regular.font(),
            Face::Bold => self.bold.font(),
        };
        let w = font.text_width(text, size);
        self.left(face, text, size, x + (width - w) / 2.0, y);
        w
    }

    /// A horizontal rule, 0.6 pt thick.
    fn rule(&mut self, x0: f32, x1: f32, y: f32) {
        self.ops.extend_from_slice(
            format!(
                "q\n0 G\n0.6 w\n{} {} m\n{} {} l\nS\nQ\n",
                num(x0),
                num(y),
                num(x1),
                num(y)
            )
            .as_bytes(),
        );
    }
}

/// Builds the file: catalog with XMP metadata and output intent, the page, the fonts, /Info
/// and a trailer /ID derived from the content.
fn assemble(
    doc: &ResultDocument,
    title: &str,
    page: Page,
    link: Option<[f32; 4]>,
) -> Result<Rendered, RenderError> {
    let mut pdf = Document::with_version("1.7");
    let issued = doc
        .issued_at
        .to_offset(VIETNAM)
        .replace_nanosecond(0)
        .unwrap_or(doc.issued_at);
    let xmp = xmp_packet(title, issued);

    // The /ID is a hash of what the file shows and says about itself, so identical input
    // gives an identical file (ISO 32000-1 §14.4 allows any identifier, ISO 19005-2 §6.1.3
    // requires one).
    let mut id = Sha256::new();
    id.update(&page.ops);
    id.update(&xmp);
    id.update(doc.verify_url.as_bytes());
    let id = id.finalize()[..16].to_vec();

    let (regular_only, bold_only) = (
        page.regular.is_repertoire_only(),
        page.bold.is_repertoire_only(),
    );
    let regular = page.regular.embed(&mut pdf)?;
    let bold = page.bold.embed(&mut pdf)?;
    let fonts = RepertoireFonts {
        regular: regular_only.then_some(regular),
        bold: bold_only.then_some(bold),
    };

    let content = Stream::new(
        Dictionary::from_iter([("Filter", Object::Name(b"FlateDecode".to_vec()))]),
        deflate(&page.ops)?,
    );
    let content_id = pdf.add_object(content);

    let icc_id = pdf.add_object(icc_profile()?);

    // The metadata stream stays unfiltered so any reader can find the PDF/A claim.
    let mut metadata = Stream::new(
        Dictionary::from_iter([
            ("Type", Object::Name(b"Metadata".to_vec())),
            ("Subtype", Object::Name(b"XML".to_vec())),
        ]),
        xmp,
    );
    metadata.allows_compression = false;
    let metadata_id = pdf.add_object(metadata);

    let pages_id = pdf.new_object_id();
    let mut page_dict = Dictionary::from_iter([
        ("Type", Object::Name(b"Page".to_vec())),
        ("Parent", Object::Reference(pages_id)),
        (
            "MediaBox",
            Object::Array(vec![
                Object::Integer(0),
                Object::Integer(0),
                Object::Real(round2(PAGE[0])),
                Object::Real(round2(PAGE[1])),
            ]),
        ),
        (
            "Resources",
            Object::Dictionary(Dictionary::from_iter([(
                "Font",
                Object::Dictionary(Dictionary::from_iter([
                    ("F1", Object::Reference(regular)),
                    ("F2", Object::Reference(bold)),
                ])),
            )])),
        ),
        ("Contents", Object::Reference(content_id)),
    ]);
    if let Some(rect) = link {
        // A Link annotation needs no appearance stream in PDF/A-2 (ISO 19005-2 §6.3.3) but
        // must be printable (/F 4, §6.3.2).
        let annotation = pdf.add_object(Dictionary::from_iter([
            ("Type", Object::Name(b"Annot".to_vec())),
            ("Subtype", Object::Name(b"Link".to_vec())),
            (
                "Rect",
                Object::Array(rect.iter().map(|v| Object::Real(round2(*v))).collect()),
            ),
            ("F", Object::Integer(4)),
            (
                "Border",
                Object::Array(vec![
                    Object::Integer(0),
                    Object::Integer(0),
                    Object::Integer(0),
                ]),
            ),
            (
                "A",
                Object::Dictionary(Dictionary::from_iter([
                    ("S", Object::Name(b"URI".to_vec())),
                    ("URI", Object::string_literal(doc.verify_url.trim())),
                ])),
            ),
        ]));
        page_dict.set("Annots", Object::Array(vec![Object::Reference(annotation)]));
    }
    let page_id = pdf.add_object(page_dict);
    pdf.objects.insert(
        pages_id,
        Object::Dictionary(Dictionary::from_iter([
            ("Type", Object::Name(b"Pages".to_vec())),
            ("Kids", Object::Array(vec![Object::Reference(page_id)])),
            ("Count", Object::Integer(1)),
        ])),
    );

    let output_intent = Dictionary::from_iter([
        ("Type", Object::Name(b"OutputIntent".to_vec())),
        ("S", Object::Name(b"GTS_PDFA1".to_vec())),
        (
            "OutputConditionIdentifier",
            Object::string_literal("sRGB IEC61966-2.1"),
        ),
        ("Info", Object::string_literal("sRGB IEC61966-2.1")),
        ("DestOutputProfile", Object::Reference(icc_id)),
    ]);
    let catalog = pdf.add_object(Dictionary::from_iter([
        ("Type", Object::Name(b"Catalog".to_vec())),
        ("Pages", Object::Reference(pages_id)),
        ("Metadata", Object::Reference(metadata_id)),
        (
            "OutputIntents",
            Object::Array(vec![Object::Dictionary(output_intent)]),
        ),
        ("Lang", Object::string_literal("vi-VN")),
        (
            "ViewerPreferences",
            Object::Dictionary(Dictionary::from_iter([(
                "DisplayDocTitle",
                Object::Boolean(true),
            )])),
        ),
    ]));

    let date = pdf_date(issued);
    let info = pdf.add_object(Dictionary::from_iter([
        ("Title", text_string(title)),
        ("Creator", Object::string_literal(CREATOR)),
        ("Producer", Object::string_literal(CREATOR)),
        ("CreationDate", Object::string_literal(date.clone())),
        ("ModDate", Object::string_literal(date)),
    ]));

    pdf.trailer.set("Root", Object::Reference(catalog));
    pdf.trailer.set("Info", Object::Reference(info));
    pdf.trailer.set(
        "ID",
        Object::Array(vec![
            Object::String(id.clone(), StringFormat::Hexadecimal),
            Object::String(id, StringFormat::Hexadecimal),
        ]),
    );

    // A classic cross-reference table and no object streams: the widest compatibility, and
    // what lopdf then keeps for the signature's incremental update.
    pdf.reference_table.cross_reference_type = lopdf::xref::XrefType::CrossReferenceTable;
    let mut out = Vec::new();
    pdf.save_to(&mut out)
        .map_err(|e| RenderError::Write(e.to_string()))?;
    // lopdf sets `xref_start` only when reading; an incremental update's /Prev needs it.
    pdf.xref_start =
        startxref(&out).ok_or_else(|| RenderError::Write("no startxref written".into()))?;
    Ok(Rendered {
        bytes: out,
        document: pdf,
        fonts,
    })
}

/// The offset after the last `startxref` keyword of a file.
fn startxref(file: &[u8]) -> Option<usize> {
    let tail = &file[file.len().saturating_sub(64)..];
    let at = tail.windows(9).rposition(|w| w == b"startxref")?;
    std::str::from_utf8(&tail[at + 9..])
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// `data` zlib-compressed for /FlateDecode at the fast level: on a page's operators it comes
/// within a fifth of the best level's size in well under half its time. Each thread keeps its
/// compressor (a new one allocates and clears a few hundred KiB of tables).
fn deflate(data: &[u8]) -> Result<Vec<u8>, RenderError> {
    use flate2::{Compress, Compression, FlushCompress, Status};
    thread_local! {
        static COMPRESSOR: std::cell::RefCell<Compress> =
            std::cell::RefCell::new(Compress::new(Compression::fast(), true));
    }
    COMPRESSOR.with_borrow_mut(|z| {
        z.reset();
        let mut out = Vec::with_capacity(data.len() / 2 + 64);
        loop {
            let read = usize::try_from(z.total_in()).unwrap_or(usize::MAX);
            let status = z
                .compress_vec(
                    &data[read.min(data.len())..],
                    &mut out,
                    FlushCompress::Finish,
                )
                .map_err(|e| RenderError::Write(e.to_string()))?;
            match status {
                Status::StreamEnd => return Ok(out),
                Status::Ok | Status::BufError => out.reserve(out.capacity().max(1024)),
            }
        }
    })
}

/// The output intent's sRGB profile stream, Flate-compressed once per process.
fn icc_profile() -> Result<Stream, RenderError> {
    static ICC: OnceLock<Result<Stream, String>> = OnceLock::new();
    ICC.get_or_init(|| {
        let mut icc = Stream::new(
            Dictionary::from_iter([("N", Object::Integer(3))]),
            SRGB_ICC.to_vec(),
        );
        icc.compress().map_err(|e| e.to_string())?;
        Ok(icc)
    })
    .clone()
    .map_err(RenderError::Write)
}

/// /Creator and /Producer, and their XMP twins xmp:CreatorTool and pdf:Producer.
const CREATOR: &str = "motcua";

fn round2(v: f32) -> f32 {
    (v * 100.0).round() / 100.0
}

/// `D:YYYYMMDDHHmmSS+07'00'` (ISO 32000-1 §7.9.4).
fn pdf_date(at: OffsetDateTime) -> String {
    let (h, m, _) = at.offset().as_hms();
    let sign = if at.offset().is_negative() { '-' } else { '+' };
    format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}{sign}{:02}'{:02}'",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        h.unsigned_abs(),
        m.unsigned_abs()
    )
}

/// `YYYY-MM-DDTHH:mm:SS+07:00`, the XMP date matching [`pdf_date`].
fn xmp_date(at: OffsetDateTime) -> String {
    let (h, m, _) = at.offset().as_hms();
    let sign = if at.offset().is_negative() { '-' } else { '+' };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        h.unsigned_abs(),
        m.unsigned_abs()
    )
}

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The XMP packet (ISO 16684-1) with the PDF/A identification (ISO 19005-2 §6.6.4) and the
/// twins of every /Info entry (§6.6.3).
fn xmp_packet(title: &str, issued: OffsetDateTime) -> Vec<u8> {
    use unicode_normalization::UnicodeNormalization;
    let title = xml_escape(&title.nfc().collect::<String>());
    let date = xmp_date(issued);
    format!(
        "<?xpacket begin=\"\u{FEFF}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n\
<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n\
<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n\
<rdf:Description rdf:about=\"\"\n\
 xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n\
 xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"\n\
 xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\"\n\
 xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\">\n\
<dc:format>application/pdf</dc:format>\n\
<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">{title}</rdf:li></rdf:Alt></dc:title>\n\
<xmp:CreatorTool>{CREATOR}</xmp:CreatorTool>\n\
<xmp:CreateDate>{date}</xmp:CreateDate>\n\
<xmp:ModifyDate>{date}</xmp:ModifyDate>\n\
<pdf:Producer>{CREATOR}</pdf:Producer>\n\
<pdfaid:part>2</pdfaid:part>\n\
<pdfaid:conformance>B</pdfaid:conformance>\n\
</rdf:Description>\n\
</rdf:RDF>\n\
</x:xmpmeta>\n\
<?xpacket end=\"w\"?>"
    )
    .into_bytes()
}
