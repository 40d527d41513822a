//! PDF signatures (PAdES: SubFilter ETSI.CAdES.detached; and adbe.pkcs7.detached): each
//! signature's CMS is verified over exactly the bytes its /ByteRange covers. A signature
//! followed by later revisions passes only when `pdf::changes` finds that they add nothing but
//! what signing, form filling and validation data bring (within a certification signature's
//! DocMDP permissions); annotations make it INDETERMINATE, anything else TOTAL_FAILED, and
//! revisions that cannot be read INDETERMINATE, never "no modifications". A signature over a
//! structurally damaged document is TOTAL_FAILED (FORMAT_FAILURE): its bytes are signed, but
//! what they show cannot be determined.

use crate::pdf;
use crate::pdf::changes::{self, ChangeClass};

use super::cms::{self, Content};
use super::report::{Indication, Report, SignatureReport, SubIndication};
use super::{InputError, VerifyOptions};

/// Judges what later revisions changed after a signature that is otherwise valid.
fn apply_changes(report: &mut SignatureReport, bytes: &[u8], signed_end: u64, docmdp: Option<i64>) {
    let mut fail = |indication, sub, why: String| {
        report.indication = indication;
        report.sub_indication = Some(sub);
        report.errors.push(why);
    };
    // What follows the signature must be a revision a reader reads: the file's last
    // `startxref` must point past the signed bytes, else they are bytes no analysis covers.
    if pdf::read::last_startxref(bytes).is_none_or(|start| (start as u64) < signed_end) {
        fail(
            Indication::Indeterminate,
            SubIndication::SigConstraintsFailure,
            format!(
                "the {} bytes after this signature are not a revision that can be read",
                bytes.len() as u64 - signed_end
            ),
        );
        return;
    }
    match changes::analyse(bytes, signed_end) {
        Err(e) => fail(
            Indication::Indeterminate,
            SubIndication::SigConstraintsFailure,
            format!("the revisions after this signature cannot be analysed: {e}"),
        ),
        Ok(c) => {
            report.modifications = Some(c.class);
            // A certification signature's DocMDP permissions narrow what may follow it.
            let permitted = match docmdp {
                Some(1) => ChangeClass::LtvAdditions,
                Some(3) => ChangeClass::Annotations,
                _ => ChangeClass::SignaturesAndForms,
            };
            if docmdp.is_some() && c.class > permitted && c.class != ChangeClass::Other {
                fail(
                    Indication::TotalFailed,
                    SubIndication::FormatFailure,
                    format!(
                        "the document was certified (DocMDP P={}) and later changes go beyond \
                         what it permits: {}",
                        docmdp.unwrap_or(2),
                        c.details.join("; ")
                    ),
                );
                return;
            }
            let annotations_permitted = docmdp == Some(3);
            match c.class {
                ChangeClass::Annotations if annotations_permitted => {
                    report.warnings.push(format!(
                        "annotations were added, as the certification permits: {}",
                        c.details.join("; ")
                    ));
                }
                ChangeClass::None | ChangeClass::LtvAdditions | ChangeClass::SignaturesAndForms => {
                    if c.class != ChangeClass::None {
                        report.warnings.push(format!(
                            "later revisions only added permitted content: {}",
                            c.details.join("; ")
                        ));
                    }
                }
                ChangeClass::Annotations => fail(
                    Indication::Indeterminate,
                    SubIndication::SigConstraintsFailure,
                    format!(
                        "annotations were added after this signature: {}",
                        c.details.join("; ")
                    ),
                ),
                ChangeClass::Other => fail(
                    Indication::TotalFailed,
                    SubIndication::FormatFailure,
                    format!(
                        "the document was changed after this signature, which no longer stands for \
                         what is shown: {}",
                        c.details.join("; ")
                    ),
                ),
            }
        }
    }
}

const ACCEPTED_SUB_FILTERS: &[&str] = &["ETSI.CAdES.detached", "adbe.pkcs7.detached"];

fn unusable(index: usize, why: String, sub: SubIndication) -> SignatureReport {
    SignatureReport {
        index,
        indication: sub.indication(),
        sub_indication: Some(sub),
        signer: None,
        signing_time: None,
        signing_time_source: "none",
        validation_time: String::new(),
        digest_algorithm: String::new(),
        signature_algorithm: String::new(),
        chain: Vec::new(),
        errors: vec![why],
        warnings: Vec::new(),
        revocation_evidence: Vec::new(),
        byte_range: None,
        covers_whole_file: None,
        modifications: None,
    }
}

/// Verifies every signature of a PDF.
pub fn verify(bytes: &[u8], options: &VerifyOptions) -> Result<Report, InputError> {
    let pdf::Signatures { found, damage } =
        pdf::signatures_in(bytes).map_err(|e| InputError::NotPdf(e.to_string()))?;
    if found.is_empty() {
        return match damage {
            Some(why) => Err(InputError::NotPdf(pdf::PdfError::Damaged(why).to_string())),
            None => Err(InputError::NoSignature),
        };
    }
    let mut reports = Vec::new();
    for (index, sig) in found.iter().enumerate() {
        if let Some(problem) = &sig.problem {
            reports.push(unusable(
                index,
                problem.clone(),
                SubIndication::FormatFailure,
            ));
            continue;
        }
        if !ACCEPTED_SUB_FILTERS.contains(&sig.sub_filter.as_str()) {
            reports.push(unusable(
                index,
                format!("SubFilter {:?} is not supported", sig.sub_filter),
                SubIndication::FormatFailure,
            ));
            continue;
        }
        let (Some(der), Some(signed)) = (&sig.cms, pdf::signed_parts(bytes, &sig.byte_range))
        else {
            reports.push(unusable(
                index,
                "the signed bytes cannot be read".into(),
                SubIndication::FormatFailure,
            ));
            continue;
        };
        let mut report = match cms::verify_claimed(
            der,
            Some(Content::Parts(&signed)),
            options,
            sig.claimed_time,
        ) {
            Ok(r) => match r.signatures.into_iter().next() {
                Some(mut s) => {
                    s.index = index;
                    s
                }
                None => unusable(
                    index,
                    "the CMS holds no signer".into(),
                    SubIndication::FormatFailure,
                ),
            },
            Err(e) => unusable(index, e.to_string(), SubIndication::FormatFailure),
        };
        report.byte_range = Some(sig.byte_range.clone());
        report.covers_whole_file = Some(sig.covers_whole_file);
        if sig.covers_whole_file {
            if let Some(why) = &damage {
                // The signed bytes are the whole file, and the file is broken: what it shows
                // cannot be determined, whatever the signature says about its bytes.
                report.indication = Indication::TotalFailed;
                report.sub_indication = Some(SubIndication::FormatFailure);
                report.errors.push(format!(
                    "the signed document is structurally damaged ({why}): what it shows \
                     cannot be determined"
                ));
            } else {
                report.modifications = Some(ChangeClass::None);
            }
        } else if report.indication == Indication::TotalPassed {
            apply_changes(&mut report, bytes, sig.signed_end, sig.docmdp);
        }
        reports.push(report);
    }
    Ok(Report::new("PAdES", reports))
}
