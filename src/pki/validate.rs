//! Certification path building and validation, RFC 5280 §6.1, with CRL revocation checking
//! (§6.3): basic constraints and path length, key usage, validity, name chaining, name
//! constraints, certificate policies (initial policy set, explicit policy, policy-mapping and
//! anyPolicy inhibition), unknown critical extensions, and CRLs (distribution points, reasons,
//! indirect and delta CRLs, CRL signers on their own validated paths).

use std::collections::HashSet;

use super::cert::{ANY_POLICY, Cert, Crl, key_usage};
use super::name::{EMAIL_ADDRESS, GeneralName, Name};
use super::policy::PolicyTree;
use super::signed_data::{self, AlgorithmPolicy, WorkingKey};

/// Paths longer than this are not built (certificates below the anchor).
const MAX_PATH_LEN: usize = 10;
/// Candidate paths tried before giving up: hostile certificate pools cost bounded time.
const MAX_PATHS_TRIED: usize = 64;
/// How deep CRL-signer paths may recurse (a CRL signer's own CRL signer...).
const MAX_CRL_SIGNER_DEPTH: usize = 2;

/// How revocation is checked: `require`, `soft` or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(try_from = "String")]
pub enum RevocationMode {
    /// Every certificate's status must be established.
    Require,
    /// Status that cannot be established is a warning (the default: Vietnamese rules ask for a
    /// warning when revocation information cannot be had).
    #[default]
    Soft,
    /// No revocation checking.
    Off,
}

impl std::str::FromStr for RevocationMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "require" => Ok(Self::Require),
            "soft" => Ok(Self::Soft),
            "off" => Ok(Self::Off),
            other => Err(format!("{other:?}: use require, soft or off")),
        }
    }
}

impl TryFrom<String> for RevocationMode {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// The inputs of RFC 5280 §6.1.1, and our policies.
#[derive(Debug, Clone)]
pub struct ValidationParams {
    /// Validation time, Unix seconds.
    pub time: i64,
    /// user-initial-policy-set (anyPolicy when empty).
    pub user_initial_policy_set: Vec<String>,
    /// initial-explicit-policy.
    pub initial_explicit_policy: bool,
    /// initial-policy-mapping-inhibit.
    pub initial_policy_mapping_inhibit: bool,
    /// initial-any-policy-inhibit.
    pub initial_any_policy_inhibit: bool,
    /// Revocation checking.
    pub revocation: RevocationMode,
    /// Accepted signature algorithms.
    pub algorithms: AlgorithmPolicy,
    /// Ask OCSP responders named in certificates (network access) before falling back to CRLs.
    pub ocsp: bool,
}

/// Why a path is not valid. Ordered roughly from generic to specific (see [`PathError::rank`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathError {
    /// No chain from the certificate to a trust anchor could be built (§6.1, path building).
    #[error("no certification path to a trust anchor was found")]
    NoPath,
    /// A signature in the path does not verify (§6.1.3 (a)(1)).
    #[error("the signature of {0} does not verify")]
    BadSignature(String),
    /// Outside the validity period (§6.1.3 (a)(2)).
    #[error("{0} is not valid at the validation time")]
    Expired(String),
    /// Not yet valid.
    #[error("{0} is not yet valid at the validation time")]
    NotYetValid(String),
    /// An intermediate is not a CA (§6.1.4 (k)).
    #[error("{0} is not a CA certificate")]
    NotCa(String),
    /// Path length constraint exceeded (§6.1.4 (l)).
    #[error("the path is longer than a CA's path length constraint allows")]
    PathLength,
    /// keyCertSign missing on a CA (§6.1.4 (n)).
    #[error("{0} may not sign certificates (key usage)")]
    KeyUsage(String),
    /// Unknown critical extension (§6.1.3, §6.1.5 (f)).
    #[error("{0} has an unrecognised critical extension")]
    UnknownCriticalExtension(String),
    /// Name constraints violated (§6.1.3 (b)-(c)).
    #[error("{0} violates a name constraint")]
    NameConstraints(String),
    /// Policy processing left no acceptable policy (§6.1.3 (f), §6.1.5 (g)).
    #[error("no acceptable certificate policy")]
    Policy,
    /// anyPolicy in a policy mapping (§6.1.4 (a)).
    #[error("{0} maps to or from anyPolicy")]
    PolicyMappingAnyPolicy(String),
    /// A malformed certificate.
    #[error("{0} is malformed: {1}")]
    Malformed(String, String),
    /// Revocation status could not be established.
    #[error("the revocation status of {0} could not be established: {1}")]
    RevocationUnknown(String, String),
    /// Only stale revocation information was found.
    #[error("the revocation information for {0} is out of date")]
    RevocationStale(String),
    /// Revoked.
    #[error("{0} was revoked ({1})")]
    Revoked(String, String),
}

