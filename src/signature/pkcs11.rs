//! Signing keys that stay in a PKCS#11 token or HSM, named by an RFC 7512 `pkcs11:` URI.
//!
//! Owns: reading the URI, loading the PKCS#11 module once per process through OpenSSL's `pkcs11`
//! ENGINE (libp11; Debian's `libengine-pkcs11-openssl`), logging in to the token, finding the
//! private key and, when the caller has none, its certificate. What comes back is an OpenSSL
//! `PKey` whose operations libp11 sends to the token (C_Sign), so `sign` uses it like any key.
//!
//! Never: reads the private key out of the token (it cannot: the key is a handle), asks for a PIN
//! on a terminal, or puts the PIN in an error, a log line or a `Debug` output (errors name the
//! object by a URI rebuilt without `pin-value`).
//!
//! Limits of libp11 0.4.12 (Debian bookworm) that callers should know:
//! - one PKCS#11 module per process: libp11's engine can be loaded once and holds one module, so
//!   the first module used is the only one (another is refused with an error);
//! - the module's slot list is read when the process first uses it: a token initialised later is
//!   not seen until the process restarts;
//! - PKCS#11 keeps one login per token for the whole process: once a token is logged in, a later
//!   load from the same token is not asked for its PIN again, so a wrong PIN is only refused while
//!   nothing in the process is logged in to that token;
//! - the engine lives as long as the process (keys made from it point into it).

use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::Mutex;

use foreign_types::ForeignType;
use openssl::error::ErrorStack;
use openssl::pkey::{Id, PKey, Private};
use openssl::x509::X509;
use percent_encoding::percent_decode_str;

use super::sign::{SignError, SigningIdentity};

/// The PKCS#11 module used when neither the caller nor `MOTCUA_PKCS11_MODULE` names one:
/// SoftHSM2 as Debian installs it (package `softhsm2`).
pub const DEFAULT_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// The environment variable naming the PKCS#11 module when the caller gives none.
pub const MODULE_ENV: &str = "MOTCUA_PKCS11_MODULE";

/// Whether `s` is a PKCS#11 URI (RFC 7512 §3: the scheme is `pkcs11`, compared without case).
pub fn is_pkcs11_uri(s: &str) -> bool {
    s.get(..7)
        .is_some_and(|p| p.eq_ignore_ascii_case("pkcs11:"))
}

fn failed(message: impl Into<String>) -> SignError {
    SignError::Failed(message.into())
}

impl SigningIdentity {
    /// An identity whose private key stays in a PKCS#11 token.
    ///
    /// `uri` is an RFC 7512 `pkcs11:` URI naming the key by `object` (label) and/or `id`, with
    /// optional `token`, `manufacturer`, `serial`, `model`, `type=private`, and the query
    /// attributes `pin-value`, `pin-source` (`file:` path) and `module-path`. `module` is the
    /// PKCS#11 library; without it: the URI's `module-path`, then `MOTCUA_PKCS11_MODULE`, then
    /// SoftHSM2's [`DEFAULT_MODULE`]. `pin` (from the caller: environment or secret file at the
    /// edge) wins over the URI's `pin-value`, which wins over its `pin-source`. `cert` is the
    /// key's certificate (PEM); without it the certificate object with the same `id`/`object` is
    /// read from the token. `chain` holds intermediates (PEM) to send with signatures.
    pub fn from_pkcs11(
        uri: &str,
        module: Option<&Path>,
        pin: Option<&str>,
        cert: Option<&[u8]>,
        chain: &[u8],
    ) -> Result<Self, SignError> {
        let mut uri = KeyUri::parse(uri)?;
        let module = match module {
            Some(m) => m.to_path_buf(),
            None => match (&uri.module_path, std::env::var_os(MODULE_ENV)) {
                (Some(m), _) => m.clone(),
                (None, Some(m)) if !m.is_empty() => PathBuf::from(m),
                _ => PathBuf::from(DEFAULT_MODULE),
            },
        };
        let pin = match pin {
            Some(p) => Some(Pin::new(p.as_bytes())?),
            None => uri.take_pin()?,
        };
        // Parse what the caller gave before touching the token.
        let given_cert = cert
            .map(|pem| {
                X509::from_pem(pem).map_err(|e| failed(format!("the certificate is not PEM: {e}")))
            })
            .transpose()?;
        let chain = if chain.is_empty() {
            Vec::new()
        } else {
            X509::stack_from_pem(chain)
                .map_err(|e| failed(format!("the certificate chain is not PEM: {e}")))?
        };

        let (key, cert) = match given_cert {
            Some(cert) => (load(&module, &uri, pin.as_ref(), false)?.0, cert),
            None => match load(&module, &uri, pin.as_ref(), true)? {
                (key, Some(cert)) => (key, cert),
                (_, None) => return Err(failed("the token gave no certificate")),
            },
        };
        if !matches!(key.id(), Id::RSA | Id::EC) {
            return Err(failed(format!(
                "the key {} is neither RSA nor EC, which is all motcua signs with",
                uri.object_uri("private")
            )));
        }
        let cert_key = cert
            .public_key()
            .map_err(|e| failed(format!("the certificate's public key cannot be read: {e}")))?;
        if !cert_key.public_eq(&key) {
            return Err(failed(format!(
                "the key {} in the token does not belong to the certificate",
                uri.object_uri("private")
            )));
        }
        Ok(Self::from_parts(key, cert, chain))
    }
}

