//! People: accounts made on the command line and by administrators, signing in with a password
//! and a second factor, sessions any node accepts, CSRF, throttling and lockout, and the record
//! of it all.

use std::process::Stdio;

use motcua::auth::Role;
use motcua::auth::totp::TotpKey;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt as _;

use crate::support::{TestApp, binary, error_code, store_args};

const GOOD_PASSWORD: &str = "ngựa-phi-đường-xa-2026";

/// A browser's view of a session: its cookie and CSRF token.
struct Browser {
    base: String,
    cookie: String,
    csrf: String,
    client: reqwest::Client,
}

impl Browser {
    fn to(&self, base: &str) -> Self {
        Self {
            base: base.to_owned(),
            cookie: self.cookie.clone(),
            csrf: self.csrf.clone(),
            client: self.client.clone(),
        }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap()
    }

    /// A state-changing request, with the CSRF header as a page sends it.
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut r = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf);
        if let Some(body) = body {
            r = r.json(&body);
        }
        r.send().await.unwrap()
    }
}

async fn sign_in_raw(
    app: &TestApp,
    username: &str,
    password: &str,
    totp: Option<&str>,
) -> reqwest::Response {
    let mut body = json!({"username": username, "password": password});
    if let Some(code) = totp {
        body["totp"] = json!(code);
    }
    app.client
        .post(app.url("/api/v1/session"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn sign_in(
    app: &TestApp,
    username: &str,
    password: &str,
    totp: Option<&str>,
) -> (Browser, Value) {
    let r = sign_in_raw(app, username, password, totp).await;
    assert_eq!(r.status(), 200, "signing in as {username}");
    let set_cookie = r
        .headers()
        .get("set-cookie")
        .expect("a session cookie")
        .to_str()
        .unwrap()
        .to_owned();
    for attribute in [
        "__Host-motcua-session=",
        "Path=/",
        "Secure",
        "HttpOnly",
        "SameSite=Lax",
    ] {
        assert!(
            set_cookie.contains(attribute),
            "{set_cookie} lacks {attribute}"
        );
    }
    assert!(
        !set_cookie.contains("Domain="),
        "__Host- cookies name no domain"
    );
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let body: Value = r.json().await.unwrap();
    let csrf = body["csrf_token"].as_str().unwrap().to_owned();
    (
        Browser {
            base: app.base.clone(),
            cookie,
            csrf,
            client: app.client.clone(),
        },
        body,
    )
}

async fn create_account(app: &TestApp, admin: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/accounts"))
        .bearer_auth(admin)
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn officer(username: &str) -> Value {
    json!({"username": username, "password": GOOD_PASSWORD, "role": "officer",
           "name": "Trần Thị Bình"})
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn the_command_line_creates_the_first_administrator_with_a_password_from_stdin() {
    let app = TestApp::spawn().await;
    let mut child = binary()
        .arg("account")
        .arg("create")
        .args(store_args(&app.settings))
        .args([
            "--username",
            "QuanTri",
            "--role",
            "admin",
            "--name",
            "Quản trị",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{GOOD_PASSWORD}\n").as_bytes())
        .await
        .unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("\"quantri\""), "{stdout}");
    assert!(!stdout.contains(GOOD_PASSWORD));

    // An administrator must enrol a second factor before anything else (the default policy).
    let (browser, me) = sign_in(&app, "quantri", GOOD_PASSWORD, None).await;
    assert_eq!(me["role"], "admin");
    assert_eq!(me["name"], "Quản trị");
    assert_eq!(me["enrol_second_factor"], true);

    // A weak password is refused with a clear message and nothing is created.
    let mut child = binary()
        .arg("account")
        .arg("create")
        .args(store_args(&app.settings))
        .args(["--username", "yeu", "--role", "officer", "--password-stdin"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"password1234\n").await.unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("common or easy to guess"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let admin = app.token(Role::Admin).await;
    let r = app.get(&admin, "/api/v1/accounts/yeu").await;
    assert_eq!(error_code(r).await, (404, "not_found".into()));
    drop(browser);
}

#[tokio::test]
async fn a_session_gets_the_same_answers_as_a_token_with_the_same_rights() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let r = create_account(&app, &admin, officer("canbo1")).await;
    assert_eq!(r.status(), 201);
    let account: Value = r.json().await.unwrap();
    assert_eq!(account["username"], "canbo1");
    assert_eq!(
        account["password"], true,
        "it has one: the flag, never the hash"
    );
    assert!(!account.to_string().contains("argon2"), "{account}");

    let (browser, me) = sign_in(&app, "CanBo1", GOOD_PASSWORD, None).await;
    assert_eq!(me["username"], "canbo1");
    assert_eq!(me["role"], "officer");
    assert_eq!(me["enrol_second_factor"], false);
    assert_eq!(me["idle_seconds"], 1800);

    let who: Value = browser.get("/api/v1/session").await.json().await.unwrap();
    assert_eq!(who["username"], "canbo1");
    assert_eq!(who["csrf_token"], me["csrf_token"]);

    let token = app.token(Role::Officer).await;
    let by_session: Value = browser.get("/api/v1/dossiers").await.json().await.unwrap();
    let by_token: Value = app
        .get(&token, "/api/v1/dossiers")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_session, by_token);
    let r = browser.get("/api/v1/accounts").await;
    assert_eq!(
        error_code(r).await,
        (403, "forbidden".into()),
        "an officer manages no account"
    );
}

#[tokio::test]
async fn a_state_changing_request_with_the_cookie_needs_the_csrf_token() {
    let app = TestApp::spawn_with(|s| s.accounts.second_factor_roles.clear()).await;
    let admin_token = app.token(Role::Admin).await;
    let r = create_account(
        &app,
        &admin_token,
        json!({"username": "quantri2", "password": GOOD_PASSWORD, "role": "admin"}),
    )
    .await;
    assert_eq!(r.status(), 201);
    let (browser, _) = sign_in(&app, "quantri2", GOOD_PASSWORD, None).await;

    // No header, a wrong one: refused, nothing made.
    let r = app
        .client
        .post(app.url("/api/v1/accounts"))
        .header("cookie", &browser.cookie)
        .json(&officer("canbo2"))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await, (403, "csrf".into()));
    let r = app
        .client
        .post(app.url("/api/v1/accounts"))
        .header("cookie", &browser.cookie)
        .header("x-csrf-token", "x".repeat(browser.csrf.len()))
        .json(&officer("canbo2"))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await, (403, "csrf".into()));
    let r = app.get(&admin_token, "/api/v1/accounts/canbo2").await;
    assert_eq!(r.status(), 404);

    // With it: made. A bearer token needs none.
    let r = browser
        .send(
            reqwest::Method::POST,
            "/api/v1/accounts",
            Some(officer("canbo2")),
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = create_account(&app, &admin_token, officer("canbo3")).await;
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn any_wrong_credential_gets_one_answer_and_repeated_failures_lock_for_a_while() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    create_account(&app, &admin, officer("canbo4")).await;

    for (user, password) in [("canbo4", "sai-mat-khau-roi"), ("khongcoai", GOOD_PASSWORD)] {
        let r = sign_in_raw(&app, user, password, None).await;
        assert!(r.headers().get("set-cookie").is_none());
        assert_eq!(error_code(r).await, (401, "invalid_credentials".into()));
    }
    // The third and fourth failures in a row are slowed (a few seconds before the next try);
    // the fifth locks for a minute, and then even the right password waits.
    let unlock = "UPDATE sign_in_throttle SET locked_until = '2000-01-01T00:00:00.000000Z'";
    for _ in 0..2 {
        let r = sign_in_raw(&app, "canbo4", "sai-mat-khau-roi", None).await;
        assert_eq!(r.status(), 401);
    }
    let r = sign_in_raw(&app, "canbo4", "sai-mat-khau-roi", None).await;
    assert_eq!(
        error_code(r).await,
        (429, "sign_in_locked".into()),
        "slowed: too soon"
    );
    for _ in 0..2 {
        crate::tamper::sql(&app, unlock).await;
        let r = sign_in_raw(&app, "canbo4", "sai-mat-khau-roi", None).await;
        assert_eq!(r.status(), 401);
    }
    let r = sign_in_raw(&app, "canbo4", GOOD_PASSWORD, None).await;
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((50..=60).contains(&retry), "{retry}");
    assert_eq!(
        error_code(r).await,
        (429, "sign_in_locked".into()),
        "even the right password waits"
    );
    // A flood of attempts while locked is recorded once a minute, not once each.
    for _ in 0..5 {
        let r = sign_in_raw(&app, "canbo4", GOOD_PASSWORD, None).await;
        assert_eq!(r.status(), 429);
    }

    // The lock ends by itself.
    crate::tamper::sql(&app, unlock).await;
    let (_, me) = sign_in(&app, "canbo4", GOOD_PASSWORD, None).await;
    assert_eq!(me["username"], "canbo4");

    // Recorded for the administrator, with the address and never the password.
    let events: Value = app
        .get(&admin, "/api/v1/accounts/canbo4/events")
        .await
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "sign_in",
        "sign_in_failed",
        "locked",
        "sign_in_refused_locked",
        "account_created",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    assert!(
        events
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["address"] == "127.0.0.1")
    );
    let refused = kinds
        .iter()
        .filter(|k| **k == "sign_in_refused_locked")
        .count();
    assert!(
        (1..=3).contains(&refused),
        "seven refused attempts within a minute or two: {refused} records"
    );
    assert!(!events.to_string().contains("sai-mat-khau"));
    assert!(!events.to_string().contains(GOOD_PASSWORD));

    // Failures do not keep the owner out at the address they last signed in from (here), so
    // an attacker elsewhere cannot lock them out at their counter.
    for _ in 0..6 {
        sign_in_raw(&app, "canbo4", "sai-mat-khau-roi", None).await;
    }
    let r = sign_in_raw(&app, "canbo4", GOOD_PASSWORD, None).await;
    assert_eq!(
        r.status(),
        200,
        "from the address of the last successful sign-in"
    );
}

#[tokio::test]
async fn staff_enrol_a_second_factor_and_then_need_it_with_codes_good_once() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let r = create_account(
        &app,
        &admin,
        json!({"username": "luutru", "password": GOOD_PASSWORD, "role": "archivist"}),
    )
    .await;
    assert_eq!(r.status(), 201);

    let (browser, me) = sign_in(&app, "luutru", GOOD_PASSWORD, None).await;
    assert_eq!(me["enrol_second_factor"], true);
    let r = browser.get("/api/v1/dossiers").await;
    assert_eq!(
        error_code(r).await,
        (403, "second_factor_enrolment_required".into())
    );

    let r = browser
        .send(reqwest::Method::POST, "/api/v1/account/second-factor", None)
        .await;
    assert_eq!(r.status(), 201);
    let enrolment: Value = r.json().await.unwrap();
    let key = TotpKey::from_stored(enrolment["key"].as_str().unwrap()).unwrap();
    assert!(
        enrolment["uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/")
    );

    let r = browser
        .send(
            reqwest::Method::POST,
            "/api/v1/account/second-factor/confirm",
            Some(json!({"code": "000000"})),
        )
        .await;
    let wrong = error_code(r).await;
    // One chance in a million that 000000 is the code now.
    assert_eq!(wrong, (422, "wrong_code".into()));
    let code = key.code_at(now());
    let r = browser
        .send(
            reqwest::Method::POST,
            "/api/v1/account/second-factor/confirm",
            Some(json!({"code": code})),
        )
        .await;
    assert_eq!(r.status(), 200);
    let recovery: Value = r.json().await.unwrap();
    let recovery: Vec<String> = recovery["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(recovery.len(), 10);
    assert_eq!(
        browser.get("/api/v1/dossiers").await.status(),
        200,
        "enrolled: the session is complete"
    );

    // From now on: the password alone is a wrong credential; the code used at enrolment is
    // spent; a later one works.
    let r = sign_in_raw(&app, "luutru", GOOD_PASSWORD, None).await;
    assert_eq!(error_code(r).await, (401, "invalid_credentials".into()));
    let r = sign_in_raw(&app, "luutru", GOOD_PASSWORD, Some(&code)).await;
    assert_eq!(
        error_code(r).await,
        (401, "invalid_credentials".into()),
        "a code is good once"
    );
    let next = key.code_at(now() + 30);
    let (_, me) = sign_in(&app, "luutru", GOOD_PASSWORD, Some(&next)).await;
    assert_eq!(me["enrol_second_factor"], false);

    // A recovery code, typed loosely, works once.
    let typed = recovery[0].to_uppercase().replace('-', " ");
    sign_in(&app, "luutru", GOOD_PASSWORD, Some(&typed)).await;
    let r = sign_in_raw(&app, "luutru", GOOD_PASSWORD, Some(&recovery[0])).await;
    assert_eq!(error_code(r).await, (401, "invalid_credentials".into()));
}

#[tokio::test]
async fn sessions_are_accepted_by_every_node_and_end_on_sign_out_idle_or_age() {
    let app = TestApp::spawn_with(|s| s.accounts.second_factor_roles.clear()).await;
    let admin = app.token(Role::Admin).await;
    create_account(&app, &admin, officer("canbo5")).await;
    let (browser, _) = sign_in(&app, "canbo5", GOOD_PASSWORD, None).await;

    let sibling = app.sibling().await;
    let there = browser.to(&format!("http://{}", sibling.addr()));
    assert_eq!(
        there.get("/api/v1/dossiers").await.status(),
        200,
        "a second node accepts it"
    );

    // Signing out on the second node ends it on the first.
    let r = there
        .send(reqwest::Method::DELETE, "/api/v1/session", None)
        .await;
    assert_eq!(r.status(), 204);
    assert!(
        r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let r = browser.get("/api/v1/dossiers").await;
    assert_eq!(error_code(r).await, (401, "session_expired".into()));

    // Idle too long.
    let (browser, _) = sign_in(&app, "canbo5", GOOD_PASSWORD, None).await;
    crate::tamper::sql(
        &app,
        "UPDATE sessions SET last_seen_at = '2000-01-01T00:00:00.000000Z'",
    )
    .await;
    assert_eq!(
        error_code(browser.get("/api/v1/session").await).await.1,
        "session_expired"
    );

    // Too old, however busy.
    let (browser, _) = sign_in(&app, "canbo5", GOOD_PASSWORD, None).await;
    crate::tamper::sql(
        &app,
        "UPDATE sessions SET expires_at = '2000-01-01T00:00:00.000000Z' WHERE ended_at IS NULL",
    )
    .await;
    assert_eq!(
        error_code(browser.get("/api/v1/session").await).await.1,
        "session_expired"
    );

    // Everywhere: both browsers' sessions end.
    let (one, _) = sign_in(&app, "canbo5", GOOD_PASSWORD, None).await;
    let (two, _) = sign_in(&app, "canbo5", GOOD_PASSWORD, None).await;
    assert_eq!(
        one.send(reqwest::Method::DELETE, "/api/v1/sessions", None)
            .await
            .status(),
        204
    );
    assert_eq!(two.get("/api/v1/session").await.status(), 401);
    sibling.stop().await.unwrap();
}

#[tokio::test]
async fn administrators_manage_the_accounts_of_their_units_only() {
    let app = TestApp::spawn_with(|s| s.accounts.second_factor_roles.clear()).await;
    let city = app.token(Role::Admin).await;
    let top = app.settings.unit_code.as_str().to_owned();
    for (code, parent) in [("BD", top.as_str()), ("CG", top.as_str())] {
        let r = app
            .client
            .post(app.url("/api/v1/units"))
            .bearer_auth(&city)
            .json(&json!({"code": code, "name": format!("Quận {code}"), "parent": parent}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let district_admin = motcua::app::create_token(
        app.state().dossiers.db(),
        &motcua::auth::NewToken {
            role: Role::Admin,
            tax_code: None,
            id_number: None,
            agency: None,
            name: None,
            branches: false,
            unit: Some(motcua::vocabulary::UnitCode::parse("BD").unwrap()),
        },
    )
    .await
    .unwrap();
    let at = |unit: &str, user: &str| {
        let mut o = officer(user);
        o["unit"] = json!(unit);
        o
    };
    assert_eq!(
        create_account(&app, &district_admin, at("BD", "bd1"))
            .await
            .status(),
        201
    );
    let r = create_account(&app, &district_admin, at("CG", "cg1")).await;
    assert_eq!(error_code(r).await.0, 422, "a unit outside its reach");
    let r = create_account(&app, &district_admin, officer("nounit")).await;
    assert_eq!(error_code(r).await, (422, "invalid_account_request".into()));
    assert_eq!(
        create_account(&app, &city, at("CG", "cg1")).await.status(),
        201
    );
    let r = create_account(&app, &city, at("CG", "CG1")).await;
    assert_eq!(error_code(r).await, (409, "username_taken".into()));
    let r = create_account(
        &app,
        &city,
        json!({"username": "yeu2", "password": "123456789012", "role": "officer"}),
    )
    .await;
    assert_eq!(error_code(r).await, (422, "weak_password".into()));
    let r = create_account(&app, &city, json!({"username": "x", "role": "officer"})).await;
    assert_eq!(error_code(r).await, (422, "invalid_username".into()));

    let listed: Value = app
        .get(&district_admin, "/api/v1/accounts")
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["bd1"]);
    let r = app.get(&district_admin, "/api/v1/accounts/cg1").await;
    assert_eq!(
        error_code(r).await,
        (404, "not_found".into()),
        "another unit's is not yours"
    );

    // Disable: the sessions end and sign-in fails; enable: it works again.
    let (browser, _) = sign_in(&app, "bd1", GOOD_PASSWORD, None).await;
    let post = |path: &str, body: Value| {
        app.client
            .post(app.url(path))
            .bearer_auth(&district_admin)
            .json(&body)
            .send()
    };
    let r = post("/api/v1/accounts/bd1/disable", json!({}))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let disabled: Value = r.json().await.unwrap();
    assert!(disabled["disabled_at"].is_string());
    assert_eq!(browser.get("/api/v1/session").await.status(), 401);
    let r = sign_in_raw(&app, "bd1", GOOD_PASSWORD, None).await;
    assert_eq!(error_code(r).await, (401, "invalid_credentials".into()));
    assert_eq!(
        post("/api/v1/accounts/bd1/enable", json!({}))
            .await
            .unwrap()
            .status(),
        200
    );

    // Reset: a password made and shown once; the old one no longer works.
    let r = post("/api/v1/accounts/bd1/reset", json!({})).await.unwrap();
    assert_eq!(r.status(), 200);
    let made: Value = r.json().await.unwrap();
    let new_password = made["password"].as_str().unwrap();
    assert_eq!(
        sign_in_raw(&app, "bd1", GOOD_PASSWORD, None).await.status(),
        401
    );
    sign_in(&app, "bd1", new_password, None).await;
    let r = post("/api/v1/accounts/cg1/reset", json!({})).await.unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn people_change_their_own_password_and_other_sessions_end() {
    let app = TestApp::spawn_with(|s| s.accounts.second_factor_roles.clear()).await;
    let admin = app.token(Role::Admin).await;
    create_account(&app, &admin, officer("canbo6")).await;
    let (here, _) = sign_in(&app, "canbo6", GOOD_PASSWORD, None).await;
    let (elsewhere, _) = sign_in(&app, "canbo6", GOOD_PASSWORD, None).await;
    let new = "một-mật-khẩu-mới-dài-hơn";
    let r = here
        .send(
            reqwest::Method::PUT,
            "/api/v1/account/password",
            Some(json!({"current": "sai-mat-khau-roi", "new": new})),
        )
        .await;
    assert_eq!(error_code(r).await, (401, "invalid_credentials".into()));
    let r = here
        .send(
            reqwest::Method::PUT,
            "/api/v1/account/password",
            Some(json!({"current": GOOD_PASSWORD, "new": "canbo6canbo6"})),
        )
        .await;
    assert_eq!(error_code(r).await, (422, "weak_password".into()));
    let r = here
        .send(
            reqwest::Method::PUT,
            "/api/v1/account/password",
            Some(json!({"current": GOOD_PASSWORD, "new": new})),
        )
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(
        here.get("/api/v1/session").await.status(),
        200,
        "this one stays"
    );
    assert_eq!(elsewhere.get("/api/v1/session").await.status(), 401);
    sign_in(&app, "canbo6", new, None).await;
}

#[tokio::test]
async fn an_applicant_sees_who_at_which_unit_opened_their_dossier() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let mut body = officer("canbo7");
    body["unit"] = json!(app.settings.unit_code.as_str());
    assert_eq!(create_account(&app, &admin, body).await.status(), 201);
    let business = app.business_token("0101234565").await;
    let filed = app
        .submit_ok(
            &business,
            crate::support::form(
                &crate::support::business_dossier("0101234565"),
                vec![("giay.pdf", "application/pdf", crate::support::pdf("reads"))],
            ),
        )
        .await;
    let id = filed["id"].as_str().unwrap();
    let document = filed["documents"][0]["id"].as_str().unwrap();

    // The applicant's own reads are not recorded; nobody else has read it yet.
    app.get(&business, &format!("/api/v1/dossiers/{id}")).await;
    let reads: Value = app
        .get(&business, &format!("/api/v1/dossiers/{id}/reads"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(reads, json!([]));

    let (browser, _) = sign_in(&app, "canbo7", GOOD_PASSWORD, None).await;
    let window = now() / 600;
    for _ in 0..3 {
        assert_eq!(
            browser
                .get(&format!("/api/v1/dossiers/{id}"))
                .await
                .status(),
            200
        );
    }
    let r = browser
        .get(&format!("/api/v1/documents/{document}/content"))
        .await;
    assert_eq!(r.status(), 200);

    let reads: Value = app
        .get(&business, &format!("/api/v1/dossiers/{id}/reads"))
        .await
        .json()
        .await
        .unwrap();
    let mut reads = reads.as_array().unwrap().clone();
    if now() / 600 != window {
        // The looks straddled a ten-minute boundary: two records of the dossier, one per window.
        reads.remove(0);
    }
    assert_eq!(
        reads.len(),
        2,
        "three looks in ten minutes are one read: {reads:?}"
    );
    assert_eq!(reads[0]["what"], "dossier");
    assert_eq!(reads[0]["name"], "Trần Thị Bình");
    assert_eq!(reads[0]["role"], "officer");
    assert_eq!(reads[0]["unit"], app.settings.unit_code.as_str());
    assert_eq!(reads[1]["what"], format!("document:{document}"));

    let other = app.business_token("0107654326").await;
    let r = app
        .get(&other, &format!("/api/v1/dossiers/{id}/reads"))
        .await;
    assert_eq!(error_code(r).await, (404, "not_found".into()));
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_client_is_the_address_it_forwards() {
    let app = TestApp::spawn_with(|s| {
        s.accounts.second_factor_roles.clear();
        s.accounts.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let admin = app.token(Role::Admin).await;
    create_account(&app, &admin, officer("canbo8")).await;
    let r = app
        .client
        .post(app.url("/api/v1/session"))
        .header("x-forwarded-for", "198.51.100.7, 203.0.113.9")
        .header("x-forwarded-proto", "https")
        .json(&json!({"username": "canbo8", "password": GOOD_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let events: Value = app
        .get(&admin, "/api/v1/accounts/canbo8/events")
        .await
        .json()
        .await
        .unwrap();
    let sign_in = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "sign_in")
        .unwrap();
    assert_eq!(
        sign_in["address"], "203.0.113.9",
        "the address the proxy saw"
    );
}
