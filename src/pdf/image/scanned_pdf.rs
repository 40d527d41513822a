//! Scans handed in as a PDF (a counter scanner's output): for each page, the resolution and
//! colour of its largest image, so that the same rules (200 dpi, colour) can be applied to them as
//! to JPEG, PNG and TIFF scans.
//!
//! Owns: the page's size (/MediaBox, inherited through the page tree), its image XObjects'
//! sizes and colour spaces.
//!
//! Never: reads the PDF other than through `pdf::load` and its budgets; decodes an image stream
//! (only the image dictionaries are read); follows the page tree more than 32 levels up.

use super::Colour;
use crate::pdf::load;

/// One page of a scanned PDF, as its largest image shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct PdfPageScan {
    /// The page, from 1.
    pub page: u32,
    /// The largest image's resolution on the page, pixels over the page's size in inches
    /// (a scanner's PDF is one full-page image per page); `None` for a page with no image.
    pub dpi: Option<(f32, f32)>,
    /// That image's colour model (1-bit images and /DeviceGray count as gray).
    pub colour: Option<Colour>,
}

/// What the pages of a scanned PDF are: for each page, the resolution and colour of its largest
/// image, judged against the page's /MediaBox.
pub fn inspect_pdf(bytes: &[u8]) -> Result<Vec<PdfPageScan>, String> {
    use lopdf::Object;
    let doc = load(bytes).map_err(|e| e.to_string())?;
    let mut pages = Vec::new();
    for (number, page_id) in doc.get_pages() {
        let page = doc.get_dictionary(page_id).map_err(|e| e.to_string())?;
        let media = inherited(&doc, page, b"MediaBox")
            .and_then(|o| o.as_array().ok().cloned())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_float().ok())
                    .collect::<Vec<f32>>()
            })
            .filter(|v| v.len() == 4)
            .map_or((595.0, 842.0), |v| {
                ((v[2] - v[0]).abs(), (v[3] - v[1]).abs())
            });
        let resources = inherited(&doc, page, b"Resources")
            .and_then(|o| deref(&doc, o).as_dict().ok().cloned());
        let mut best: Option<(u64, f32, f32, Colour)> = None;
        if let Some(xobjects) = resources
            .as_ref()
            .and_then(|r| r.get(b"XObject").ok())
            .and_then(|x| deref(&doc, x).as_dict().ok())
        {
            for (_, x) in xobjects.iter() {
                let Ok(stream) = deref(&doc, x).as_stream() else {
                    continue;
                };
                let d = &stream.dict;
                if d.get(b"Subtype").and_then(Object::as_name).ok() != Some(b"Image".as_slice()) {
                    continue;
                }
                let num = |k: &[u8]| d.get(k).ok().and_then(|v| v.as_i64().ok()).unwrap_or(0);
                let (w, h) = (num(b"Width").max(0) as u64, num(b"Height").max(0) as u64);
                let colour = if num(b"BitsPerComponent") == 1 || d.get(b"ImageMask").is_ok() {
                    Colour::Gray
                } else {
                    colour_of(&doc, d.get(b"ColorSpace").ok())
                };
                if best.is_none_or(|(area, ..)| w * h > area) {
                    best = Some((w * h, w as f32, h as f32, colour));
                }
            }
        }
        pages.push(PdfPageScan {
            page: number,
            dpi: best.map(|(_, w, h, _)| {
                let dpi = |px: f32, pt: f32| (px / (pt / 72.0) * 100.0).round() / 100.0;
                (dpi(w, media.0), dpi(h, media.1))
            }),
            colour: best.map(|(.., c)| c),
        });
    }
    Ok(pages)
}

fn deref<'a>(doc: &'a lopdf::Document, o: &'a lopdf::Object) -> &'a lopdf::Object {
    match o {
        lopdf::Object::Reference(id) => doc.get_object(*id).unwrap_or(o),
        _ => o,
    }
}

/// A page attribute, looked up through the page tree (at most 32 levels).
fn inherited<'a>(
    doc: &'a lopdf::Document,
    page: &'a lopdf::Dictionary,
    key: &[u8],
) -> Option<&'a lopdf::Object> {
    let mut node = Some(page);
    for _ in 0..32 {
        let dict = node?;
        if let Ok(v) = dict.get(key) {
            return Some(deref(doc, v));
        }
        node = dict
            .get(b"Parent")
            .and_then(lopdf::Object::as_reference)
            .ok()
            .and_then(|id| doc.get_dictionary(id).ok());
    }
    None
}

fn colour_of(doc: &lopdf::Document, space: Option<&lopdf::Object>) -> Colour {
    use lopdf::Object;
    let Some(space) = space.map(|s| deref(doc, s)) else {
        return Colour::Gray;
    };
    match space {
        Object::Name(n) => match n.as_slice() {
            b"DeviceGray" | b"CalGray" => Colour::Gray,
            b"DeviceCMYK" => Colour::Cmyk,
            _ => Colour::Rgb,
        },
        Object::Array(a) => match a.first().and_then(|n| n.as_name().ok()) {
            Some(b"Indexed") => Colour::Indexed,
            Some(b"ICCBased") => {
                let n = a
                    .get(1)
                    .map(|s| deref(doc, s))
                    .and_then(|s| s.as_stream().ok())
                    .and_then(|s| s.dict.get(b"N").ok())
                    .and_then(|n| n.as_i64().ok());
                match n {
                    Some(1) => Colour::Gray,
                    Some(4) => Colour::Cmyk,
                    _ => Colour::Rgb,
                }
            }
            Some(b"CalGray") => Colour::Gray,
            _ => Colour::Rgb,
        },
        _ => Colour::Rgb,
    }
}