impl PathError {
    /// How informative the error is, to choose among the failures of several candidate paths:
    /// a revocation finding beats a structural fault, which beats "no path".
    pub fn rank(&self) -> u8 {
        match self {
            Self::NoPath => 0,
            // A path that failed only on revocation got further than one with a structural fault.
            Self::RevocationUnknown(..) | Self::RevocationStale(..) => 3,
            Self::Revoked(..) => 4,
            _ => 2,
        }
    }

    /// The PKITS / pyhanko-certvalidator class of the error.
    pub fn class(&self) -> &'static str {
        match self {
            Self::Revoked(..) => "RevokedError",
            Self::RevocationUnknown(..) => "InsufficientRevinfoError",
            Self::RevocationStale(..) => "StaleRevinfoError",
            _ => "PathValidationError",
        }
    }
}

/// Trust anchors, untrusted certificates for path building, and CRLs.
#[derive(Debug, Clone, Default)]
pub struct Store {
    /// Trust anchors.
    pub anchors: Vec<Cert>,
    /// Other certificates (intermediates, CRL signers).
    pub certs: Vec<Cert>,
    /// CRLs (complete and delta).
    pub crls: Vec<Crl>,
}

/// A validated path: the anchor first, then each certificate down to the end entity.
#[derive(Debug, Clone)]
pub struct ValidPath {
    /// The certificates, anchor first.
    pub certs: Vec<Cert>,
    /// Warnings (soft revocation failures).
    pub warnings: Vec<String>,
    /// The revocation information the decision rests on.
    pub evidence: Vec<Evidence>,
}

/// A CRL or OCSP response used to establish a certificate's status, kept with the report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Evidence {
    /// The certificate whose status it gave.
    pub certificate: String,
    /// `crl` or `ocsp`.
    pub source: &'static str,
    /// Its DER encoding, base64.
    pub der_b64: String,
}

impl Evidence {
    fn new(cert: &Cert, source: &'static str, der: &[u8]) -> Self {
        use base64::Engine as _;
        Self {
            certificate: cert.subject.display().to_owned(),
            source,
            der_b64: base64::engine::general_purpose::STANDARD.encode(der),
        }
    }
}

fn label(c: &Cert, i: usize, n: usize) -> String {
    if i == n {
        format!("the end-entity certificate ({})", c.subject)
    } else {
        format!("intermediate certificate {i} ({})", c.subject)
    }
}

/// Builds every candidate path and returns the first that validates, or the most specific error.
pub fn validate(
    ee: &Cert,
    store: &Store,
    params: &ValidationParams,
) -> Result<ValidPath, PathError> {
    // A certificate that is itself a trust anchor is trusted as configured (within its dates).
    if store.anchors.iter().any(|a| a.der == ee.der) {
        if params.time < ee.not_before {
            return Err(PathError::NotYetValid(format!(
                "the trust anchor ({})",
                ee.subject
            )));
        }
        if params.time > ee.not_after {
            return Err(PathError::Expired(format!(
                "the trust anchor ({})",
                ee.subject
            )));
        }
        return Ok(ValidPath {
            certs: vec![ee.clone()],
            warnings: Vec::new(),
            evidence: Vec::new(),
        });
    }
    validate_in(ee, store, params, &Ctx::default())
}