/// A PIN, NUL-terminated for the C side and wiped from memory when dropped (best effort: the
/// caller's copies are the caller's). Neither `Debug` nor `Display`: it cannot end up in a
/// message by accident.
struct Pin(Vec<u8>);

impl Pin {
    fn new(bytes: &[u8]) -> Result<Self, SignError> {
        if bytes.contains(&0) {
            return Err(failed("the PIN contains a NUL byte"));
        }
        // Sized once, so that no reallocation leaves a copy behind.
        let mut pin = Vec::with_capacity(bytes.len() + 1);
        pin.extend_from_slice(bytes);
        pin.push(0);
        Ok(Self(pin))
    }

    /// A PIN from bytes the caller owns, which are wiped.
    fn from_owned(mut bytes: Vec<u8>) -> Result<Self, SignError> {
        let pin = Self::new(&bytes);
        wipe(&mut bytes);
        pin
    }

    fn as_ptr(&self) -> *const c_char {
        self.0.as_ptr().cast()
    }
}

impl Drop for Pin {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

fn wipe(bytes: &mut [u8]) {
    for b in bytes.iter_mut() {
        // SAFETY: `b` is a valid, exclusive reference; the volatile write keeps the compiler
        // from dropping the store to memory that is about to be freed.
        unsafe { std::ptr::write_volatile(b, 0) };
    }
    std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
}

/// A `pkcs11:` URI naming a private key, split into what libp11 is given and what motcua handles
/// itself (the PIN and the module).
struct KeyUri {
    /// Token and object attributes (RFC 7512 §2.3), values as written (percent-encoded).
    path: Vec<(String, String)>,
    pin_value: Option<Pin>,
    pin_source: Option<String>,
    module_path: Option<PathBuf>,
}

/// RFC 7512 path attributes libp11 0.4.12 matches on.
const PATH_ATTRIBUTES: [&str; 6] = ["token", "manufacturer", "serial", "model", "object", "id"];

impl KeyUri {
    /// Parses `s`; errors name attributes, never values (a value may be the PIN).
    fn parse(s: &str) -> Result<Self, SignError> {
        if !is_pkcs11_uri(s) {
            return Err(failed(
                "the key is not a PKCS#11 URI (RFC 7512: pkcs11:token=...;object=...)",
            ));
        }
        let rest = &s[7..];
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut uri = Self {
            path: Vec::new(),
            pin_value: None,
            pin_source: None,
            module_path: None,
        };
        let mut seen = Vec::new();
        let attributes = path
            .split(';')
            .map(|a| (a, false))
            .chain(query.split('&').map(|a| (a, true)));
        for (attribute, in_query) in attributes.filter(|(a, _)| !a.is_empty()) {
            let Some((name, value)) = attribute.split_once('=') else {
                return Err(failed("the PKCS#11 URI has an attribute without '='"));
            };
            if seen.contains(&name) {
                return Err(failed(format!(
                    "the PKCS#11 URI gives {name} more than once"
                )));
            }
            seen.push(name);
            let decoded = || {
                percent_decode_str(value)
                    .decode_utf8()
                    .map(|v| v.into_owned())
                    .map_err(|_| failed(format!("the PKCS#11 URI's {name} is not UTF-8")))
            };
            match name {
                // libp11 accepts the PIN among the path attributes too; so does motcua.
                "pin-value" => {
                    uri.pin_value = Some(Pin::from_owned(percent_decode_str(value).collect())?);
                }
                "pin-source" => uri.pin_source = Some(decoded()?),
                "module-path" if in_query => uri.module_path = Some(PathBuf::from(decoded()?)),
                "type" if !in_query => {
                    if value != "private" {
                        return Err(failed(format!(
                            "the PKCS#11 URI names a {} object: the signing key is type=private",
                            decoded()?
                        )));
                    }
                }
                _ if !in_query && PATH_ATTRIBUTES.contains(&name) => {
                    uri.path.push((name.to_string(), value.to_string()));
                }
                _ => {
                    return Err(failed(format!(
                        "the PKCS#11 URI attribute {name} is not supported (use token, object, \
                         id, manufacturer, serial, model, type, pin-value, pin-source, \
                         module-path)"
                    )));
                }
            }
        }
        if !uri.path.iter().any(|(n, _)| n == "object" || n == "id") {
            return Err(failed(
                "the PKCS#11 URI names no key: give object=<label> or id=<hex>",
            ));
        }
        Ok(uri)
    }

