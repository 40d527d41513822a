//! Certificates and CRLs, parsed once (x509-parser) into owned values holding exactly what path
//! validation and revocation checking read.

use std::collections::BTreeSet;

use x509_parser::extensions::{DistributionPointName, ParsedExtension};
use x509_parser::prelude::{CertificateRevocationList, FromDer, X509Certificate};

use super::PkiError;
use super::name::{GeneralName, Name};

/// OIDs of the extensions this validator understands; any other critical one fails the path
/// (RFC 5280 §6.1.3 (a)(2)... "unrecognized critical extension").
const KNOWN_CRITICAL: &[&str] = &[
    "2.5.29.15", // keyUsage
    "2.5.29.19", // basicConstraints
    "2.5.29.17", // subjectAltName
    "2.5.29.30", // nameConstraints
    "2.5.29.32", // certificatePolicies
    "2.5.29.33", // policyMappings
    "2.5.29.36", // policyConstraints
    "2.5.29.37", // extKeyUsage
    "2.5.29.54", // inhibitAnyPolicy
    "2.5.29.31", // cRLDistributionPoints
    "2.5.29.35", // authorityKeyIdentifier
    "2.5.29.14", // subjectKeyIdentifier
];

/// The anyPolicy OID (RFC 5280 §4.2.1.4).
pub const ANY_POLICY: &str = "2.5.29.32.0";

/// A distribution point (certificate CRL DP, or a CRL's issuing DP).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DistributionPoint {
    /// Full names, when given.
    pub full_names: Vec<GeneralName>,
    /// A name relative to the CRL issuer, resolved to a full directory name by the reader.
    pub relative: Option<Vec<(String, String)>>,
    /// Reasons covered (bit flags as in ReasonFlags), `None` for all.
    pub reasons: Option<u16>,
    /// CRL issuers (for indirect CRLs).
    pub crl_issuer: Vec<GeneralName>,
}

/// A certificate.
#[derive(Debug, Clone)]
pub struct Cert {
    /// The DER encoding.
    pub der: Vec<u8>,
    /// The signed part.
    pub tbs: Vec<u8>,
    /// Signature algorithm OID (outer).
    pub sig_alg: String,
    /// Signature algorithm parameters (DER), for RSASSA-PSS.
    pub sig_params: Option<Vec<u8>>,
    /// Signature value.
    pub signature: Vec<u8>,
    /// X.509 version (1, 2 or 3).
    pub version: u32,
    /// Serial: the DER INTEGER content, exactly (two's complement, so -1 and 255 differ).
    pub serial: Vec<u8>,
    /// Issuer.
    pub issuer: Name,
    /// Subject.
    pub subject: Name,
    /// notBefore, Unix seconds.
    pub not_before: i64,
    /// notAfter, Unix seconds.
    pub not_after: i64,
    /// SubjectPublicKeyInfo, DER.
    pub spki: Vec<u8>,
    /// Public key algorithm OID.
    pub key_alg: String,
    /// Whether the key algorithm parameters are absent (DSA parameter inheritance).
    pub key_params_absent: bool,
    /// basicConstraints: (cA, pathLenConstraint); `None` when absent.
    pub basic_constraints: Option<(bool, Option<u32>)>,
    /// keyUsage bits (bit 0 = digitalSignature ... bit 8 = decipherOnly); `None` when absent.
    pub key_usage: Option<u16>,
    /// extKeyUsage OIDs; `None` when absent.
    pub ext_key_usage: Option<Vec<String>>,
    /// subjectKeyIdentifier.
    pub ski: Option<Vec<u8>>,
    /// authorityKeyIdentifier keyIdentifier.
    pub aki: Option<Vec<u8>>,
    /// subjectAltName.
    pub san: Vec<GeneralName>,
    /// nameConstraints: permitted and excluded subtrees (`None` when the field is absent).
    pub permitted: Option<Vec<GeneralName>>,
    /// Excluded subtrees.
    pub excluded: Vec<GeneralName>,
    /// certificatePolicies: OIDs, `None` when the extension is absent.
    pub policies: Option<Vec<String>>,
    /// policyMappings: (issuerDomainPolicy, subjectDomainPolicy).
    pub policy_mappings: Vec<(String, String)>,
    /// policyConstraints: (requireExplicitPolicy, inhibitPolicyMapping).
    pub policy_constraints: Option<(Option<u32>, Option<u32>)>,
    /// inhibitAnyPolicy skipCerts.
    pub inhibit_any_policy: Option<u32>,
    /// cRLDistributionPoints.
    pub crl_dps: Vec<DistributionPoint>,
    /// freshestCRL (delta CRL distribution points) present.
    pub has_freshest_crl: bool,
    /// OCSP responder URLs from authorityInfoAccess.
    pub ocsp_urls: Vec<String>,
    /// Critical extensions this validator does not understand.
    pub unknown_critical: Vec<String>,
    /// Extensions that failed to parse (a malformed certificate).
    pub malformed_extensions: Vec<String>,
}

