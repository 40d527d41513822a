//! The outbound HTTP client: a POST for OCSP responders (`pki::ocsp`), time-stamping
//! authorities (`signature::tsa`) and the notification webhook (`notify`), and any request the
//! OpenID Connect client builds for the identity provider (`auth::oidc`: discovery, keys, token,
//! user info) through [`send`].
//!
//! Owns: the budgets every outbound request lives within (time, response size), the TLS
//! settings (rustls with aws-lc-rs, as the S3 client already uses; the platform's root
//! certificates, or those of `SSL_CERT_FILE`/`SSL_CERT_DIR` when set), and one shared
//! `ureq::Agent`, so connections and the TLS configuration are built once.
//! Never does: follow a redirect (none of its callers needs one, and following one to another
//! host would let whoever answers send our POST anywhere), go through a proxy, or know what it
//! carries (it imports nothing of the crate).

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use ureq::http::{HeaderName, HeaderValue, Method, Request, Response, Uri};

/// The whole of one request, from resolving the host to the last byte of the answer. OCSP
/// responders and TSAs answer in well under a second; a webhook receiver should acknowledge a
/// delivery at once and do its work afterwards.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The largest response body read. OCSP responses and RFC 3161 tokens are a few KiB (a token
/// with its TSA's chain, some 10 KiB); a webhook receiver's answer is not read by anyone.
pub const MAX_RESPONSE: u64 = 256 * 1024;

/// Why a request got no answer to use.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PostError {
    /// The URL is not an `http://` or `https://` URL with a host.
    #[error("unsupported URL {0:?} (only http:// and https://)")]
    UnsupportedUrl(String),
    /// A header name or value HTTP does not allow (a line break, a colon in a name).
    #[error("header {0:?} is not a valid header")]
    InvalidHeader(String),
    /// The host was not found, or refused or dropped the connection.
    #[error("could not connect: {0}")]
    Connect(String),
    /// The TLS handshake failed; most often the server's certificate does not chain to a
    /// trusted root, or does not name the host.
    #[error("TLS: {0}")]
    Tls(String),
    /// The whole answer did not arrive within the time budget.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The answer's body is larger than [`MAX_RESPONSE`].
    #[error("the response is too large")]
    TooLarge,
    /// The server answered with another status than the one required ([`post_ok`]).
    #[error("the responder answered {0}")]
    Status(u16),
    /// The exchange broke off, or the answer is not HTTP.
    #[error("{0}")]
    Exchange(String),
}