    /// The URI libp11 is given (and errors show): no PIN, no module.
    fn object_uri(&self, kind: &str) -> String {
        let mut s = String::from("pkcs11:");
        for (name, value) in &self.path {
            s.push_str(name);
            s.push('=');
            s.push_str(value);
            s.push(';');
        }
        s.push_str("type=");
        s.push_str(kind);
        s
    }

    /// The PIN the URI carries: `pin-value`, else the file `pin-source` names (RFC 7512 §2.4;
    /// a trailing LF or CRLF is not part of the PIN).
    fn take_pin(&mut self) -> Result<Option<Pin>, SignError> {
        if let Some(pin) = self.pin_value.take() {
            return Ok(Some(pin));
        }
        let Some(source) = &self.pin_source else {
            return Ok(None);
        };
        let path = source
            .strip_prefix("file://")
            .or_else(|| source.strip_prefix("file:"))
            .unwrap_or(source);
        let mut bytes = std::fs::read(path)
            .map_err(|e| failed(format!("cannot read the PIN from {path}: {e}")))?;
        for end in [b'\n', b'\r'] {
            if bytes.last() == Some(&end) {
                bytes.pop();
            }
        }
        Pin::from_owned(bytes).map(Some)
    }
}

/// The few libcrypto functions of the ENGINE API that openssl-sys does not bind (deprecated in
/// OpenSSL 3 but built by Debian; libcrypto is already linked through openssl-sys).
mod ffi {
    use std::ffi::{c_char, c_int, c_long, c_void};

    /// `ENGINE` (opaque).
    #[repr(C)]
    pub struct Engine {
        _opaque: [u8; 0],
    }

    /// `UI_METHOD` (opaque).
    #[repr(C)]
    pub struct UiMethod {
        _opaque: [u8; 0],
    }