fn convert_dp(
    dp: &Option<DistributionPointName<'_>>,
) -> (Vec<GeneralName>, Option<Vec<(String, String)>>) {
    match dp {
        Some(DistributionPointName::FullName(names)) => {
            (names.iter().map(GeneralName::from_x509).collect(), None)
        }
        Some(DistributionPointName::NameRelativeToCRLIssuer(rdn)) => (
            Vec::new(),
            Some(
                rdn.iter()
                    .map(|atv| {
                        (
                            atv.attr_type().to_id_string(),
                            atv.as_str().map(str::to_owned).unwrap_or_default(),
                        )
                    })
                    .collect(),
            ),
        ),
        None => (Vec::new(), None),
    }
}

impl Cert {
    /// Parses DER (or one PEM certificate).
    pub fn parse(input: &[u8]) -> Result<Self, PkiError> {
        let der = super::pem_or_der(input, "CERTIFICATE");
        let (_, c) = X509Certificate::from_der(&der)
            .map_err(|e| PkiError::Malformed(format!("certificate: {e}")))?;
        let tbs = &c.tbs_certificate;
        let mut cert = Cert {
            tbs: tbs.as_ref().to_vec(),
            sig_alg: c.signature_algorithm.algorithm.to_id_string(),
            sig_params: c
                .signature_algorithm
                .parameters
                .as_ref()
                .map(|p| p.data.to_vec()),
            signature: c.signature_value.data.to_vec(),
            version: tbs.version.0 + 1,
            serial: tbs.raw_serial().to_vec(),
            issuer: Name::from_x509(&tbs.issuer),
            subject: Name::from_x509(&tbs.subject),
            not_before: tbs.validity.not_before.timestamp(),
            not_after: tbs.validity.not_after.timestamp(),
            spki: tbs.subject_pki.raw.to_vec(),
            key_alg: tbs.subject_pki.algorithm.algorithm.to_id_string(),
            key_params_absent: tbs
                .subject_pki
                .algorithm
                .parameters
                .as_ref()
                .is_none_or(|p| p.data.is_empty() && p.tag().0 == 5),
            basic_constraints: None,
            key_usage: None,
            ext_key_usage: None,
            ski: None,
            aki: None,
            san: Vec::new(),
            permitted: None,
            excluded: Vec::new(),
            policies: None,
            policy_mappings: Vec::new(),
            policy_constraints: None,
            inhibit_any_policy: None,
            crl_dps: Vec::new(),
            has_freshest_crl: false,
            ocsp_urls: Vec::new(),
            unknown_critical: Vec::new(),
            malformed_extensions: Vec::new(),
            der: der.clone(),
        };
        let mut seen = BTreeSet::new();
        for ext in tbs.extensions() {
            let oid = ext.oid.to_id_string();
            if !seen.insert(oid.clone()) {
                cert.malformed_extensions
                    .push(format!("{oid} appears twice"));
            }
            match ext.parsed_extension() {
                ParsedExtension::BasicConstraints(bc) => {
                    cert.basic_constraints = Some((bc.ca, bc.path_len_constraint))
                }
                ParsedExtension::KeyUsage(ku) => cert.key_usage = Some(ku.flags),
                ParsedExtension::ExtendedKeyUsage(eku) => {
                    let mut oids: Vec<String> =
                        eku.other.iter().map(|o| o.to_id_string()).collect();
                    if eku.any {
                        oids.push("2.5.29.37.0".into());
                    }
                    if eku.server_auth {
                        oids.push("1.3.6.1.5.5.7.3.1".into());
                    }
                    if eku.client_auth {
                        oids.push("1.3.6.1.5.5.7.3.2".into());
                    }
                    if eku.code_signing {
                        oids.push("1.3.6.1.5.5.7.3.3".into());
                    }
                    if eku.email_protection {
                        oids.push("1.3.6.1.5.5.7.3.4".into());
                    }
                    if eku.time_stamping {
                        oids.push("1.3.6.1.5.5.7.3.8".into());
                    }
                    if eku.ocsp_signing {
                        oids.push("1.3.6.1.5.5.7.3.9".into());
                    }
                    cert.ext_key_usage = Some(oids);
                }
                ParsedExtension::SubjectKeyIdentifier(k) => cert.ski = Some(k.0.to_vec()),
                ParsedExtension::AuthorityKeyIdentifier(a) => {
                    cert.aki = a.key_identifier.as_ref().map(|k| k.0.to_vec())
                }
                ParsedExtension::SubjectAlternativeName(san) => {
                    cert.san = san
                        .general_names
                        .iter()
                        .map(GeneralName::from_x509)
                        .collect()
                }
                ParsedExtension::NameConstraints(nc) => {
                    cert.permitted = nc.permitted_subtrees.as_ref().map(|subtrees| {
                        subtrees
                            .iter()
                            .map(|s| GeneralName::from_x509(&s.base))
                            .collect()
                    });
                    cert.excluded = nc
                        .excluded_subtrees
                        .as_ref()
                        .map(|subtrees| {
                            subtrees
                                .iter()
                                .map(|s| GeneralName::from_x509(&s.base))
                                .collect()
                        })
                        .unwrap_or_default();
                }
                ParsedExtension::CertificatePolicies(p) => {
                    cert.policies = Some(p.iter().map(|i| i.policy_id.to_id_string()).collect())
                }
                ParsedExtension::PolicyMappings(m) => {
                    cert.policy_mappings = m
                        .mappings
                        .iter()
                        .map(|m| {
                            (
                                m.issuer_domain_policy.to_id_string(),
                                m.subject_domain_policy.to_id_string(),
                            )
                        })
                        .collect()
                }
                ParsedExtension::PolicyConstraints(pc) => {
                    cert.policy_constraints =
                        Some((pc.require_explicit_policy, pc.inhibit_policy_mapping))
                }
                ParsedExtension::InhibitAnyPolicy(i) => {
                    cert.inhibit_any_policy = Some(i.skip_certs)
                }
                ParsedExtension::CRLDistributionPoints(dps) => {
                    let raw = crl_dp_raw(ext.value);
                    cert.crl_dps = dps
                        .points
                        .iter()
                        .map(|p| {
                            let (full_names, relative) = convert_dp(&p.distribution_point);
                            DistributionPoint {
                                full_names,
                                relative,
                                reasons: p.reasons.as_ref().map(|r| r.flags),
                                crl_issuer: p
                                    .crl_issuer
                                    .as_ref()
                                    .map(|v| v.iter().map(GeneralName::from_x509).collect())
                                    .unwrap_or_default(),
                            }
                        })
                        .collect();
                    for (dp, (rel, issuers)) in cert.crl_dps.iter_mut().zip(raw) {
                        if rel.is_some() {
                            dp.relative = rel;
                            dp.full_names.clear();
                            dp.crl_issuer = issuers;
                        }
                    }
                }
                ParsedExtension::AuthorityInfoAccess(aia) => {
                    for d in &aia.accessdescs {
                        if d.access_method.to_id_string() == "1.3.6.1.5.5.7.48.1"
                            && let x509_parser::extensions::GeneralName::URI(u) = d.access_location
                        {
                            cert.ocsp_urls.push(u.to_owned());
                        }
                    }
                }
                ParsedExtension::ParseError { error } => {
                    cert.malformed_extensions.push(format!("{oid}: {error}"))
                }
                _ => {
                    if oid == "2.5.29.46" {
                        cert.has_freshest_crl = true;
                    }
                    if ext.critical && !KNOWN_CRITICAL.contains(&oid.as_str()) {
                        cert.unknown_critical.push(oid.clone());
                    }
                }
            }
        }
        Ok(cert)
    }