fn validate_in(
    ee: &Cert,
    store: &Store,
    params: &ValidationParams,
    ctx: &Ctx,
) -> Result<ValidPath, PathError> {
    let mut best: Option<PathError> = None;
    let mut tried = 0usize;
    let mut chain = vec![ee.clone()];
    let mut result = None;
    build(store, &mut chain, &mut |anchor, below| {
        tried += 1;
        match check_path(anchor, below, store, params, ctx) {
            Ok(p) => {
                result = Some(p);
                true
            }
            Err(e) => {
                if best.as_ref().is_none_or(|b| e.rank() > b.rank()) {
                    best = Some(e);
                }
                tried >= MAX_PATHS_TRIED
            }
        }
    });
    result.ok_or_else(|| best.unwrap_or(PathError::NoPath))
}

/// Depth-first over issuer candidates. `chain` holds the end entity first. `visit` gets the
/// anchor and the path below it (anchor's child first, end entity last); it returns true to stop.
fn build(
    store: &Store,
    chain: &mut Vec<Cert>,
    visit: &mut dyn FnMut(&Cert, &[Cert]) -> bool,
) -> bool {
    let top = chain.last().expect("never empty").clone();
    let mut below: Vec<Cert> = chain.clone();
    below.reverse();
    for anchor in store.anchors.iter().filter(|a| a.subject == top.issuer) {
        if anchor.der == top.der {
            continue;
        }
        if visit(anchor, &below) {
            return true;
        }
    }
    if chain.len() >= MAX_PATH_LEN {
        return false;
    }
    let mut candidates: Vec<&Cert> = store
        .certs
        .iter()
        .filter(|c| c.subject == top.issuer && !chain.iter().any(|p| p.der == c.der))
        .collect();
    // Prefer an issuer whose key identifier matches.
    candidates.sort_by_key(|c| !(top.aki.is_some() && c.ski == top.aki));
    for c in candidates {
        chain.push(c.clone());
        let stop = build(store, chain, visit);
        chain.pop();
        if stop {
            return true;
        }
    }
    false
}

fn names_of(cert: &Cert) -> Vec<GeneralName> {
    let mut out: Vec<GeneralName> = cert.san.clone();
    // emailAddress attributes in the subject are constrained as rfc822 names (§4.2.1.10).
    if cert.san.is_empty() || !cert.san.iter().any(|g| matches!(g, GeneralName::Email(_))) {
        out.extend(
            cert.subject
                .values(EMAIL_ADDRESS)
                .map(|e| GeneralName::Email(e.to_owned())),
        );
    }
    out
}

/// Checks one name against the permitted and excluded subtrees.
fn name_allowed(
    name: &GeneralName,
    permitted: &Option<Vec<Vec<GeneralName>>>,
    excluded: &[GeneralName],
) -> bool {
    if excluded.iter().any(|b| name.matches(b) == Some(true)) {
        return false;
    }
    if let Some(sets) = permitted {
        // Each CA's permitted set applies (an intersection): within each set holding a subtree
        // of this name's form, the name must fall in one of them.
        for set in sets {
            let same_form: Vec<&GeneralName> = set.iter().filter(|b| name.same_form(b)).collect();
            if !same_form.is_empty() && !same_form.iter().any(|b| name.matches(b) == Some(true)) {
                return false;
            }
        }
    }
    true
}