    unsafe extern "C" {
        pub fn ENGINE_by_id(id: *const c_char) -> *mut Engine;
        pub fn ENGINE_init(e: *mut Engine) -> c_int;
        pub fn ENGINE_free(e: *mut Engine) -> c_int;
        pub fn ENGINE_ctrl_cmd_string(
            e: *mut Engine,
            cmd: *const c_char,
            arg: *const c_char,
            optional: c_int,
        ) -> c_int;
        pub fn ENGINE_ctrl_cmd(
            e: *mut Engine,
            cmd: *const c_char,
            i: c_long,
            p: *mut c_void,
            f: Option<unsafe extern "C" fn()>,
            optional: c_int,
        ) -> c_int;
        pub fn ENGINE_load_private_key(
            e: *mut Engine,
            key_id: *const c_char,
            ui: *mut UiMethod,
            callback_data: *mut c_void,
        ) -> *mut openssl_sys::EVP_PKEY;
        pub fn UI_null() -> *const UiMethod;
    }
}

/// The process's `pkcs11` ENGINE: libp11's engine library can be bound only once per process
/// (a second `dynamic` load fails), and it loads one PKCS#11 module, so motcua uses one module
/// per process. Both references (structural and functional) are kept for the life of the
/// process: the keys it hands out point into it.
struct Engine {
    ptr: NonNull<ffi::Engine>,
    /// The module libp11 was pointed at (canonical path); fixed once set.
    module: Option<PathBuf>,
}

// SAFETY: the ENGINE is only driven while `ENGINE` is locked; libp11 guards its own state with a
// mutex, and the keys it hands out may be used from any thread.
unsafe impl Send for Engine {}

static ENGINE: Mutex<Option<Engine>> = Mutex::new(None);

/// The `LOAD_CERT_CTRL` parameter of libp11's engine.
#[repr(C)]
struct LoadCert {
    uri: *const c_char,
    cert: *mut openssl_sys::X509,
}

fn cstring(s: &str, what: &str) -> Result<CString, SignError> {
    CString::new(s).map_err(|_| failed(format!("{what} contains a NUL byte")))
}

/// Where libp11's engine is: `$OPENSSL_ENGINES`, else the directory OpenSSL was built with
/// (Debian: /usr/lib/x86_64-linux-gnu/engines-3), file `pkcs11.so`.
fn engine_library() -> Result<PathBuf, SignError> {
    let dir = match std::env::var_os("OPENSSL_ENGINES") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => {
            // OPENSSL_ENGINES_DIR (OpenSSL 3 crypto.h); the answer reads `ENGINESDIR: "<dir>"`.
            const OPENSSL_ENGINES_DIR: c_int = 5;
            // SAFETY: returns a pointer to a static NUL-terminated string.
            let text = unsafe { CStr::from_ptr(openssl_sys::OpenSSL_version(OPENSSL_ENGINES_DIR)) };
            let text = text.to_string_lossy();
            let dir = text
                .strip_prefix("ENGINESDIR: \"")
                .and_then(|d| d.strip_suffix('"'))
                .ok_or_else(|| failed(format!("OpenSSL names no engines directory ({text})")))?;
            PathBuf::from(dir)
        }
    };
    let library = dir.join("pkcs11.so");
    if library.is_file() {
        Ok(library)
    } else {
        Err(failed(format!(
            "OpenSSL's pkcs11 engine is not installed ({} is missing; Debian package \
             libengine-pkcs11-openssl)",
            library.display()
        )))
    }
}