    /// Whether the issuer and subject names are the same (a self-issued certificate, §6.1).
    pub fn self_issued(&self) -> bool {
        self.issuer == self.subject
    }

    /// Whether basicConstraints says this is a CA.
    pub fn is_ca(&self) -> bool {
        matches!(self.basic_constraints, Some((true, _)))
    }

    /// The serial as lowercase hex.
    pub fn serial_hex(&self) -> String {
        if self.serial.is_empty() {
            "00".into()
        } else {
            hex::encode(&self.serial)
        }
    }

    /// Whether a key usage bit is asserted (or key usage is absent: no restriction).
    pub fn allows_usage(&self, bit: u16) -> bool {
        self.key_usage.is_none_or(|ku| ku & (1 << bit) != 0)
    }
}

/// keyUsage bits (RFC 5280 §4.2.1.3).
pub mod key_usage {
    /// digitalSignature
    pub const DIGITAL_SIGNATURE: u16 = 0;
    /// nonRepudiation (contentCommitment)
    pub const NON_REPUDIATION: u16 = 1;
    /// keyCertSign
    pub const KEY_CERT_SIGN: u16 = 5;
    /// cRLSign
    pub const CRL_SIGN: u16 = 6;
}

/// A revoked entry.
#[derive(Debug, Clone)]
pub struct RevokedEntry {
    /// Serial: the DER INTEGER content, exactly.
    pub serial: Vec<u8>,
    /// Revocation date, Unix seconds.
    pub date: i64,
    /// CRL reason code, when given.
    pub reason: Option<u8>,
    /// The certificate issuer this entry applies to (indirect CRLs), when it changes here.
    pub certificate_issuer: Option<Vec<GeneralName>>,
    /// Unknown critical entry extensions.
    pub unknown_critical: bool,
}