fn check_path(
    anchor: &Cert,
    path: &[Cert],
    store: &Store,
    params: &ValidationParams,
    ctx: &Ctx,
) -> Result<ValidPath, PathError> {
    let n = path.len();
    let mut tree = PolicyTree::new();
    let mut permitted: Option<Vec<Vec<GeneralName>>> = None;
    let mut excluded: Vec<GeneralName> = Vec::new();
    let mut explicit_policy = if params.initial_explicit_policy {
        0
    } else {
        n + 1
    };
    let mut inhibit_any = if params.initial_any_policy_inhibit {
        0
    } else {
        n + 1
    };
    let mut policy_mapping = if params.initial_policy_mapping_inhibit {
        0
    } else {
        n + 1
    };
    let mut working_key = WorkingKey::new(
        &anchor.spki,
        &anchor.key_alg,
        anchor.key_params_absent,
        None,
    );
    let mut working_issuer: Name = anchor.subject.clone();
    let mut max_path_length = n;
    let mut warnings = Vec::new();
    let mut evidence = Vec::new();
    let user_set: Vec<String> = if params.user_initial_policy_set.is_empty() {
        vec![ANY_POLICY.into()]
    } else {
        params.user_initial_policy_set.clone()
    };

    for (k, cert) in path.iter().enumerate() {
        let i = k + 1;
        let who = label(cert, i, n);
        if let Some(m) = cert.malformed_extensions.first() {
            return Err(PathError::Malformed(who, m.clone()));
        }
        // §6.1.3 (a)
        signed_data::verify(
            &cert.tbs,
            &cert.sig_alg,
            cert.sig_params.as_deref(),
            &cert.signature,
            &working_key,
            params.algorithms,
        )
        .map_err(|_| PathError::BadSignature(who.clone()))?;
        if params.time < cert.not_before {
            return Err(PathError::NotYetValid(who));
        }
        if params.time > cert.not_after {
            return Err(PathError::Expired(who));
        }
        if cert.issuer != working_issuer {
            return Err(PathError::NoPath);
        }
        // §6.1.3 (b)-(c)
        if !(cert.self_issued() && i < n) {
            let dn_ok = cert.subject.is_empty()
                || name_allowed(
                    &GeneralName::Directory(cert.subject.clone()),
                    &permitted,
                    &excluded,
                );
            if !dn_ok
                || !names_of(cert)
                    .iter()
                    .all(|g| name_allowed(g, &permitted, &excluded))
            {
                return Err(PathError::NameConstraints(who));
            }
        }
        // §6.1.3 (d)-(e)
        match &cert.policies {
            Some(policies) => {
                let any_allowed = inhibit_any > 0 || (i < n && cert.self_issued());
                tree.process_certificate(i, policies, any_allowed);
            }
            None => tree.set_null(),
        }
        // §6.1.3 (f)
        if explicit_policy == 0 && tree.is_null() {
            return Err(PathError::Policy);
        }

        if i < n {
            // §6.1.4 (a)-(b)
            if cert
                .policy_mappings
                .iter()
                .any(|(a, b)| a == ANY_POLICY || b == ANY_POLICY)
            {
                return Err(PathError::PolicyMappingAnyPolicy(who));
            }
            tree.apply_mappings(i, &cert.policy_mappings, policy_mapping > 0);
            // (c)-(f)
            working_issuer = cert.subject.clone();
            working_key = WorkingKey::new(
                &cert.spki,
                &cert.key_alg,
                cert.key_params_absent,
                Some(&working_key),
            );
            // (g)
            if let Some(p) = &cert.permitted {
                permitted.get_or_insert_with(Vec::new).push(p.clone());
            }
            excluded.extend(cert.excluded.iter().cloned());
            // (h)
            if !cert.self_issued() {
                explicit_policy = explicit_policy.saturating_sub(1);
                policy_mapping = policy_mapping.saturating_sub(1);
                inhibit_any = inhibit_any.saturating_sub(1);
            }
            // (i)
            if let Some((require, inhibit)) = cert.policy_constraints {
                if let Some(r) = require {
                    explicit_policy = explicit_policy.min(r as usize);
                }
                if let Some(m) = inhibit {
                    policy_mapping = policy_mapping.min(m as usize);
                }
            }
            // (j)
            if let Some(skip) = cert.inhibit_any_policy {
                inhibit_any = inhibit_any.min(skip as usize);
            }
            // (k)
            if !cert.is_ca() {
                return Err(PathError::NotCa(who));
            }
            // (l)-(m)
            if !cert.self_issued() {
                if max_path_length == 0 {
                    return Err(PathError::PathLength);
                }
                max_path_length -= 1;
            }
            if let Some((_, Some(len))) = cert.basic_constraints {
                max_path_length = max_path_length.min(len as usize);
            }
            // (n)
            if !cert.allows_usage(key_usage::KEY_CERT_SIGN) {
                return Err(PathError::KeyUsage(who));
            }
        }
        // (o) and §6.1.5 (f)
        if let Some(ext) = cert.unknown_critical.first() {
            return Err(PathError::UnknownCriticalExtension(format!(
                "{who} ({ext})"
            )));
        }
    }

    // §6.1.5 (a)-(b)
    let last = path.last().expect("paths are not empty");
    explicit_policy = explicit_policy.saturating_sub(1);
    if matches!(last.policy_constraints, Some((Some(0), _))) {
        explicit_policy = 0;
    }
    // (g)
    tree.intersect(n, &user_set);
    if explicit_policy == 0 && tree.is_null() {
        return Err(PathError::Policy);
    }

    // Revocation, once the path itself holds (§6.1.3 (a)(3)): issuers before subjects.
    if params.revocation != RevocationMode::Off {
        for (k, cert) in path.iter().enumerate() {
            let issuer = if k == 0 { anchor } else { &path[k - 1] };
            let who = label(cert, k + 1, n);
            match check_revocation(cert, issuer, anchor, path, store, params, ctx) {
                Ok(used) => evidence.extend(used),
                Err(e @ PathError::Revoked(..)) => return Err(e),
                Err(e) if params.revocation == RevocationMode::Soft => {
                    warnings.push(format!("{who}: {e}"))
                }
                Err(e) => return Err(e),
            }
        }
    }

    let mut certs = vec![anchor.clone()];
    certs.extend(path.iter().cloned());
    Ok(ValidPath {
        certs,
        warnings,
        evidence,
    })
}