/// POSTs `body` with `content_type` and the extra `headers` to an `http://` or `https://`
/// URL; the status and the body of the answer, whatever the status, within [`TIMEOUT`] and
/// [`MAX_RESPONSE`]. A redirect is returned as it came, not followed.
pub fn post(
    url: &str,
    content_type: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<(u16, Vec<u8>), PostError> {
    SHARED.post(url, content_type, headers, body)
}

/// POSTs `body` as [`post`] does and returns the body of a 200 answer; any other status is
/// [`PostError::Status`]. For OCSP (RFC 6960 appendix A.1) and RFC 3161 (section 3.4), whose
/// only success is 200.
pub fn post_ok(url: &str, content_type: &str, body: &[u8]) -> Result<Vec<u8>, PostError> {
    match post(url, content_type, &[], body)? {
        (200, body) => Ok(body),
        (status, _) => Err(PostError::Status(status)),
    }
}

/// Sends `request` as it is (its method, headers and body) to an `http://` or `https://` URL;
/// the answer's status, headers and body, whatever the status, within [`TIMEOUT`] and
/// [`MAX_RESPONSE`]. A redirect is returned as it came, not followed. For the OpenID Connect
/// client (`auth::oidc`), which builds its requests as `http` types and reads the answers'
/// content types.
pub fn send(request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, PostError> {
    SHARED.send(request)
}

/// Whether [`post`] would accept `url` at all (for settings checked at start-up).
pub fn check_url(url: &str) -> Result<(), PostError> {
    parse_url(url).map(|_| ())
}

fn parse_url(url: &str) -> Result<Uri, PostError> {
    let unsupported = || PostError::UnsupportedUrl(url.to_owned());
    let uri: Uri = url.parse().map_err(|_| unsupported())?;
    let scheme_ok = uri
        .scheme_str()
        .is_some_and(|s| s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https"));
    let host_ok = uri.host().is_some_and(|h| !h.is_empty());
    if scheme_ok && host_ok {
        Ok(uri)
    } else {
        Err(unsupported())
    }
}

/// The client every caller shares, with the production budget.
static SHARED: LazyLock<Client> = LazyLock::new(|| Client::with_timeout(TIMEOUT));

/// An agent and the time budget it was built with.
struct Client {
    agent: ureq::Agent,
    timeout: Duration,
}

impl Client {
    /// A client whose requests each have `timeout`: [`TIMEOUT`] but in tests.
    fn with_timeout(timeout: Duration) -> Self {
        let tls = ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::Rustls)
            .unversioned_rustls_crypto_provider(Arc::new(
                rustls::crypto::aws_lc_rs::default_provider(),
            ))
            .root_certs(native_roots())
            .build();
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .max_redirects(0)
            .http_status_as_error(false)
            .proxy(None)
            .user_agent(concat!("motcua/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls)
            .build()
            .new_agent();
        Self { agent, timeout }
    }

    fn post(
        &self,
        url: &str,
        content_type: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<(u16, Vec<u8>), PostError> {
        let uri = parse_url(url)?;
        let mut request = self.agent.post(uri);
        for (name, value) in std::iter::once(&("content-type", content_type)).chain(headers) {
            let name_ok = HeaderName::from_bytes(name.as_bytes());
            let value_ok = HeaderValue::from_str(value);
            let (Ok(name), Ok(value)) = (name_ok, value_ok) else {
                return Err(PostError::InvalidHeader((*name).to_owned()));
            };
            request = request.header(name, value);
        }
        let mut response = request.send(body).map_err(|e| self.error(e))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE)
            .read_to_vec()
            .map_err(|e| self.error(e))?;
        Ok((status, body))
    }

    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, PostError> {
        parse_url(&request.uri().to_string())?;
        let (parts, body) = request.into_parts();
        // A GET carries no body at all (not an empty one with Content-Length: 0).
        let sent = if body.is_empty() && matches!(parts.method, Method::GET | Method::HEAD) {
            self.agent.run(Request::from_parts(parts, ()))
        } else {
            self.agent.run(Request::from_parts(parts, body))
        };
        let (parts, mut body) = sent.map_err(|e| self.error(e))?.into_parts();
        let bytes = body
            .with_config()
            .limit(MAX_RESPONSE)
            .read_to_vec()
            .map_err(|e| self.error(e))?;
        Ok(Response::from_parts(parts, bytes))
    }

    /// Says what went wrong in the words of [`PostError`].
    fn error(&self, e: ureq::Error) -> PostError {
        use ureq::Error as E;
        match e {
            E::Timeout(_) => PostError::Timeout(self.timeout),
            E::BodyExceedsLimit(_) => PostError::TooLarge,
            E::Tls(m) => PostError::Tls(m.to_owned()),
            E::Rustls(e) => PostError::Tls(e.to_string()),
            E::HostNotFound => PostError::Connect("host not found".into()),
            E::ConnectionFailed => PostError::Connect("connection failed".into()),
            E::BadUri(u) => PostError::UnsupportedUrl(u),
            E::Io(io) => {
                // rustls reports a refused certificate as an I/O error carrying its own.
                if let Some(tls) = io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                    return PostError::Tls(tls.to_string());
                }
                use std::io::ErrorKind as K;
                match io.kind() {
                    K::ConnectionRefused | K::ConnectionReset | K::ConnectionAborted => {
                        PostError::Connect(io.to_string())
                    }
                    K::TimedOut | K::WouldBlock => PostError::Timeout(self.timeout),
                    _ => PostError::Exchange(io.to_string()),
                }
            }
            other => PostError::Exchange(other.to_string()),
        }
    }
}

/// The platform's root certificates, or those of `SSL_CERT_FILE`/`SSL_CERT_DIR` when either is
/// set (rustls-native-certs' rule). What cannot be read is logged and left out: with no roots
/// at all, every https:// request fails (closed).
fn native_roots() -> ureq::tls::RootCerts {
    let found = rustls_native_certs::load_native_certs();
    for e in &found.errors {
        tracing::warn!(error = %e, "a root certificate store could not be read");
    }
    found
        .certs
        .iter()
        .map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned())
        .into()
}

#[cfg(test)]
mod tests {
    use std::io::{Read as _, Write as _};
    use std::net::{TcpListener, TcpStream};

    use super::*;

    /// Reads one request (head and Content-Length body) from `stream`.
    fn read_request(stream: &mut TcpStream) -> Vec<u8> {
        let mut request = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&request[..end]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                if request.len() >= end + 4 + length {
                    return request;
                }
            }
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => return request,
                Ok(n) => request.extend_from_slice(&buf[..n]),
            }
        }
    }

    /// A server on the loopback that answers each request with `answer` (raw bytes: status line,
    /// head and body) and closes the connection; its URL and the requests it received.
    fn server(answer: Vec<u8>) -> (String, std::sync::mpsc::Receiver<Vec<u8>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/endpoint", listener.local_addr().unwrap());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let request = read_request(&mut stream);
                let _ = stream.write_all(&answer);
                let _ = tx.send(request);
            }
        });
        (url, rx)
    }

    fn answer(status: &str, extra: &str, body: &[u8]) -> Vec<u8> {
        let mut a = format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n",
            body.len()
        )
        .into_bytes();
        a.extend_from_slice(body);
        a
    }

    #[test]
    fn a_post_carries_its_headers_and_body_and_returns_status_and_body() {
        let (url, requests) = server(answer("201 Created", "", b"thanks"));
        let (status, body) = post(
            &url,
            "application/json",
            &[("x-motcua-event", "dossier.received")],
            b"{\"a\":1}",
        )
        .unwrap();
        assert_eq!((status, body.as_slice()), (201, b"thanks".as_slice()));
        let request = String::from_utf8(requests.recv().unwrap()).unwrap();
        assert!(
            request.starts_with("POST /endpoint HTTP/1.1\r\n"),
            "{request}"
        );
        let lower = request.to_ascii_lowercase();
        assert!(
            lower.contains("content-type: application/json\r\n"),
            "{request}"
        );
        assert!(
            lower.contains("x-motcua-event: dossier.received\r\n"),
            "{request}"
        );
        assert!(request.ends_with("\r\n\r\n{\"a\":1}"), "{request}");
    }

    #[test]
    fn only_a_200_is_an_answer_for_ocsp_and_time_stamping() {
        let (url, _) = server(answer("200 OK", "", b"token"));
        assert_eq!(
            post_ok(&url, "application/timestamp-query", b"q").unwrap(),
            b"token"
        );
        let (url, _) = server(answer("503 Service Unavailable", "", b""));
        let e = post_ok(&url, "application/ocsp-request", b"q").unwrap_err();
        assert!(matches!(e, PostError::Status(503)), "{e:?}");
        assert_eq!(e.to_string(), "the responder answered 503");
    }

    #[test]
    fn a_response_over_256_kib_is_refused_and_one_of_256_kib_is_read() {
        let limit = MAX_RESPONSE as usize;
        let (url, _) = server(answer("200 OK", "", &vec![b'x'; limit]));
        assert_eq!(post_ok(&url, "a/b", b"").unwrap().len(), limit);

        let (url, _) = server(answer("200 OK", "", &vec![b'x'; limit + 1]));
        let e = post_ok(&url, "a/b", b"").unwrap_err();
        assert!(matches!(e, PostError::TooLarge), "{e:?}");
        assert_eq!(e.to_string(), "the response is too large");

        // Without a Content-Length, the body runs to the end of the connection: the same cap.
        let mut no_length = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec();
        no_length.extend(vec![b'x'; limit + 1]);
        let (url, _) = server(no_length);
        let e = post_ok(&url, "a/b", b"").unwrap_err();
        assert!(matches!(e, PostError::TooLarge), "{e:?}");
    }

    #[test]
    fn a_server_that_never_answers_times_out() {
        // The kernel accepts the connection into the listener's backlog; nobody reads or
        // answers.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let client = Client::with_timeout(Duration::from_millis(300));
        let started = std::time::Instant::now();
        let e = client.post(&url, "a/b", &[], b"hello").unwrap_err();
        assert!(matches!(e, PostError::Timeout(_)), "{e:?}");
        assert_eq!(e.to_string(), "no answer within 300ms");
        assert!(started.elapsed() < Duration::from_secs(5));
        drop(listener);
    }

    #[test]
    fn a_redirect_is_returned_not_followed() {
        // Where the redirect points: a listener that must never see a connection.
        let elsewhere = TcpListener::bind("127.0.0.1:0").unwrap();
        elsewhere.set_nonblocking(true).unwrap();
        let target = format!("http://{}/stolen", elsewhere.local_addr().unwrap());
        for status in [
            "302 Found",
            "307 Temporary Redirect",
            "308 Permanent Redirect",
        ] {
            let (url, _) = server(answer(status, &format!("Location: {target}\r\n"), b""));
            let (code, _) = post(&url, "a/b", &[], b"secret").unwrap();
            assert_eq!(code.to_string(), status[..3]);
            let e = post_ok(&url, "a/b", b"secret").unwrap_err();
            assert!(matches!(e, PostError::Status(c) if c == code), "{e:?}");
        }
        assert_eq!(
            elsewhere.accept().unwrap_err().kind(),
            std::io::ErrorKind::WouldBlock,
            "the redirect's target was contacted"
        );
    }

    #[test]
    fn only_http_and_https_urls_are_accepted() {
        for url in [
            "http://127.0.0.1/x",
            "https://tsa.example.vn/",
            "HTTPS://example.vn",
        ] {
            assert!(check_url(url).is_ok(), "{url}");
        }
        for url in [
            "ftp://example.vn/",
            "file:///etc/passwd",
            "example.vn/x",
            "",
            "http://",
        ] {
            let e = post(url, "a/b", &[], b"").unwrap_err();
            assert!(matches!(e, PostError::UnsupportedUrl(_)), "{url}: {e:?}");
            assert!(e.to_string().contains("only http:// and https://"), "{e}");
        }
    }

    #[test]
    fn headers_that_would_split_the_request_are_refused_before_sending() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        for header in [("x-a", "b\r\nx-injected: 1"), ("x-a:b", "c"), ("x a", "c")] {
            let e = post(&url, "a/b", &[header], b"").unwrap_err();
            assert!(
                matches!(e, PostError::InvalidHeader(_)),
                "{header:?}: {e:?}"
            );
        }
        assert_eq!(
            listener.accept().unwrap_err().kind(),
            std::io::ErrorKind::WouldBlock,
            "nothing was sent"
        );
    }

    #[test]
    fn any_request_is_sent_as_built_and_its_answer_returned_whole() {
        let (url, requests) = server(answer(
            "400 Bad Request",
            "Content-Type: application/json\r\n",
            b"{\"error\":\"invalid_grant\"}",
        ));
        let request = Request::get(&url)
            .header("accept", "application/json")
            .body(Vec::new())
            .unwrap();
        let response = send(request).unwrap();
        assert_eq!(response.status().as_u16(), 400);
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(response.body(), b"{\"error\":\"invalid_grant\"}");
        let seen = String::from_utf8(requests.recv().unwrap()).unwrap();
        assert!(seen.starts_with("GET /endpoint HTTP/1.1\r\n"), "{seen}");
        let lower = seen.to_ascii_lowercase();
        assert!(lower.contains("accept: application/json\r\n"), "{seen}");
        assert!(
            !lower.contains("content-length"),
            "a GET sends no body: {seen}"
        );

        let (url, requests) = server(answer("200 OK", "", b"{}"));
        let request = Request::post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(b"grant_type=authorization_code".to_vec())
            .unwrap();
        assert_eq!(send(request).unwrap().status().as_u16(), 200);
        let seen = String::from_utf8(requests.recv().unwrap()).unwrap();
        assert!(
            seen.ends_with("\r\n\r\ngrant_type=authorization_code"),
            "{seen}"
        );

        let e = send(Request::get("ftp://example.vn/").body(Vec::new()).unwrap()).unwrap_err();
        assert!(matches!(e, PostError::UnsupportedUrl(_)), "{e:?}");
    }

    #[test]
    fn a_refused_connection_says_so() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        drop(listener);
        let e = post(&url, "a/b", &[], b"").unwrap_err();
        assert!(matches!(e, PostError::Connect(_)), "{e:?}");
    }
}