/// A CRL.
#[derive(Debug, Clone)]
pub struct Crl {
    /// The signed part.
    pub tbs: Vec<u8>,
    /// Signature algorithm OID.
    pub sig_alg: String,
    /// Signature algorithm parameters (DER).
    pub sig_params: Option<Vec<u8>>,
    /// Signature.
    pub signature: Vec<u8>,
    /// Issuer.
    pub issuer: Name,
    /// thisUpdate, Unix seconds.
    pub this_update: i64,
    /// nextUpdate, Unix seconds.
    pub next_update: Option<i64>,
    /// Entries.
    pub revoked: Vec<RevokedEntry>,
    /// authorityKeyIdentifier.
    pub aki: Option<Vec<u8>>,
    /// CRL number.
    pub number: Option<Vec<u8>>,
    /// Delta CRL indicator (the base CRL number), when this is a delta CRL.
    pub delta_base: Option<Vec<u8>>,
    /// issuingDistributionPoint.
    pub idp: Option<IssuingDp>,
    /// Unknown critical CRL extensions.
    pub unknown_critical: Vec<String>,
    /// The DER.
    pub der: Vec<u8>,
}

/// A CRL's issuingDistributionPoint (§5.2.5).
#[derive(Debug, Clone, Default)]
pub struct IssuingDp {
    /// Full names of the distribution point.
    pub full_names: Vec<GeneralName>,
    /// Relative name.
    pub relative: Option<Vec<(String, String)>>,
    /// onlyContainsUserCerts.
    pub only_user: bool,
    /// onlyContainsCACerts.
    pub only_ca: bool,
    /// onlySomeReasons.
    pub only_some_reasons: Option<u16>,
    /// indirectCRL.
    pub indirect: bool,
    /// onlyContainsAttributeCerts.
    pub only_attribute: bool,
}