/// State carried into the validation of CRL signers' own paths.
#[derive(Debug, Clone, Default)]
struct Ctx {
    /// CRL signers (DER) whose validation is in progress, outermost first.
    assumed: Vec<Vec<u8>>,
}

/// All reasons of ReasonFlags (bits 1 to 8; bit 0 is unused).
const ALL_REASONS: u16 = 0x1fe;

fn reason_name(code: u8) -> &'static str {
    match code {
        1 => "keyCompromise",
        2 => "cACompromise",
        3 => "affiliationChanged",
        4 => "superseded",
        5 => "cessationOfOperation",
        6 => "certificateHold",
        8 => "removeFromCRL",
        9 => "privilegeWithdrawn",
        10 => "aACompromise",
        _ => "unspecified",
    }
}

/// The full names a distribution point stands for: its full names, or its relative name appended
/// to `issuer`.
fn dp_names(
    full: &[GeneralName],
    relative: &Option<Vec<(String, String)>>,
    issuer: &Name,
) -> Vec<GeneralName> {
    if let Some(rdn) = relative {
        vec![GeneralName::Directory(issuer.with_rdn(rdn))]
    } else {
        full.to_vec()
    }
}

fn same_names(a: &[GeneralName], b: &[GeneralName]) -> bool {
    a.iter().any(|x| b.iter().any(|y| x == y))
}