impl Engine {
    /// Loads libp11's engine through OpenSSL's `dynamic` engine, kept out of OpenSSL's engine
    /// list (so that nothing configured elsewhere, e.g. in openssl.cnf, shares it).
    fn new() -> Result<Self, SignError> {
        openssl::init();
        let library = engine_library()?;
        let library = cstring(
            library
                .to_str()
                .ok_or_else(|| failed("the engines directory is not UTF-8"))?,
            "the engine path",
        )?;
        let _ = ErrorStack::get();
        // SAFETY: plain libcrypto calls with NUL-terminated strings that outlive them; on any
        // failure the structural reference is released and nothing keeps the pointer.
        unsafe {
            let Some(e) = NonNull::new(ffi::ENGINE_by_id(c"dynamic".as_ptr())) else {
                return Err(failed(format!(
                    "OpenSSL's dynamic engine is unavailable: {}",
                    reasons(&ErrorStack::get())
                )));
            };
            let command = |name: &CStr, arg: *const c_char, optional: c_int| {
                ffi::ENGINE_ctrl_cmd_string(e.as_ptr(), name.as_ptr(), arg, optional) == 1
            };
            let ready = command(c"SO_PATH", library.as_ptr(), 0)
                && command(c"ID", c"pkcs11".as_ptr(), 0)
                && command(c"LIST_ADD", c"0".as_ptr(), 0)
                && command(c"LOAD", std::ptr::null(), 0)
                // Quiet: libp11 would otherwise write its diagnostics (URIs included) to stderr.
                && command(c"QUIET", std::ptr::null(), 1)
                // Never prompt on a terminal (a key that asks for its PIN at each use fails).
                && ffi::ENGINE_ctrl_cmd(
                    e.as_ptr(),
                    c"SET_USER_INTERFACE".as_ptr(),
                    0,
                    ffi::UI_null().cast_mut().cast(),
                    None,
                    1,
                ) == 1
                // libp11 loads the PKCS#11 module later, at the first key it is asked for.
                && ffi::ENGINE_init(e.as_ptr()) == 1;
            if !ready {
                let errors = ErrorStack::get();
                ffi::ENGINE_free(e.as_ptr());
                return Err(failed(format!(
                    "OpenSSL cannot load its pkcs11 engine {} ({})",
                    library.to_string_lossy(),
                    reasons(&errors)
                )));
            }
            Ok(Self {
                ptr: e,
                module: None,
            })
        }
    }

    /// Points the engine at `module` (canonical) the first time; refuses another one later.
    fn use_module(&mut self, module: &Path) -> Result<(), SignError> {
        match &self.module {
            Some(current) if current == module => Ok(()),
            Some(current) => Err(failed(format!(
                "this process already uses the PKCS#11 module {}; OpenSSL's pkcs11 engine holds \
                 one module per process, so {} cannot be used as well",
                current.display(),
                module.display()
            ))),
            None => {
                let path = cstring(
                    module
                        .to_str()
                        .ok_or_else(|| failed("the PKCS#11 module path is not UTF-8"))?,
                    "the PKCS#11 module path",
                )?;
                // SAFETY: `self.ptr` is an initialised engine, driven under `ENGINE`'s lock;
                // libp11 copies the string.
                let ok = unsafe {
                    ffi::ENGINE_ctrl_cmd_string(
                        self.ptr.as_ptr(),
                        c"MODULE_PATH".as_ptr(),
                        path.as_ptr(),
                        0,
                    )
                };
                if ok != 1 {
                    return Err(failed(format!(
                        "the pkcs11 engine refused the module {} ({})",
                        module.display(),
                        reasons(&ErrorStack::get())
                    )));
                }
                self.module = Some(module.to_path_buf());
                Ok(())
            }
        }
    }

    /// Sets the engine's PIN (an empty one when `pin` is `None`, which also wipes the last
    /// caller's from the engine's memory).
    fn set_pin(&self, pin: Option<&Pin>) -> Result<(), SignError> {
        let ptr = pin.map_or(c"".as_ptr(), Pin::as_ptr);
        // SAFETY: `self.ptr` is an initialised engine, driven under `ENGINE`'s lock; `ptr` is
        // NUL-terminated and libp11 copies it.
        let ok = unsafe { ffi::ENGINE_ctrl_cmd_string(self.ptr.as_ptr(), c"PIN".as_ptr(), ptr, 0) };
        if ok == 1 {
            Ok(())
        } else {
            // The error queue holds libp11's reason, never the PIN.
            Err(failed(format!(
                "the pkcs11 engine refused the PIN setting ({})",
                reasons(&ErrorStack::get())
            )))
        }
    }

    /// The private key `uri` names, or OpenSSL's error queue.
    fn private_key(&self, uri: &CStr) -> Result<PKey<Private>, ErrorStack> {
        let _ = ErrorStack::get();
        // SAFETY: as in `set_pin`; the URI is NUL-terminated and outlives the call; UI_null
        // never prompts. A non-null result is a new EVP_PKEY whose one reference is ours.
        unsafe {
            let raw = ffi::ENGINE_load_private_key(
                self.ptr.as_ptr(),
                uri.as_ptr(),
                ffi::UI_null().cast_mut(),
                std::ptr::null_mut(),
            );
            if raw.is_null() {
                Err(ErrorStack::get())
            } else {
                Ok(PKey::from_ptr(raw))
            }
        }
    }

