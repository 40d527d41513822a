//! PAdES B-LT (ETSI EN 319 142-1 §5.4): the validation material of a signed PDF — every
//! certificate of the signers' and time-stamping authorities' paths, and the CRLs and OCSP
//! responses that establish their status now — written into the Document Security Store
//! (ISO 32000-2 §12.8.4.3) as a further incremental update, so the signature can be validated
//! later without reaching the CAs.
//!
//! Owns: collecting the material and writing /DSS. Fails closed: a signature that does not
//! validate now, or a certificate whose status cannot be established under the given revocation
//! mode, gets no DSS. Never changes a signed revision's bytes.

use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use der::{Decode, Encode};
use lopdf::{Dictionary, Object, Stream, dictionary};

use super::VerifyOptions;
use super::sign::{SignError, open_incremental};
use crate::pki::{Cert, ValidationParams, validate};

/// id-aa-signatureTimeStampToken.
const SIGNATURE_TIMESTAMP: &str = "1.2.840.113549.1.9.16.2.14";

/// The DER certificates a CMS SignedData carries, and those of the timestamp tokens in its
/// signers' unsigned attributes.
fn carried_certificates(cms_der: &[u8], out: &mut Vec<Vec<u8>>) -> Result<(), SignError> {
    let bad = |e: der::Error| SignError::Failed(format!("an unreadable signature: {e}"));
    let info = ContentInfo::from_der(cms_der).map_err(bad)?;
    let signed: SignedData = info.content.decode_as().map_err(bad)?;
    for choice in signed.certificates.iter().flat_map(|s| s.0.iter()) {
        if let cms::cert::CertificateChoices::Certificate(c) = choice {
            out.push(c.to_der().map_err(bad)?);
        }
    }
    for signer in signed.signer_infos.0.iter() {
        for attr in signer.unsigned_attrs.iter().flat_map(|a| a.iter()) {
            if attr.oid.to_string() == SIGNATURE_TIMESTAMP {
                for token in attr.values.iter() {
                    carried_certificates(&token.to_der().map_err(bad)?, out)?;
                }
            }
        }
    }
    Ok(())
}

/// What goes into the DSS.
#[derive(Debug, Default)]
pub struct ValidationMaterial {
    /// Certificates (DER), each once.
    pub certs: Vec<Vec<u8>>,
    /// OCSP responses (DER).
    pub ocsps: Vec<Vec<u8>>,
    /// CRLs (DER).
    pub crls: Vec<Vec<u8>>,
}