/// §6.3.3 for one certificate, against the CRLs in the store.
fn check_revocation(
    cert: &Cert,
    issuer: &Cert,
    anchor: &Cert,
    path: &[Cert],
    store: &Store,
    params: &ValidationParams,
    ctx: &Ctx,
) -> Result<Vec<Evidence>, PathError> {
    let who = format!("the certificate {}", cert.subject);
    let mut used = Vec::new();
    // OCSP first, when the certificate names a responder: it is the freshest word.
    let mut ocsp_problem = None;
    if params.ocsp && !cert.ocsp_urls.is_empty() {
        match super::ocsp::check(cert, issuer, &store.anchors, &store.certs) {
            Ok((super::ocsp::OcspAnswer::Good, response)) => {
                return Ok(vec![Evidence::new(cert, "ocsp", &response)]);
            }
            Ok((super::ocsp::OcspAnswer::Revoked(reason), _)) => {
                return Err(PathError::Revoked(who, reason));
            }
            Err(e) => ocsp_problem = Some(e),
        }
    }
    // Without distribution points, the cert's issuer is the implicit one, for all reasons.
    let implicit = vec![super::cert::DistributionPoint::default()];
    let dps = if cert.crl_dps.is_empty() {
        &implicit
    } else {
        &cert.crl_dps
    };
    let mut reasons_mask: u16 = 0;
    let mut stale = false;
    let mut last_problem = "no CRL covers it".to_owned();

    for dp in dps {
        if reasons_mask == ALL_REASONS {
            break;
        }
        for crl in store.crls.iter().filter(|c| c.delta_base.is_none()) {
            if reasons_mask == ALL_REASONS {
                break;
            }
            // (b) issuer and scope.
            let crl_issuer_ok = if dp.crl_issuer.is_empty() {
                crl.issuer == cert.issuer
            } else {
                dp.crl_issuer
                    .contains(&GeneralName::Directory(crl.issuer.clone()))
                    && crl.idp.as_ref().is_some_and(|i| i.indirect)
            };
            if !crl_issuer_ok {
                continue;
            }
            if !crl.unknown_critical.is_empty() || crl.revoked.iter().any(|e| e.unknown_critical) {
                last_problem = "its CRL has an unrecognised critical extension".into();
                continue;
            }
            if let Some(idp) = &crl.idp {
                let idp_names = dp_names(&idp.full_names, &idp.relative, &crl.issuer);
                if !idp_names.is_empty() {
                    // A relative name is relative to the CRL issuer: the cRLIssuer when the
                    // point names one, else the certificate's issuer (whichever this CRL matched).
                    let cert_names = dp_names(&dp.full_names, &dp.relative, &crl.issuer);
                    let ok = if !cert_names.is_empty() {
                        same_names(&idp_names, &cert_names)
                    } else {
                        same_names(&idp_names, &dp.crl_issuer)
                    };
                    if !ok {
                        continue;
                    }
                }
                if (idp.only_user && cert.is_ca())
                    || (idp.only_ca && !cert.is_ca())
                    || idp.only_attribute
                {
                    continue;
                }
            }
            // (d)-(e)
            let interim = crl
                .idp
                .as_ref()
                .and_then(|i| i.only_some_reasons)
                .unwrap_or(ALL_REASONS)
                & dp.reasons.unwrap_or(ALL_REASONS)
                & ALL_REASONS;
            if interim & !reasons_mask == 0 {
                continue;
            }
            if crl.this_update > params.time {
                last_problem = "its CRL is not yet valid".into();
                continue;
            }
            // (f)-(g) the CRL's signer, on a valid path of its own.
            if let Err(e) = verify_crl_signer(crl, issuer, anchor, path, store, params, ctx) {
                last_problem = e;
                continue;
            }
            // (c), (h) a delta CRL for the same scope, when there is a valid one. A complete CRL
            // past its nextUpdate is still usable with a current delta (§6.3.3 (a)(2)).
            let delta = find_delta(crl, issuer, anchor, path, store, params, ctx);
            if crl.next_update.is_some_and(|nu| nu < params.time) && delta.is_none() {
                let fresh_delta_elsewhere = store.crls.iter().any(|d| {
                    d.delta_base.is_some()
                        && d.issuer == crl.issuer
                        && d.next_update.is_none_or(|nu| nu >= params.time)
                });
                if fresh_delta_elsewhere {
                    last_problem = "its CRL is out of date and the current delta CRL does not \
                                    apply to it"
                        .into();
                } else {
                    stale = true;
                }
                continue;
            }
            // (i)-(j)
            let listed = |c: &Crl| -> Option<u8> {
                let mut entry_issuer: Vec<GeneralName> =
                    vec![GeneralName::Directory(c.issuer.clone())];
                let indirect = c.idp.as_ref().is_some_and(|i| i.indirect);
                for e in &c.revoked {
                    if indirect && let Some(ci) = &e.certificate_issuer {
                        entry_issuer = ci.clone();
                    }
                    if e.serial == cert.serial
                        && entry_issuer.contains(&GeneralName::Directory(cert.issuer.clone()))
                    {
                        return Some(e.reason.unwrap_or(0));
                    }
                }
                None
            };
            let status = match delta.and_then(|d| listed(d).map(|r| (r, true))) {
                Some((8, true)) => None,
                Some((r, true)) => Some(r),
                _ => listed(crl).filter(|r| *r != 8),
            };
            if let Some(reason) = status {
                return Err(PathError::Revoked(who, reason_name(reason).into()));
            }
            reasons_mask |= interim;
            used.push(Evidence::new(cert, "crl", &crl.der));
            if let Some(d) = delta {
                used.push(Evidence::new(cert, "crl", &d.der));
            }
        }
    }
    if reasons_mask == ALL_REASONS {
        Ok(used)
    } else if stale {
        Err(PathError::RevocationStale(who))
    } else {
        let problem = match ocsp_problem {
            Some(o) => format!("{o}; CRLs: {last_problem}"),
            None => last_problem,
        };
        Err(PathError::RevocationUnknown(who, problem))
    }
}