    /// The certificate `uri` names (libp11's LOAD_CERT_CTRL), or OpenSSL's error queue.
    fn certificate(&self, uri: &CStr) -> Result<X509, ErrorStack> {
        let _ = ErrorStack::get();
        let mut params = LoadCert {
            uri: uri.as_ptr(),
            cert: std::ptr::null_mut(),
        };
        // SAFETY: as in `set_pin`; `params` has the layout LOAD_CERT_CTRL expects and outlives
        // the call. On success `cert` is a new X509 whose one reference is ours.
        unsafe {
            let ok = ffi::ENGINE_ctrl_cmd(
                self.ptr.as_ptr(),
                c"LOAD_CERT_CTRL".as_ptr(),
                0,
                (&raw mut params).cast::<c_void>(),
                None,
                0,
            );
            if ok == 1 && !params.cert.is_null() {
                Ok(X509::from_ptr(params.cert))
            } else {
                Err(ErrorStack::get())
            }
        }
    }
}

/// Checks that `module` is a shared library with a PKCS#11 entry point, so that a wrong path is
/// refused with a clear error before libp11 is pointed at it for good.
fn check_module(module: &Path) -> Result<(), SignError> {
    let path = cstring(
        module
            .to_str()
            .ok_or_else(|| failed("the PKCS#11 module path is not UTF-8"))?,
        "the PKCS#11 module path",
    )?;
    // SAFETY: dlopen/dlsym/dlclose/dlerror with NUL-terminated strings; dlerror's answer is
    // copied before any other dl call.
    unsafe {
        let handle = libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL);
        if handle.is_null() {
            let why = libc::dlerror();
            let why = if why.is_null() {
                "unknown reason".into()
            } else {
                CStr::from_ptr(why).to_string_lossy().into_owned()
            };
            return Err(failed(format!(
                "the PKCS#11 module {} cannot be loaded ({why})",
                module.display()
            )));
        }
        let entry = libc::dlsym(handle, c"C_GetFunctionList".as_ptr());
        libc::dlclose(handle);
        if entry.is_null() {
            return Err(failed(format!(
                "{} is not a PKCS#11 module (it has no C_GetFunctionList)",
                module.display()
            )));
        }
    }
    Ok(())
}

/// Loads the private key `uri` names from `module`, logging in with `pin`, and the certificate
/// with the same id/label when `want_cert`.
fn load(
    module: &Path,
    uri: &KeyUri,
    pin: Option<&Pin>,
    want_cert: bool,
) -> Result<(PKey<Private>, Option<X509>), SignError> {
    let module = module.canonicalize().map_err(|e| {
        failed(format!(
            "the PKCS#11 module {} cannot be used: {e}",
            module.display()
        ))
    })?;
    let key_uri = uri.object_uri("private");
    let cert_uri = uri.object_uri("cert");
    let (c_key_uri, c_cert_uri) = (
        cstring(&key_uri, "the PKCS#11 URI")?,
        cstring(&cert_uri, "the PKCS#11 URI")?,
    );
    let mut guard = ENGINE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let engine = match &mut *guard {
        Some(engine) => engine,
        none => none.insert(Engine::new()?),
    };
    check_module(&module)?;
    engine.use_module(&module)?;
    engine.set_pin(pin)?;
    let key = engine.private_key(&c_key_uri);
    let cert = match (&key, want_cert) {
        (Ok(_), true) => Some(engine.certificate(&c_cert_uri)),
        _ => None,
    };
    // Wipe the PIN from the engine: a later caller gives its own or none.
    engine.set_pin(None)?;
    drop(guard);

    let key =
        key.map_err(|errors| failed(load_refusal(&key_uri, &module, pin.is_some(), &errors)))?;
    let cert = cert.transpose().map_err(|errors| {
        failed(format!(
            "no certificate object in the token matches {cert_uri} ({}): give the \
                 certificate (PEM)",
            reasons(&errors)
        ))
    })?;
    Ok((key, cert))
}