fn push_unique(list: &mut Vec<Vec<u8>>, item: Vec<u8>) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// Validates every signature of `pdf` now and gathers the material that decision rests on.
pub fn validation_material(
    pdf: &[u8],
    options: &VerifyOptions,
) -> Result<ValidationMaterial, SignError> {
    use base64::Engine as _;
    let report = super::pades::verify(pdf, options).map_err(|e| SignError::Pdf(e.to_string()))?;
    if report.indication != super::Indication::TotalPassed {
        let why = report
            .signatures
            .iter()
            .flat_map(|s| s.errors.iter())
            .chain(report.errors.iter())
            .cloned()
            .collect::<Vec<_>>()
            .join("; ");
        return Err(SignError::Failed(format!(
            "B-LT needs signatures that validate now; this one is {}: {why}",
            report.indication.as_str()
        )));
    }
    let mut carried = Vec::new();
    for sig in crate::pdf::signatures(pdf).map_err(|e| SignError::Pdf(e.to_string()))? {
        if let Some(cms) = &sig.cms {
            carried_certificates(cms, &mut carried)?;
        }
    }
    let mut store = options.store.clone();
    let mut certs = Vec::new();
    for der in &carried {
        let cert = Cert::parse(der).map_err(|e| SignError::Failed(e.to_string()))?;
        if !store.certs.iter().any(|c| c.der == cert.der) {
            store.certs.push(cert.clone());
        }
        certs.push(cert);
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let params = ValidationParams {
        time: options.at.unwrap_or(now),
        user_initial_policy_set: Vec::new(),
        initial_explicit_policy: false,
        initial_policy_mapping_inhibit: false,
        initial_any_policy_inhibit: false,
        revocation: options.revocation,
        algorithms: options.algorithms,
        ocsp: options.ocsp,
    };
    let mut material = ValidationMaterial::default();
    for cert in &certs {
        let path = validate(cert, &store, &params).map_err(|e| {
            SignError::Failed(format!(
                "B-LT: the status of {} cannot be established: {e}",
                cert.subject
            ))
        })?;
        for c in path.certs {
            push_unique(&mut material.certs, c.der);
        }
        for e in path.evidence {
            let der = base64::engine::general_purpose::STANDARD
                .decode(&e.der_b64)
                .map_err(|e| SignError::Failed(e.to_string()))?;
            match e.source {
                "ocsp" => push_unique(&mut material.ocsps, der),
                _ => push_unique(&mut material.crls, der),
            }
        }
    }
    Ok(material)
}

/// Adds (or extends) the catalog's /DSS with `material`, as an incremental update.
pub fn write_dss(pdf: &[u8], material: &ValidationMaterial) -> Result<Vec<u8>, SignError> {
    let err = |e: lopdf::Error| SignError::Pdf(e.to_string());
    let mut inc = open_incremental(pdf)?;
    let prev = inc.get_prev_documents();
    let catalog_id = prev
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(err)?;
    let existing_ref = prev.catalog().map_err(err)?.get(b"DSS").ok().cloned();
    // An existing DSS object is updated in place (a new object would leave the old one
    // unreferenced, which validators read as an unexplained addition).
    let existing_id = existing_ref.as_ref().and_then(|o| o.as_reference().ok());
    let existing = existing_ref
        .and_then(|o| match o {
            Object::Reference(id) => prev.get_dictionary(id).ok().cloned(),
            Object::Dictionary(d) => Some(d),
            _ => None,
        })
        .unwrap_or_default();
    let has_extension = prev
        .catalog()
        .map_err(err)?
        .get(b"Extensions")
        .ok()
        .and_then(|o| o.as_dict().ok())
        .is_some_and(|d| d.has(b"ESIC"));
    // What the DSS already holds, by content, so nothing is stored twice.
    let held = |key: &[u8]| -> Vec<Vec<u8>> {
        existing
            .get(key)
            .and_then(Object::as_array)
            .into_iter()
            .flatten()
            .filter_map(|o| o.as_reference().ok())
            .filter_map(|id| prev.get_object(id).ok())
            .filter_map(|o| o.as_stream().ok())
            .map(|s| s.content.clone())
            .collect()
    };
    let held = [held(b"Certs"), held(b"OCSPs"), held(b"CRLs")];
    let mut dss: Dictionary = existing.clone();
    dss.set("Type", "DSS");
    for ((key, items), before) in [
        (&b"Certs"[..], &material.certs),
        (b"OCSPs", &material.ocsps),
        (b"CRLs", &material.crls),
    ]
    .into_iter()
    .zip(held)
    {
        let mut list = match existing.get(key) {
            Ok(Object::Array(a)) => a.clone(),
            _ => Vec::new(),
        };
        for item in items.iter().filter(|i| !before.contains(i)) {
            let id = inc
                .new_document
                .add_object(Stream::new(dictionary! {}, item.clone()));
            list.push(Object::Reference(id));
        }
        if !list.is_empty() {
            dss.set(key, list);
        }
    }
    if let Some(id) = existing_id {
        inc.opt_clone_object_to_new_document(id).map_err(err)?;
        *inc.new_document.get_object_mut(id).map_err(err)? = Object::Dictionary(dss.clone());
        if has_extension {
            let mut out = Vec::new();
            inc.save_to(&mut out)
                .map_err(|e| SignError::Pdf(e.to_string()))?;
            return Ok(out);
        }
    }
    let dss_id = match existing_id {
        Some(id) => id,
        None => inc.new_document.add_object(dss),
    };
    inc.opt_clone_object_to_new_document(catalog_id)
        .map_err(err)?;
    let catalog = inc
        .new_document
        .get_object_mut(catalog_id)
        .and_then(Object::as_dict_mut)
        .map_err(err)?;
    catalog.set("DSS", Object::Reference(dss_id));
    // ISO 32000-2 extension for the DSS (ESIC: ETSI's developer prefix).
    let mut extensions = match catalog.get(b"Extensions") {
        Ok(Object::Dictionary(d)) => d.clone(),
        _ => Dictionary::new(),
    };
    extensions.set(
        "ESIC",
        dictionary! { "BaseVersion" => "1.7", "ExtensionLevel" => 1 },
    );
    catalog.set("Extensions", extensions);
    let mut out = Vec::new();
    inc.save_to(&mut out)
        .map_err(|e| SignError::Pdf(e.to_string()))?;
    Ok(out)
}

/// PAdES B-LT from a signed PDF: validate now, then store the material in the DSS.
pub fn add_dss(pdf: &[u8], options: &VerifyOptions) -> Result<Vec<u8>, SignError> {
    let material = validation_material(pdf, options)?;
    write_dss(pdf, &material)
}