fn find_delta<'a>(
    base: &Crl,
    issuer: &Cert,
    anchor: &Cert,
    path: &[Cert],
    store: &'a Store,
    params: &ValidationParams,
    ctx: &Ctx,
) -> Option<&'a Crl> {
    let base_number = base.number.as_ref()?;
    store.crls.iter().find(|d| {
        d.delta_base
            .as_ref()
            .is_some_and(|b| num_le(b, base_number))
            && d.issuer == base.issuer
            && d.number.as_ref().is_some_and(|n| num_le(base_number, n))
            && d.unknown_critical.is_empty()
            && d.this_update <= params.time
            && d.next_update.is_none_or(|nu| nu >= params.time)
            && same_scope(base, d)
            && verify_crl_signer(d, issuer, anchor, path, store, params, ctx).is_ok()
    })
}

fn same_scope(a: &Crl, b: &Crl) -> bool {
    match (&a.idp, &b.idp) {
        (None, None) => true,
        (Some(x), Some(y)) => {
            x.full_names == y.full_names
                && x.relative == y.relative
                && x.only_user == y.only_user
                && x.only_ca == y.only_ca
                && x.only_some_reasons == y.only_some_reasons
                && x.indirect == y.indirect
        }
        _ => false,
    }
}

/// Big-endian unsigned comparison a <= b.
fn num_le(a: &[u8], b: &[u8]) -> bool {
    let a: Vec<u8> = a.iter().copied().skip_while(|x| *x == 0).collect();
    let b: Vec<u8> = b.iter().copied().skip_while(|x| *x == 0).collect();
    (a.len(), &a) <= (b.len(), &b)
}

/// Finds a certificate whose key verifies the CRL, allowed to sign CRLs, on a valid path.
fn verify_crl_signer(
    crl: &Crl,
    issuer: &Cert,
    anchor: &Cert,
    path: &[Cert],
    store: &Store,
    params: &ValidationParams,
    ctx: &Ctx,
) -> Result<(), String> {
    let mut seen = HashSet::new();
    let mut candidates: Vec<&Cert> = Vec::new();
    for c in std::iter::once(issuer)
        .chain(path.iter())
        .chain(std::iter::once(anchor))
        .chain(store.anchors.iter())
        .chain(store.certs.iter())
    {
        if c.subject == crl.issuer && seen.insert(c.der.clone()) {
            candidates.push(c);
        }
    }
    if candidates.is_empty() {
        return Err("no certificate of the CRL's issuer is known".into());
    }
    let mut problem = "the CRL's signature does not verify".to_owned();
    for c in candidates {
        let key = WorkingKey::new(&c.spki, &c.key_alg, c.key_params_absent, None);
        if signed_data::verify(
            &crl.tbs,
            &crl.sig_alg,
            crl.sig_params.as_deref(),
            &crl.signature,
            &key,
            params.algorithms,
        )
        .is_err()
        {
            continue;
        }
        if !c.allows_usage(key_usage::CRL_SIGN) {
            problem = "the CRL's signer may not sign CRLs (key usage)".into();
            continue;
        }
        // Already validated: the issuer in this path, a trust anchor, or a CRL signer whose own
        // validation is under way (its CRL may cover itself: accepting it there ends the
        // recursion; it is still validated once, by the outer call).
        let trusted = c.der == issuer.der
            || c.der == anchor.der
            || store.anchors.iter().any(|a| a.der == c.der)
            || ctx.assumed.contains(&c.der);
        if trusted {
            return Ok(());
        }
        if ctx.assumed.len() >= MAX_CRL_SIGNER_DEPTH {
            problem = "the CRL signer's path is too deep".into();
            continue;
        }
        let mut inner = ctx.clone();
        inner.assumed.push(c.der.clone());
        match validate_in(c, store, params, &inner) {
            Ok(_) => return Ok(()),
            Err(e) => problem = format!("the CRL's signer is not valid: {e}"),
        }
    }
    Err(problem)
}
