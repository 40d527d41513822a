//! Sign-in through an identity provider, end to end against a real OpenID provider: panva's
//! `oidc-provider` (OpenID Certified) on Node, started by each test on the loopback from
//! `tests/oidc/` (its dependencies pinned by `package-lock.json`; `scripts/test.sh` installs them
//! with `npm ci`). The test is the browser: it follows motcua's redirect to the provider, posts
//! the provider's own login and consent forms, and brings the provider's redirect back to
//! motcua's callback, as a load balancer in front of the nodes would (the callback URL
//! registered at the provider is `REDIRECT_URI`, a host the test stands for).

use std::collections::HashMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use motcua::auth::Role;
use motcua::auth::oidc::OidcSettings;
use serde_json::{Value, json};

use crate::support::{TestApp, error_code};

/// The callback URL registered at the provider: motcua's public URL behind its load balancer.
const REDIRECT_URI: &str = "http://motcua.test/api/v1/session/oidc/callback";

/// The provider, running; stopped when dropped.
struct Provider {
    issuer: String,
    _child: tokio::process::Child,
    _log: tempfile::NamedTempFile,
}

/// A free port on the loopback (free when this returns; the provider binds it next).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the provider on `port` and waits until it answers its discovery document.
async fn start_provider(port: u16) -> Provider {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc");
    assert!(
        std::path::Path::new(dir)
            .join("node_modules/oidc-provider")
            .is_dir(),
        "the test provider's packages are missing: run `npm ci --prefix tests/oidc` \
         (scripts/test.sh does)"
    );
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut child = tokio::process::Command::new("node")
        .arg(format!("{dir}/idp.mjs"))
        .env("PORT", port.to_string())
        .env("REDIRECT_URI", REDIRECT_URI)
        .stdout(Stdio::null())
        .stderr(log.reopen().unwrap())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs (Node 20 or later)");
    let issuer = format!("http://127.0.0.1:{port}");
    let discovery = format!("{issuer}/.well-known/openid-configuration");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = client.get(&discovery).send().await
            && r.status() == 200
        {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "the provider exited ({status}): {}",
                std::fs::read_to_string(log.path()).unwrap_or_default()
            );
        }
        assert!(
            Instant::now() < deadline,
            "the provider did not answer within a minute"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Provider {
        issuer,
        _child: child,
        _log: log,
    }
}

fn settings(issuer: &str) -> OidcSettings {
    OidcSettings {
        issuer: issuer.to_owned(),
        client_id: "motcua".into(),
        client_secret: "secret".into(),
        redirect_url: REDIRECT_URI.into(),
        scopes: vec!["profile".into(), "vn_identity".into()],
        username_claim: Some("preferred_username".into()),
        id_number_claim: Some("id_number".into()),
        tax_code_claim: Some("tax_code".into()),
    }
}

async fn app_with_provider(issuer: &str) -> TestApp {
    let oidc = settings(issuer);
    TestApp::spawn_with(move |s| s.accounts.oidc = Some(oidc)).await
}

/// Cookies of one site, as a browser keeps them (enough for these two sites: no paths, no
/// expiry but removal).
#[derive(Default, Clone)]
struct Jar(HashMap<String, String>);

impl Jar {
    fn absorb(&mut self, r: &reqwest::Response) {
        for value in r.headers().get_all("set-cookie") {
            let text = value.to_str().unwrap();
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            let lower = attributes.to_ascii_lowercase();
            if value.is_empty() || lower.contains("max-age=0") || lower.contains("1970") {
                self.0.remove(name.trim());
            } else {
                self.0
                    .insert(name.trim().to_owned(), value.trim().to_owned());
            }
        }
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn session(&self) -> Option<String> {
        self.0
            .get("__Host-motcua-session")
            .map(|v| format!("__Host-motcua-session={v}"))
    }
}

/// A browser: one jar for motcua (whichever node answers), one for the provider; redirects
/// followed by hand.
struct Browser {
    client: reqwest::Client,
    motcua: Jar,
    provider: Jar,
}

impl Browser {
    fn new() -> Self {
        Self {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            motcua: Jar::default(),
            provider: Jar::default(),
        }
    }

    async fn motcua_get(&mut self, url: &str) -> reqwest::Response {
        let r = self
            .client
            .get(url)
            .header("cookie", self.motcua.header())
            .send()
            .await
            .unwrap();
        self.motcua.absorb(&r);
        r
    }

