//! Distinguished names and general names as RFC 5280 compares them: name chaining (§7.1: case-
//! and whitespace-insensitive matching of string attributes), directory-name subtrees, and the
//! rfc822, DNS and URI forms of name constraints (§4.2.1.10).

use x509_parser::x509::X509Name;

/// One attribute of a name: its OID (dotted) and its value, normalised when it is a string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Attribute {
    /// Dotted OID.
    pub oid: String,
    /// Normalised value: for strings, trimmed, inner whitespace collapsed, lower-cased; otherwise
    /// the raw bytes in hex.
    pub value: String,
}

/// A distinguished name, normalised for comparison: a sequence of RDNs, each a sorted set of
/// attributes. Equality compares the normalised RDNs only, never the display text.
#[derive(Debug, Clone, Default)]
pub struct Name {
    rdns: Vec<Vec<Attribute>>,
    display: String,
    /// Every attribute as written (OID, text), for identity extraction.
    original: Vec<(String, String)>,
}

impl PartialEq for Name {
    fn eq(&self, other: &Self) -> bool {
        self.rdns == other.rdns
    }
}

impl Eq for Name {}

impl std::hash::Hash for Name {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.rdns.hash(state);
    }
}

fn normalise(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl Name {
    /// Normalises a parsed name.
    pub fn from_x509(name: &X509Name<'_>) -> Self {
        let rdns = name
            .iter_rdn()
            .map(|rdn| {
                let mut attrs: Vec<Attribute> = rdn
                    .iter()
                    .map(|atv| Attribute {
                        oid: atv.attr_type().to_id_string(),
                        value: match atv.as_str() {
                            Ok(s) => normalise(s),
                            Err(_) => hex::encode(atv.attr_value().data),
                        },
                    })
                    .collect();
                attrs.sort();
                attrs
            })
            .collect();
        let original = name
            .iter_attributes()
            .filter_map(|atv| {
                Some((
                    atv.attr_type().to_id_string(),
                    atv.as_str().ok()?.to_owned(),
                ))
            })
            .collect();
        Self {
            rdns,
            display: display_name(name),
            original,
        }
    }

    /// Whether the name has no RDNs.
    pub fn is_empty(&self) -> bool {
        self.rdns.is_empty()
    }

    /// The name as text (RFC 4514-like), for reports.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// Whether `self` lies within the subtree rooted at `base` (its RDNs start with base's).
    pub fn within(&self, base: &Name) -> bool {
        base.rdns.len() <= self.rdns.len() && self.rdns[..base.rdns.len()] == base.rdns[..]
    }

    /// This name with one more RDN appended (a distribution point name relative to an issuer).
    pub fn with_rdn(&self, rdn: &[(String, String)]) -> Name {
        let mut attrs: Vec<Attribute> = rdn
            .iter()
            .map(|(oid, value)| Attribute {
                oid: oid.clone(),
                value: normalise(value),
            })
            .collect();
        attrs.sort();
        let mut out = self.clone();
        out.rdns.push(attrs);
        out.display = format!("{}, +rdn", self.display);
        out
    }

    /// The values of every attribute with this OID, as written (not normalised).
    pub fn original_values(&self, oid: &str) -> impl Iterator<Item = &str> {
        self.original
            .iter()
            .filter(move |(o, _)| o == oid)
            .map(|(_, v)| v.as_str())
    }

    /// The values of every attribute with this OID.
    pub fn values(&self, oid: &str) -> impl Iterator<Item = &str> {
        self.rdns
            .iter()
            .flatten()
            .filter(move |a| a.oid == oid)
            .map(|a| a.value.as_str())
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display)
    }
}

