//! The pages' one script, `assets/web/upload.js` (a progress bar for uploads; every form works
//! without it), served from the binary at `/assets/upload.js` with its Subresource Integrity
//! hash, which the pages that load it name in `integrity=`.

use std::sync::LazyLock;

use axum::response::Response;
use base64::Engine as _;
use sha2::Digest as _;

const UPLOAD_JS: &str = include_str!("../../../assets/web/upload.js");

/// `sha384-<base64>` of the script.
pub(super) fn integrity() -> &'static str {
    static SRI: LazyLock<String> = LazyLock::new(|| {
        let digest = sha2::Sha384::digest(UPLOAD_JS.as_bytes());
        format!(
            "sha384-{}",
            base64::engine::general_purpose::STANDARD.encode(digest)
        )
    });
    &SRI
}

pub(super) async fn upload_js() -> Response {
    super::asset(
        UPLOAD_JS,
        "text/javascript; charset=utf-8",
        "public, max-age=3600",
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_integrity_hash_is_that_of_the_script_served() {
        use base64::Engine as _;
        use sha2::Digest as _;
        let sri = super::integrity();
        let b64 = sri.strip_prefix("sha384-").unwrap();
        let digest = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert_eq!(
            digest,
            sha2::Sha384::digest(super::UPLOAD_JS.as_bytes()).to_vec()
        );
    }
}