    /// `GET /api/v1/session/oidc` on `base`: the provider's authorization URL.
    async fn begin(&mut self, base: &str, query: &str) -> String {
        let r = self
            .motcua_get(&format!("{base}/api/v1/session/oidc{query}"))
            .await;
        assert_eq!(r.status(), 303, "{:?}", r.text().await);
        location(&r)
    }

    /// Follows the provider's redirects from `url` until a page (its URL and HTML) or motcua's
    /// callback (`Err(url)`).
    async fn at_provider(&mut self, mut url: String) -> Result<(String, String), String> {
        for _ in 0..10 {
            if url.starts_with(REDIRECT_URI) {
                return Err(url);
            }
            let r = self
                .client
                .get(&url)
                .header("cookie", self.provider.header())
                .send()
                .await
                .unwrap();
            self.provider.absorb(&r);
            if r.status().is_redirection() {
                url = absolute(&url, &location(&r));
                continue;
            }
            assert_eq!(r.status(), 200, "{url}");
            return Ok((url, r.text().await.unwrap()));
        }
        panic!("the provider redirected more than ten times");
    }

    /// Posts the page's form with `fields`, and follows on.
    async fn post_form(
        &mut self,
        page_url: &str,
        html: &str,
        fields: &[(&str, &str)],
    ) -> Result<(String, String), String> {
        let action = absolute(page_url, &attribute_after(html, "<form", "action"));
        let mut form: Vec<(String, String)> = hidden_inputs(html);
        form.extend(
            fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let r = self
            .client
            .post(&action)
            .header("cookie", self.provider.header())
            .form(&form)
            .send()
            .await
            .unwrap();
        self.provider.absorb(&r);
        assert!(r.status().is_redirection(), "{action}: {}", r.status());
        let next = absolute(&action, &location(&r));
        self.at_provider(next).await
    }

    /// Signs in at the provider as `login` (the subject), consents, and returns the URL the
    /// provider sends the browser back to.
    async fn through_provider(&mut self, authorization_url: String, login: &str) -> String {
        let (url, html) = self.at_provider(authorization_url).await.unwrap();
        assert!(html.contains("name=\"login\""), "a login form: {html}");
        let next = self
            .post_form(&url, &html, &[("login", login), ("password", "any")])
            .await;
        match next {
            Err(callback) => callback,
            Ok((url, html)) => {
                assert!(html.contains("consent"), "a consent form: {html}");
                self.post_form(&url, &html, &[]).await.unwrap_err()
            }
        }
    }

    /// Brings the provider's redirect to motcua's callback on the node at `base`.
    async fn callback(&mut self, base: &str, provider_redirect: &str) -> reqwest::Response {
        let path = provider_redirect
            .strip_prefix("http://motcua.test")
            .unwrap();
        self.motcua_get(&format!("{base}{path}")).await
    }

    /// The whole flow: begun on `begin_on`, finished on `finish_on`.
    async fn sign_in(&mut self, begin_on: &str, finish_on: &str, login: &str) -> reqwest::Response {
        let authorization = self.begin(begin_on, "").await;
        let back = self.through_provider(authorization, login).await;
        self.callback(finish_on, &back).await
    }

    /// `GET /api/v1/session` with the session cookie.
    async fn who(&self, base: &str) -> reqwest::Response {
        self.client
            .get(format!("{base}/api/v1/session"))
            .header("cookie", self.motcua.session().expect("a session cookie"))
            .send()
            .await
            .unwrap()
    }
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .expect("a Location")
        .to_str()
        .unwrap()
        .to_owned()
}

fn absolute(base: &str, location: &str) -> String {
    reqwest::Url::parse(base)
        .unwrap()
        .join(location)
        .unwrap()
        .to_string()
}

/// The value of `name="..."` in the first `tag` of `html`.
fn attribute_after(html: &str, tag: &str, name: &str) -> String {
    let at = html
        .find(tag)
        .unwrap_or_else(|| panic!("no {tag} in {html}"));
    let rest = &html[at..];
    let start = rest.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
    let end = start + rest[start..].find('"').unwrap();
    rest[start..end].to_owned()
}

/// The hidden inputs of the page's form.
fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    html.split("<input")
        .skip(1)
        .filter(|i| i.contains("type=\"hidden\""))
        .map(|i| {
            let i = format!("<input{i}");
            (
                attribute_after(&i, "<input", "name"),
                attribute_after(&i, "<input", "value"),
            )
        })
        .collect()
}

async fn create_account(app: &TestApp, admin: &str, body: Value) {
    let r = app
        .client
        .post(app.url("/api/v1/accounts"))
        .bearer_auth(admin)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{:?}", r.text().await);
}

async fn account(app: &TestApp, admin: &str, username: &str) -> Value {
    let r = app
        .get(admin, &format!("/api/v1/accounts/{username}"))
        .await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn event_kinds(app: &TestApp, admin: &str, username: &str) -> Vec<(String, Option<String>)> {
    let r = app
        .get(admin, &format!("/api/v1/accounts/{username}/events"))
        .await;
    assert_eq!(r.status(), 200);
    let events: Vec<Value> = r.json().await.unwrap();
    events
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_owned(),
                e["detail"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

#[tokio::test]
async fn staff_sign_in_by_their_username_claim_then_by_their_subject() {
    let provider = start_provider(free_port()).await;
    let app = app_with_provider(&provider.issuer).await;
    let admin = app.token(Role::Admin).await;
    // An officer whose account exists before they first sign in, with no password: they sign
    // in only through the provider. Admins must have a second factor locally, but not here.
    create_account(
        &app,
        &admin,
        json!({"username": "canbo1", "role": "officer", "name": "Trần Thị Bình"}),
    )
    .await;
    assert_eq!(
        account(&app, &admin, "canbo1").await["identity_provider"],
        false
    );

    let mut browser = Browser::new();
    let r = browser.sign_in(&app.base, &app.base, "staff:canbo1").await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/");
    assert_eq!(r.headers()["cache-control"], "no-store");
    let cookies: Vec<&str> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("__Host-motcua-session="))
        .expect("the session cookie");
    for attribute in ["Path=/", "Secure", "HttpOnly", "SameSite=Lax"] {
        assert!(session.contains(attribute), "{session} lacks {attribute}");
    }
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("__Host-motcua-oidc=;") && c.contains("Max-Age=0")),
        "the flow's cookie is cleared: {cookies:?}"
    );
    let who = browser.who(&app.base).await;
    assert_eq!(who.status(), 200);
    let who: Value = who.json().await.unwrap();
    assert_eq!(who["username"], "canbo1");
    assert_eq!(who["role"], "officer");
    assert_eq!(who["enrol_second_factor"], false);
    // The session is a caller like any other.
    let listed = browser
        .client
        .get(app.url("/api/v1/dossiers"))
        .header("cookie", browser.motcua.session().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 200);
    assert_eq!(
        account(&app, &admin, "canbo1").await["identity_provider"],
        true
    );

    // The second time, the subject finds the account; it is bound once.
    let mut again = Browser::new();
    let r = again.sign_in(&app.base, &app.base, "staff:canbo1").await;
    assert_eq!(r.status(), 303);
    assert_eq!(again.who(&app.base).await.status(), 200);
    let events = event_kinds(&app, &admin, "canbo1").await;
    let count = |kind: &str, detail: Option<&str>| {
        events
            .iter()
            .filter(|(k, d)| k == kind && d.as_deref() == detail)
            .count()
    };
    assert_eq!(
        count("identity_provider_bound", Some("username claim")),
        1,
        "{events:?}"
    );
    assert_eq!(count("sign_in", Some("identity_provider")), 2, "{events:?}");

    // Another subject with the same username claim does not take the account over.
    let mut impostor = Browser::new();
    let r = impostor
        .sign_in(&app.base, &app.base, "impostor|staff:canbo1")
        .await;
    assert_eq!(
        error_code(r).await,
        (403, "no_account_for_identity".to_owned())
    );
    assert!(impostor.motcua.session().is_none());
    let events = event_kinds(&app, &admin, "canbo1").await;
    assert!(
        events.iter().any(|(k, d)| k == "identity_provider_refused"
            && d.as_deref() == Some("account bound to another identity")),
        "{events:?}"
    );

    // A disabled account is refused, even with the right subject.
    let r = app
        .client
        .post(app.url("/api/v1/accounts/canbo1/disable"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut later = Browser::new();
    let r = later.sign_in(&app.base, &app.base, "staff:canbo1").await;
    assert_eq!(error_code(r).await, (403, "account_disabled".to_owned()));
}

#[tokio::test]
async fn citizens_and_businesses_get_an_account_at_their_first_sign_in() {
    let provider = start_provider(free_port()).await;
    let app = app_with_provider(&provider.issuer).await;
    let admin = app.token(Role::Admin).await;

    for (login, username, role, field, number) in [
        (
            "citizen:001203004567",
            "citizen-001203004567",
            "citizen",
            "id_number",
            "001203004567",
        ),
        (
            "business:0101234565",
            "business-0101234565",
            "business",
            "tax_code",
            "0101234565",
        ),
    ] {
        let mut browser = Browser::new();
        let r = browser.sign_in(&app.base, &app.base, login).await;
        assert_eq!(r.status(), 303, "{login}");
        let who: Value = browser.who(&app.base).await.json().await.unwrap();
        assert_eq!(who["username"], username);
        assert_eq!(who["role"], role);
        assert_eq!(who[field], number);
        assert_eq!(who["name"], "Nguyễn Văn An", "named from the name claim");
        let made = account(&app, &admin, username).await;
        assert_eq!(made["password"], false, "no password: the provider only");
        assert_eq!(made["identity_provider"], true);
        let events = event_kinds(&app, &admin, username).await;
        assert!(
            events
                .iter()
                .any(|(k, d)| k == "account_created" && d.as_deref() == Some(role)),
            "{events:?}"
        );

        // The second sign-in finds the same account.
        let mut again = Browser::new();
        assert_eq!(
            again.sign_in(&app.base, &app.base, login).await.status(),
            303
        );
        let who: Value = again.who(&app.base).await.json().await.unwrap();
        assert_eq!(who["username"], username);
    }
    let r = app.get(&admin, "/api/v1/accounts").await;
    let accounts: Vec<Value> = r.json().await.unwrap();
    assert_eq!(accounts.len(), 2, "one account each: {accounts:?}");

    // A citizen's account an administrator made beforehand is the one they get.
    create_account(
        &app,
        &admin,
        json!({"username": "nguyenvanb", "role": "citizen", "id_number": "001085012345"}),
    )
    .await;
    let mut browser = Browser::new();
    let r = browser
        .sign_in(&app.base, &app.base, "citizen:001085012345")
        .await;
    assert_eq!(r.status(), 303);
    let who: Value = browser.who(&app.base).await.json().await.unwrap();
    assert_eq!(who["username"], "nguyenvanb");

    // A number that breaks its rule is refused.
    let mut browser = Browser::new();
    let r = browser
        .sign_in(&app.base, &app.base, "citizen:999203004567")
        .await;
    assert_eq!(
        error_code(r).await,
        (403, "invalid_identity_claim".to_owned())
    );
}

#[tokio::test]
async fn an_identity_no_account_answers_to_is_refused_and_recorded() {
    let provider = start_provider(free_port()).await;
    let app = app_with_provider(&provider.issuer).await;
    let mut browser = Browser::new();
    let r = browser.sign_in(&app.base, &app.base, "staff:nobody").await;
    assert_eq!(
        error_code(r).await,
        (403, "no_account_for_identity".to_owned())
    );
    assert!(browser.motcua.session().is_none());
    let events = app
        .state()
        .dossiers
        .db()
        .security_events_of("", "nobody", 10)
        .await
        .unwrap();
    assert!(
        events.iter().any(|e| e.kind == "identity_provider_refused"
            && e.detail.as_deref() == Some("no account for the identity")),
        "{events:?}"
    );

    // An identity with no claim motcua maps, likewise.
    let mut browser = Browser::new();
    let r = browser.sign_in(&app.base, &app.base, "someone").await;
    assert_eq!(
        error_code(r).await,
        (403, "no_account_for_identity".to_owned())
    );
}

#[tokio::test]
async fn a_flow_is_good_once_and_only_in_the_browser_that_began_it() {
    let provider = start_provider(free_port()).await;
    let app = app_with_provider(&provider.issuer).await;
    let admin = app.token(Role::Admin).await;
    create_account(
        &app,
        &admin,
        json!({"username": "canbo2", "role": "officer"}),
    )
    .await;

    // A callback with no state cookie (another browser was made to open it: login CSRF) is
    // refused, and does not use the flow up.
    let mut browser = Browser::new();
    let authorization = browser.begin(&app.base, "").await;
    let back = browser
        .through_provider(authorization, "staff:canbo2")
        .await;
    let mut stranger = Browser::new();
    let r = stranger.callback(&app.base, &back).await;
    assert_eq!(error_code(r).await, (400, "invalid_state".to_owned()));
    let r = browser.callback(&app.base, &back).await;
    assert_eq!(r.status(), 303);

    // Replayed: the flow is gone.
    let mut replayed = Browser {
        client: browser.client.clone(),
        motcua: Jar::default(),
        provider: Jar::default(),
    };
    let state = reqwest::Url::parse(&back)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    replayed
        .motcua
        .0
        .insert("__Host-motcua-oidc".into(), state.clone());
    let r = replayed.callback(&app.base, &back).await;
    assert_eq!(error_code(r).await, (400, "invalid_state".to_owned()));

    // A state motcua never issued.
    let mut forged = Browser::new();
    forged
        .motcua
        .0
        .insert("__Host-motcua-oidc".into(), "made-up".into());
    let r = forged
        .callback(&app.base, &format!("{REDIRECT_URI}?code=abc&state=made-up"))
        .await;
    assert_eq!(error_code(r).await, (400, "invalid_state".to_owned()));
}

#[tokio::test]
async fn a_flow_begun_on_one_node_finishes_on_another() {
    let provider = start_provider(free_port()).await;
    let app = app_with_provider(&provider.issuer).await;
    let admin = app.token(Role::Admin).await;
    create_account(
        &app,
        &admin,
        json!({"username": "canbo3", "role": "archivist"}),
    )
    .await;
    let sibling = app.sibling().await;
    let other = format!("http://{}", sibling.addr());

    let mut browser = Browser::new();
    let authorization = browser
        .begin(&app.base, "?return_to=/dossiers%3Fstatus%3DRECEIVED")
        .await;
    let back = browser
        .through_provider(authorization, "staff:canbo3")
        .await;
    let r = browser.callback(&other, &back).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/dossiers?status=RECEIVED");
    // The session opened on the second node is good on the first (and an archivist, who needs
    // a second factor with a password, needs none here).
    let who: Value = browser.who(&app.base).await.json().await.unwrap();
    assert_eq!(who["username"], "canbo3");
    assert_eq!(who["enrol_second_factor"], false);
    sibling.stop().await.unwrap();
}

#[tokio::test]
async fn a_provider_down_at_start_is_waited_for_and_its_refusals_are_clear() {
    // motcua starts while the provider is not there yet.
    let port = free_port();
    let app = app_with_provider(&format!("http://127.0.0.1:{port}")).await;
    let mut browser = Browser::new();
    let r = browser.motcua_get(&app.url("/api/v1/session/oidc")).await;
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(
        error_code(r).await,
        (503, "identity_provider_unavailable".to_owned())
    );
    assert_eq!(
        app.client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // It comes up: sign-in works as soon as motcua tries it again.
    let _provider = start_provider(port).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let authorization = loop {
        let r = browser.motcua_get(&app.url("/api/v1/session/oidc")).await;
        if r.status() == 303 {
            break location(&r);
        }
        assert_eq!(r.status(), 503);
        assert!(Instant::now() < deadline, "still unavailable");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(authorization.starts_with(&format!("http://127.0.0.1:{port}/auth?")));
    for (name, expected) in [
        ("response_type", "code"),
        ("client_id", "motcua"),
        ("code_challenge_method", "S256"),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "openid profile vn_identity"),
    ] {
        let url = reqwest::Url::parse(&authorization).unwrap();
        let value = url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v);
        assert_eq!(value.as_deref(), Some(expected), "{name}");
    }

    // The person cancels at the provider.
    let (page, html) = browser.at_provider(authorization).await.unwrap();
    let abort = absolute(&page, &attribute_after(&html, "<a href", "href"));
    assert!(abort.ends_with("/abort"), "{abort}");
    let back = browser.at_provider(abort).await.unwrap_err();
    let r = browser.callback(&app.base, &back).await;
    assert_eq!(error_code(r).await, (403, "sign_in_denied".to_owned()));

    // return_to is a path of this service, nothing else.
    for bad in ["//evil.example/", "https://evil.example/", "dossiers"] {
        let r = browser
            .motcua_get(&format!(
                "{}/api/v1/session/oidc?return_to={}",
                app.base,
                percent(bad)
            ))
            .await;
        assert_eq!(
            error_code(r).await,
            (400, "invalid_return_to".to_owned()),
            "{bad}"
        );
    }

    // A deployment with no provider says so.
    let plain = TestApp::spawn().await;
    let r = plain
        .client
        .get(plain.url("/api/v1/session/oidc"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(r).await,
        (404, "identity_provider_not_configured".to_owned())
    );

    // Both ends of the flow are in the API's document, and need no token.
    let doc: Value = plain
        .client
        .get(plain.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in ["/api/v1/session/oidc", "/api/v1/session/oidc/callback"] {
        let get = &doc["paths"][path]["get"];
        assert!(get["responses"]["303"].is_object(), "{path}: {get}");
        assert!(get["security"].is_null(), "{path} needs no token");
    }
}

fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