/// One DER TLV: (tag, content, rest). Lengths up to 4 bytes.
pub(crate) fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *b.first()?;
    let first = *b.get(1)?;
    let (len, start) = if first < 0x80 {
        (first as usize, 2)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for x in b.get(2..2 + n)? {
            len = (len << 8) | *x as usize;
        }
        (len, 2 + n)
    };
    let content = b.get(start..start + len)?;
    Some((tag, content, &b[start + len..]))
}

/// The nameRelativeToCRLIssuer inside a `[0] DistributionPointName` element, if that is its
/// form. (x509-parser misreads this IMPLICIT SET, so it is read here.)
fn relative_name(dp_name: &[u8]) -> Option<Vec<(String, String)>> {
    let (tag, content, _) = tlv(dp_name)?;
    if tag != 0xa1 {
        return None;
    }
    // Re-tag the IMPLICIT [1] content as the SET it stands for.
    let mut set = vec![0x31];
    let len = content.len();
    if len < 0x80 {
        set.push(len as u8);
    } else if len < 0x100 {
        set.extend([0x81, len as u8]);
    } else {
        set.extend([0x82, (len >> 8) as u8, len as u8]);
    }
    set.extend_from_slice(content);
    let (_, rdn) = x509_parser::x509::RelativeDistinguishedName::from_der(&set).ok()?;
    Some(
        rdn.iter()
            .map(|atv| {
                (
                    atv.attr_type().to_id_string(),
                    atv.as_str().map(str::to_owned).unwrap_or_default(),
                )
            })
            .collect(),
    )
}

/// A relative distribution point name and the cRLIssuer names, read from DER.
type RawDistributionPoint = (Option<Vec<(String, String)>>, Vec<GeneralName>);

/// Each DistributionPoint of a cRLDistributionPoints value, read directly: its relative name
/// (if that is its form) and its cRLIssuer names.
fn crl_dp_raw(value: &[u8]) -> Vec<RawDistributionPoint> {
    let mut out = Vec::new();
    let Some((0x30, mut points, _)) = tlv(value) else {
        return out;
    };
    while let Some((_, mut point, rest)) = tlv(points) {
        points = rest;
        let mut relative = None;
        let mut issuers = Vec::new();
        while let Some((tag, content, rest)) = tlv(point) {
            point = rest;
            match tag {
                0xa0 => relative = relative_name(content),
                0xa2 => {
                    let mut names = content;
                    while !names.is_empty() {
                        match x509_parser::extensions::GeneralName::from_der(names) {
                            Ok((rest, g)) => {
                                issuers.push(GeneralName::from_x509(&g));
                                names = rest;
                            }
                            Err(_) => break,
                        }
                    }
                }
                _ => {}
            }
        }
        out.push((relative, issuers));
    }
    out
}

/// The relative name of an issuingDistributionPoint value.
fn idp_relative_name(value: &[u8]) -> Option<Vec<(String, String)>> {
    let (_, idp, _) = tlv(value)?;
    match tlv(idp)? {
        (0xa0, name, _) => relative_name(name),
        _ => None,
    }
}