/// RFC 4514-style text with the usual short names and UTF-8 values (x509-parser's own display
/// escapes non-ASCII, which would mangle Vietnamese names).
fn display_name(name: &X509Name<'_>) -> String {
    let short = |oid: &str| match oid {
        "2.5.4.3" => "CN".to_owned(),
        "2.5.4.6" => "C".to_owned(),
        "2.5.4.7" => "L".to_owned(),
        "2.5.4.8" => "ST".to_owned(),
        "2.5.4.10" => "O".to_owned(),
        "2.5.4.11" => "OU".to_owned(),
        "2.5.4.5" => "serialNumber".to_owned(),
        "0.9.2342.19200300.100.1.1" => "UID".to_owned(),
        "1.2.840.113549.1.9.1" => "emailAddress".to_owned(),
        other => other.to_owned(),
    };
    name.iter_rdn()
        .map(|rdn| {
            rdn.iter()
                .map(|atv| {
                    let value = atv
                        .as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|_| format!("#{}", hex::encode(atv.attr_value().data)));
                    format!("{}={value}", short(&atv.attr_type().to_id_string()))
                })
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The OID of emailAddress (PKCS #9), which name constraints treat as an rfc822 name (§4.2.1.10).
pub const EMAIL_ADDRESS: &str = "1.2.840.113549.1.9.1";

/// A general name, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GeneralName {
    /// rfc822Name.
    Email(String),
    /// dNSName.
    Dns(String),
    /// directoryName.
    Directory(Name),
    /// uniformResourceIdentifier.
    Uri(String),
    /// iPAddress (address, or address and mask in constraints).
    Ip(Vec<u8>),
    /// Any other form.
    Other,
}

impl GeneralName {
    /// Converts a parsed general name.
    pub fn from_x509(g: &x509_parser::extensions::GeneralName<'_>) -> Self {
        use x509_parser::extensions::GeneralName as G;
        match g {
            G::RFC822Name(s) => Self::Email((*s).to_owned()),
            G::DNSName(s) => Self::Dns((*s).to_owned()),
            G::DirectoryName(n) => Self::Directory(Name::from_x509(n)),
            G::URI(s) => Self::Uri((*s).to_owned()),
            G::IPAddress(b) => Self::Ip(b.to_vec()),
            _ => Self::Other,
        }
    }

    /// Whether this name falls within the constraint `base` of the same form; `None` when the
    /// forms differ (the constraint does not apply).
    pub fn matches(&self, base: &GeneralName) -> Option<bool> {
        match (self, base) {
            (Self::Directory(n), Self::Directory(b)) => Some(n.within(b)),
            (Self::Email(e), Self::Email(b)) => Some(email_within(e, b)),
            (Self::Dns(d), Self::Dns(b)) => Some(dns_within(d, b)),
            (Self::Uri(u), Self::Uri(b)) => Some(uri_within(u, b)),
            (Self::Ip(a), Self::Ip(b)) => Some(ip_within(a, b)),
            _ => None,
        }
    }

    /// Whether the constraint `base` is of the same form as this name.
    pub fn same_form(&self, base: &GeneralName) -> bool {
        self.matches(base).is_some()
    }
}

/// rfc822 constraints: a full address, a host (`example.com`: mailboxes on that host), or a
/// domain (`.example.com`: mailboxes on any host below it) (§4.2.1.10).
fn email_within(email: &str, base: &str) -> bool {
    let email = email.to_ascii_lowercase();
    let base = base.to_ascii_lowercase();
    if base.contains('@') {
        return email == base;
    }
    let Some((_, host)) = email.rsplit_once('@') else {
        return false;
    };
    if let Some(domain) = base.strip_prefix('.') {
        host.ends_with(&format!(".{domain}"))
    } else {
        host == base
    }
}

/// DNS constraints: the name itself or any name formed by adding labels to the left.
fn dns_within(name: &str, base: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let base = base.trim_end_matches('.').to_ascii_lowercase();
    if base.is_empty() {
        return true;
    }
    if let Some(domain) = base.strip_prefix('.') {
        return name.ends_with(&format!(".{domain}"));
    }
    name == base || name.ends_with(&format!(".{base}"))
}

/// URI constraints apply to the host: a host (exact) or `.domain` (any host below).
fn uri_within(uri: &str, base: &str) -> bool {
    let rest = uri.split_once("://").map_or(uri, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = hostport
        .split(':')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let base = base.to_ascii_lowercase();
    if let Some(domain) = base.strip_prefix('.') {
        host.ends_with(&format!(".{domain}"))
    } else {
        host == base
    }
}

/// IP constraints are an address and a mask of the same family.
fn ip_within(addr: &[u8], base: &[u8]) -> bool {
    if base.len() != addr.len() * 2 {
        return false;
    }
    let (net, mask) = base.split_at(addr.len());
    addr.iter()
        .zip(net)
        .zip(mask)
        .all(|((a, n), m)| a & m == n & m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraint_forms_follow_rfc_5280() {
        assert!(email_within("a@mail.example.com", ".example.com"));
        assert!(!email_within("a@example.com", ".example.com"));
        assert!(email_within("a@example.com", "example.com"));
        assert!(email_within("A@Example.com", "a@example.com"));
        assert!(dns_within("www.example.com", "example.com"));
        assert!(!dns_within("badexample.com", "example.com"));
        assert!(uri_within("http://host.example.com/x", ".example.com"));
        assert!(!uri_within("http://example.com/x", ".example.com"));
        assert!(ip_within(&[10, 1, 2, 3], &[10, 0, 0, 0, 255, 0, 0, 0]));
    }
}
