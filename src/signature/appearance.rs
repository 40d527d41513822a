//! Visible signature blocks, as Decree 30/2020/ND-CP shows an organisation's digital signature:
//! the signing agency and the signing time (date, hh:mm:ss and the +07:00 offset), with an
//! optional seal or signature image; and the stamp of a certified electronic copy ("SAO Y").
//!
//! Owns: the block's text, where it goes on the page, and its appearance stream (a form
//! XObject with the embedded Unicode font). Never signs: `sign` places the block in the
//! signature widget it creates, so the block is covered by the signature it shows.

use lopdf::{Dictionary, Object, ObjectId, Stream, dictionary};

use super::sign::SignError;
use crate::pdf::font::{Font, RepertoireFonts, TextWriter};

/// The default display of the signing time: `28/11/2026 07:12:00 +07:00`.
pub const DEFAULT_TIME_PATTERN: &str =
    "[day]/[month]/[year] [hour]:[minute]:[second] [offset_hour sign:mandatory]:[offset_minute]";

/// Where the block goes on its page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Placement {
    /// A rectangle in PDF points: lower-left x, lower-left y, upper-right x, upper-right y.
    Rect([f32; 4]),
    /// `width` × `height` points in the top right corner, `margin` points from the edges.
    TopRight {
        /// Width in points.
        width: f32,
        /// Height in points.
        height: f32,
        /// Distance from the top and right edges, in points.
        margin: f32,
    },
}

/// A visible signature block.
#[derive(Debug, Clone)]
pub struct Appearance {
    /// The page, counted from 1.
    pub page: usize,
    /// Where on the page.
    pub placement: Placement,
    /// The text, one entry per line (wrapped to the block's width when too long).
    pub lines: Vec<String>,
    /// Lines drawn in bold (the first `bold_lines` lines).
    pub bold_lines: usize,
    /// A seal or handwritten-signature image (PNG, transparency kept), drawn at the block's left.
    pub image: Option<Vec<u8>>,
    /// Text size in points.
    pub font_size: f32,
    /// The text colour (RGB, 0–1).
    pub colour: [f32; 3],
    /// Fonts the document already embeds, used instead of embedding the block's own when its
    /// text keeps to their repertoire (a rendered result's page fonts: about 45 KB saved).
    pub fonts: RepertoireFonts,
}

fn time_text(time: time::OffsetDateTime, pattern: &str) -> Result<String, SignError> {
    let format = time::format_description::parse_borrowed::<2>(pattern)
        .map_err(|e| SignError::Failed(format!("the time display pattern {pattern:?}: {e}")))?;
    time.format(&format)
        .map_err(|e| SignError::Failed(format!("the time display pattern {pattern:?}: {e}")))
}

impl Appearance {
    /// The block of an agency's signature on a result: "Ký bởi: <agency>" and "Thời gian ký:
    /// <time>" shown in Vietnam's time with the offset, by `pattern` (a `time` crate format
    /// description; [`DEFAULT_TIME_PATTERN`] when in doubt).
    pub fn signed_by(
        agency: &str,
        time: time::OffsetDateTime,
        pattern: &str,
        placement: Placement,
    ) -> Result<Self, SignError> {
        let local = time.to_offset(crate::timestamp::VIETNAM);
        Ok(Self {
            fonts: RepertoireFonts::default(),
            page: 1,
            placement,
            lines: vec![
                "Chữ ký số của cơ quan".into(),
                format!("Ký bởi: {agency}"),
                format!("Thời gian ký: {}", time_text(local, pattern)?),
            ],
            bold_lines: 1,
            image: None,
            font_size: 8.0,
            colour: [0.0, 0.0, 0.55],
        })
    }

    /// The stamp of a certified electronic copy of a paper original (bản sao y): the copy
    /// type, the copying agency and the signing time with its offset, top right of page 1.
    pub fn certified_copy(
        agency: &str,
        time: time::OffsetDateTime,
        pattern: &str,
    ) -> Result<Self, SignError> {
        let local = time.to_offset(crate::timestamp::VIETNAM);
        Ok(Self {
            fonts: RepertoireFonts::default(),
            page: 1,
            placement: Placement::TopRight {
                width: 200.0,
                height: 54.0,
                margin: 18.0,
            },
            lines: vec![
                "SAO Y".into(),
                agency.to_owned(),
                format!("Thời gian ký: {}", time_text(local, pattern)?),
            ],
            bold_lines: 1,
            image: None,
            font_size: 8.0,
            colour: [0.75, 0.0, 0.0],
        })
    }