/// Reads the INTEGER content of a raw extension value.
fn der_integer(value: &[u8]) -> Option<Vec<u8>> {
    if value.len() >= 2 && value[0] == 0x02 && value[1] as usize == value.len() - 2 {
        Some(value[2..].iter().copied().skip_while(|b| *b == 0).collect())
    } else {
        None
    }
}

impl Crl {
    /// Parses DER (or PEM `X509 CRL`).
    pub fn parse(input: &[u8]) -> Result<Self, PkiError> {
        let der = super::pem_or_der(input, "X509 CRL");
        let (_, c) = CertificateRevocationList::from_der(&der)
            .map_err(|e| PkiError::Malformed(format!("CRL: {e}")))?;
        let t = &c.tbs_cert_list;
        let mut crl = Crl {
            tbs: t.as_ref().to_vec(),
            sig_alg: c.signature_algorithm.algorithm.to_id_string(),
            sig_params: c
                .signature_algorithm
                .parameters
                .as_ref()
                .map(|p| p.data.to_vec()),
            signature: c.signature_value.data.to_vec(),
            issuer: Name::from_x509(&t.issuer),
            this_update: t.this_update.timestamp(),
            next_update: t.next_update.map(|n| n.timestamp()),
            revoked: Vec::new(),
            aki: None,
            number: None,
            delta_base: None,
            idp: None,
            unknown_critical: Vec::new(),
            der: der.clone(),
        };
        for r in t.revoked_certificates.iter() {
            let mut entry = RevokedEntry {
                serial: r.raw_serial().to_vec(),
                date: r.revocation_date.timestamp(),
                reason: None,
                certificate_issuer: None,
                unknown_critical: false,
            };
            for ext in r.extensions() {
                let oid = ext.oid.to_id_string();
                match ext.parsed_extension() {
                    ParsedExtension::ReasonCode(code) => entry.reason = Some(code.0),
                    ParsedExtension::InvalidityDate(_) => {}
                    _ if oid == "2.5.29.29" => {
                        // certificateIssuer: GeneralNames
                        if let Ok((_, names)) =
                            <Vec<x509_parser::extensions::GeneralName> as FromDer<_>>::from_der(
                                ext.value,
                            )
                        {
                            entry.certificate_issuer =
                                Some(names.iter().map(GeneralName::from_x509).collect());
                        } else {
                            entry.unknown_critical = true;
                        }
                    }
                    _ => {
                        if ext.critical {
                            entry.unknown_critical = true;
                        }
                    }
                }
            }
            crl.revoked.push(entry);
        }
        for ext in t.extensions() {
            let oid = ext.oid.to_id_string();
            match ext.parsed_extension() {
                ParsedExtension::AuthorityKeyIdentifier(a) => {
                    crl.aki = a.key_identifier.as_ref().map(|k| k.0.to_vec())
                }
                ParsedExtension::CRLNumber(_) => crl.number = der_integer(ext.value),
                ParsedExtension::IssuingDistributionPoint(idp) => {
                    let (full_names, relative) = convert_dp(&idp.distribution_point);
                    crl.idp = Some(IssuingDp {
                        full_names,
                        relative,
                        only_user: idp.only_contains_user_certs,
                        only_ca: idp.only_contains_ca_certs,
                        only_some_reasons: idp.only_some_reasons.as_ref().map(|r| r.flags),
                        indirect: idp.indirect_crl,
                        only_attribute: idp.only_contains_attribute_certs,
                    });
                    if let (Some(i), Some(rel)) = (crl.idp.as_mut(), idp_relative_name(ext.value)) {
                        i.relative = Some(rel);
                        i.full_names.clear();
                    }
                }
                _ if oid == "2.5.29.27" => crl.delta_base = der_integer(ext.value),
                _ if oid == "2.5.29.46" => {}
                _ => {
                    if ext.critical {
                        crl.unknown_critical.push(oid);
                    }
                }
            }
        }
        Ok(crl)
    }
}
