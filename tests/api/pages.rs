//! The screens' first pages, over HTTP as a browser without scripts meets them: sign-in with its
//! form token, the start page, sign-out with the session's CSRF token in the form, the
//! language switch, and the headers every page carries. (The browser tests come with the
//! screens of issue 16.)

use motcua::auth::Role;
use serde_json::json;

use crate::support::TestApp;

const PASSWORD: &str = "ngựa-phi-đường-xa-2026";

pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn set_cookie(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|v| v.starts_with(name))
        .unwrap_or_else(|| panic!("no {name} cookie"))
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// The form token the page put in its hidden field.
pub fn hidden(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .expect("the hidden field");
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// Creates an account with a password (through the account API) and signs it in with the
/// form; returns the session cookie (`name=value`).
pub async fn signed_in(app: &TestApp, account: serde_json::Value) -> String {
    let admin = app.token(Role::Admin).await;
    let username = account["username"].as_str().unwrap().to_owned();
    let password = account["password"].as_str().unwrap().to_owned();
    let r = app
        .client
        .post(app.url("/api/v1/accounts"))
        .bearer_auth(&admin)
        .json(&account)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let client = no_redirects();
    let r = client.get(app.url("/sign-in")).send().await.unwrap();
    let form_cookie = set_cookie(&r, "__Host-motcua-form=");
    let token = hidden(&r.text().await.unwrap(), "form_token");
    let r = client
        .post(app.url("/sign-in"))
        .header("cookie", &form_cookie)
        .form(&[
            ("username", username.as_str()),
            ("password", password.as_str()),
            ("form_token", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "signed in as {username}");
    set_cookie(&r, "__Host-motcua-session=")
}

#[tokio::test]
async fn a_person_signs_in_and_out_with_forms_in_their_language() {
    let app = TestApp::spawn_with(|s| s.accounts.second_factor_roles.clear()).await;
    let admin = app.token(Role::Admin).await;
    let r = app
        .client
        .post(app.url("/api/v1/accounts"))
        .bearer_auth(&admin)
        .json(
            &json!({"username": "canbo", "password": PASSWORD, "role": "officer",
                      "name": "Trần Thị Bình"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let client = no_redirects();

    // Not signed in: the start page sends to the sign-in form, in Vietnamese by default.
    let r = client.get(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/sign-in");
    let r = client.get(app.url("/sign-in")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    let form_cookie = set_cookie(&r, "__Host-motcua-form=");
    let html = r.text().await.unwrap();
    assert!(html.contains("<html lang=\"vi\">"));
    assert!(html.contains("<label for=\"password\">Mật khẩu</label>"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "nothing from elsewhere"
    );
    assert!(!html.contains("<script"), "no script needed");
    let token = hidden(&html, "form_token");

    // A form posted without the form's own token (from another site) is refused.
    let r = client
        .post(app.url("/sign-in"))
        .form(&[
            ("username", "canbo"),
            ("password", PASSWORD),
            ("form_token", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("Biểu mẫu đã hết hạn"));

    // A wrong password: the form again, with the plain message, the username kept.
    let r = client
        .post(app.url("/sign-in"))
        .header("cookie", &form_cookie)
        .form(&[
            ("username", "canbo"),
            ("password", "sai-mat-khau-roi"),
            ("form_token", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let html = r.text().await.unwrap();
    assert!(html.contains("role=\"alert\""));
    assert!(html.contains("Tên đăng nhập, mật khẩu hoặc mã xác thực không đúng."));
    assert!(html.contains("value=\"canbo\""));

    // The right one: the session cookie, and the start page greets them.
    let r = client
        .post(app.url("/sign-in"))
        .header("cookie", &form_cookie)
        .form(&[
            ("username", "canbo"),
            ("password", PASSWORD),
            ("form_token", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/");
    let session = set_cookie(&r, "__Host-motcua-session=");
    let r = client
        .get(app.url("/"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Xin chào, Trần Thị Bình"), "{html}");
    assert!(html.contains("cán bộ tiếp nhận"));
    let csrf = hidden(&html, "csrf_token");

    // English, remembered.
    let r = client
        .post(app.url("/language"))
        .form(&[("lang", "en"), ("back", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/");
    let lang = set_cookie(&r, "motcua-lang=");
    assert_eq!(lang, "motcua-lang=en");
    let both = format!("{session}; {lang}");
    let html = client
        .get(app.url("/"))
        .header("cookie", &both)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<html lang=\"en\">") && html.contains("Hello, Trần Thị Bình"));
    let r = client
        .post(app.url("/language"))
        .form(&[("lang", "en"), ("back", "//elsewhere.example/")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/", "only back to this site");

    // Sign-out needs the session's token in the form; then the session is over.
    let r = client
        .post(app.url("/sign-out"))
        .header("cookie", &session)
        .form(&[("csrf_token", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = client
        .post(app.url("/sign-out"))
        .header("cookie", &session)
        .form(&[("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let r = client
        .get(app.url("/"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "signed out");

    // The stylesheet is ours, from this host.
    let r = client
        .get(app.url("/assets/motcua.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
}

#[tokio::test]
async fn a_fresh_service_on_the_embedded_defaults_makes_a_first_administrator() {
    let dir = tempfile::tempdir().unwrap();
    let settings = crate::support::fresh_settings(&dir).await;
    let file = settings.store.data_dir.join("first-admin-password");
    let embedded = settings.store.database_url.starts_with("sqlite:");
    let process = crate::support::spawn_process(&settings, &[]).await;
    if !embedded {
        // A production deployment makes its administrators with `motcua account create`.
        assert!(!file.exists());
        return;
    }
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "only the owner reads the password");
    let password = std::fs::read_to_string(&file).unwrap().trim().to_owned();
    assert_eq!(password.len(), 24 + 3, "24 characters in groups of six");

    // It signs in with it (and must enrol a second factor first, as administrators do).
    let client = no_redirects();
    let r = client
        .get(format!("{}/sign-in", process.base))
        .send()
        .await
        .unwrap();
    let form_cookie = set_cookie(&r, "__Host-motcua-form=");
    let token = hidden(&r.text().await.unwrap(), "form_token");
    let r = client
        .post(format!("{}/sign-in", process.base))
        .header("cookie", &form_cookie)
        .form(&[
            ("username", "admin"),
            ("password", password.as_str()),
            ("form_token", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let session = set_cookie(&r, "__Host-motcua-session=");
    let html = client
        .get(format!("{}/", process.base))
        .header("cookie", &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Bật xác thực hai lớp"), "{html}");
    drop(process);

    // A second start leaves the account and the file alone.
    std::fs::remove_file(&file).unwrap();
    let _again = crate::support::spawn_process(&settings, &[]).await;
    assert!(!file.exists(), "no second administrator, no new password");
}