    /// The rectangle on a page whose /MediaBox is `media_box`.
    pub fn rect(&self, media_box: [f32; 4]) -> [f32; 4] {
        match self.placement {
            Placement::Rect(r) => r,
            Placement::TopRight {
                width,
                height,
                margin,
            } => {
                // A page smaller than the stamp gets the stamp across its top.
                let (page_w, page_h) = (media_box[2] - media_box[0], media_box[3] - media_box[1]);
                let margin = margin.min(page_w * 0.05).min(page_h * 0.05).max(0.0);
                let width = width.min(page_w - 2.0 * margin);
                let height = height.min(page_h - 2.0 * margin);
                let (right, top) = (media_box[2], media_box[3]);
                [
                    right - margin - width,
                    top - margin - height,
                    right - margin,
                    top - margin,
                ]
            }
        }
    }

    /// Adds the appearance stream (a form XObject `width` × `height`) to `doc`.
    pub(super) fn build(
        &self,
        doc: &mut lopdf::Document,
        width: f32,
        height: f32,
    ) -> Result<ObjectId, SignError> {
        if !(width > 1.0 && height > 1.0) {
            return Err(SignError::Failed(
                "the signature block has no room on the page".into(),
            ));
        }
        let mut resources = Dictionary::new();
        let mut ops = String::new();
        let pad = 3.0_f32;
        let mut text_left = pad;
        if let Some(png) = &self.image {
            let (image, w, h) = crate::pdf::image::png_xobject(doc, png)
                .map_err(|e| SignError::Failed(format!("the seal image: {e}")))?;
            // The image keeps its aspect ratio within the block's height, at the left.
            let box_h = height - 2.0 * pad;
            let scale = (box_h / h as f32).min((width * 0.4) / w as f32);
            let (dw, dh) = (w as f32 * scale, h as f32 * scale);
            ops.push_str(&format!(
                "q {dw:.3} 0 0 {dh:.3} {pad:.3} {:.3} cm /Im1 Do Q\n",
                (height - dh) / 2.0
            ));
            resources.set("XObject", dictionary! { "Im1" => Object::Reference(image) });
            text_left += dw + pad;
        }
        let regular = Font::regular();
        let bold = Font::bold();
        let mut writer = TextWriter::new(regular);
        let mut bold_writer = TextWriter::new(bold);
        let size = self.font_size;
        let leading = size * 1.25;
        let avail = width - text_left - pad;
        let mut lines: Vec<(bool, String)> = Vec::new();
        for (i, line) in self.lines.iter().enumerate() {
            let is_bold = i < self.bold_lines;
            let font = if is_bold { bold } else { regular };
            for part in crate::pdf::font::wrap(font, line, size, avail) {
                lines.push((is_bold, part));
            }
        }
        // A thin frame, then the lines from the top.
        let [r, g, b] = self.colour;
        ops.push_str(&format!(
            "q {r} {g} {b} RG 0.8 w 0.5 0.5 {:.3} {:.3} re S Q\n",
            width - 1.0,
            height - 1.0
        ));
        ops.push_str(&format!("BT {r} {g} {b} rg\n"));
        let mut y = height - pad - regular.ascent(size);
        for (is_bold, line) in &lines {
            let (name, encoded) = if *is_bold {
                ("F2", bold_writer.encode(line))
            } else {
                ("F1", writer.encode(line))
            };
            ops.push_str(&format!(
                "/{name} {size} Tf 1 0 0 1 {text_left:.3} {y:.3} Tm {} Tj\n",
                String::from_utf8_lossy(&encoded)
            ));
            y -= leading;
        }
        ops.push_str("ET\n");
        let font_err = |e: crate::pdf::font::FontError| SignError::Failed(e.to_string());
        let mut embed = |writer: TextWriter<'_>, existing: Option<ObjectId>| match existing {
            Some(id) if writer.is_repertoire_only() => Ok(id),
            _ => writer.embed(doc).map_err(font_err),
        };
        let mut fonts = Dictionary::new();
        if lines.iter().any(|(b, _)| !b) {
            fonts.set("F1", Object::Reference(embed(writer, self.fonts.regular)?));
        }
        if lines.iter().any(|(b, _)| *b) {
            fonts.set(
                "F2",
                Object::Reference(embed(bold_writer, self.fonts.bold)?),
            );
        }
        resources.set("Font", fonts);
        let form = Stream::new(
            dictionary! {
                "Type" => "XObject",
                "Subtype" => "Form",
                "BBox" => vec![0.into(), 0.into(), width.into(), height.into()],
                "Resources" => resources,
            },
            ops.into_bytes(),
        );
        Ok(doc.add_object(form))
    }
}