/// Reasons libp11 and OpenSSL gave, one line (they never include the PIN).
fn reasons(errors: &ErrorStack) -> String {
    let reasons: Vec<&str> = errors.errors().iter().filter_map(|e| e.reason()).collect();
    if reasons.is_empty() {
        "no reason given".into()
    } else {
        reasons.join("; ")
    }
}

/// Why the engine gave no key, in words, from the reasons on OpenSSL's error queue (libp11 puts
/// the PKCS#11 return code's name there, e.g. "PIN incorrect" for CKR_PIN_INCORRECT).
fn load_refusal(key_uri: &str, module: &Path, pin_given: bool, errors: &ErrorStack) -> String {
    let why = reasons(errors);
    let lower = why.to_ascii_lowercase();
    let has_word = |w: &str| {
        lower
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|x| x == w)
    };
    if has_word("pin") && !pin_given {
        format!("the token holding {key_uri} needs a PIN and none was given ({why})")
    } else if has_word("pin") {
        format!("the token holding {key_uri} refused the PIN ({why})")
    } else if has_word("module") {
        format!(
            "the PKCS#11 module {} cannot be loaded ({why})",
            module.display()
        )
    } else if lower.contains("not found") {
        format!(
            "no private key matches {key_uri} (no such token or object in {})",
            module.display()
        )
    } else {
        format!("the private key {key_uri} cannot be loaded from the token: {why}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkcs11_uris_are_recognised_by_their_scheme_whatever_its_case() {
        assert!(is_pkcs11_uri("pkcs11:token=a;object=b"));
        assert!(is_pkcs11_uri("PKCS11:object=b"));
        assert!(!is_pkcs11_uri("/etc/motcua/agency.key.pem"));
        assert!(!is_pkcs11_uri("pkcs1"));
        assert!(!is_pkcs11_uri("pkcs12:x"));
    }

    #[test]
    fn a_uri_keeps_the_object_attributes_and_takes_out_the_pin_and_module() {
        let mut uri = KeyUri::parse(
            "pkcs11:token=My%20Token;object=agency;id=%01;type=private;pin-value=1234\
             ?module-path=/usr/lib/x.so",
        )
        .unwrap();
        assert_eq!(
            uri.object_uri("private"),
            "pkcs11:token=My%20Token;object=agency;id=%01;type=private"
        );
        assert_eq!(
            uri.object_uri("cert"),
            "pkcs11:token=My%20Token;object=agency;id=%01;type=cert"
        );
        assert_eq!(uri.module_path.as_deref(), Some(Path::new("/usr/lib/x.so")));
        assert_eq!(uri.take_pin().unwrap().unwrap().0, b"1234\0");
    }

    #[test]
    fn a_pin_source_file_gives_the_pin_without_its_trailing_newline() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pin");
        std::fs::write(&file, "5678\n").unwrap();
        let mut uri = KeyUri::parse(&format!(
            "pkcs11:object=agency?pin-source=file:{}",
            file.display()
        ))
        .unwrap();
        assert_eq!(uri.take_pin().unwrap().unwrap().0, b"5678\0");
    }

    #[test]
    fn uris_that_name_no_key_or_something_else_are_refused_without_echoing_values() {
        for (uri, expected) in [
            ("file:/tmp/key.pem", "not a PKCS#11 URI"),
            ("pkcs11:token=t;pin-value=s3cret", "names no key"),
            (
                "pkcs11:object=a;type=cert;pin-value=s3cret",
                "names a cert object",
            ),
            (
                "pkcs11:object=a;slot-id=1;pin-value=s3cret",
                "slot-id is not supported",
            ),
            (
                "pkcs11:object=a;object=b;pin-value=s3cret",
                "object more than once",
            ),
        ] {
            let Err(SignError::Failed(message)) = KeyUri::parse(uri) else {
                panic!("{uri} was accepted");
            };
            assert!(message.contains(expected), "{uri}: {message}");
            assert!(!message.contains("s3cret"), "{uri}: {message}");
        }
    }
}
