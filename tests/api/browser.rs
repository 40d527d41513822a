//! The pages in a real browser: walks in `tests/browser/` (Node, playwright-core driving Debian's
//! Chromium, axe-core checking accessibility; pinned by its `package-lock.json`, installed with
//! Chromium by `scripts/test.sh`) go through motcua's pages as a person would, against an app
//! each test starts. One Chromium at a time: the machine has two cores.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use motcua::auth::Role;
use serde_json::json;
use tokio::io::AsyncReadExt as _;
use tokio::sync::Semaphore;

use crate::support::TestApp;

/// How long one walk may take before it is killed.
const TIMEOUT: Duration = Duration::from_secs(120);

/// One browser at a time in this process.
static CHROMIUM: Semaphore = Semaphore::const_new(1);

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser");

/// Fails, naming the script that installs them, unless the walks' packages and Chromium are here.
fn assert_installed() {
    let chromium = std::env::var("MOTCUA_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    for (what, path) in [
        (
            "playwright-core",
            format!("{DIR}/node_modules/playwright-core"),
        ),
        ("axe-core", format!("{DIR}/node_modules/axe-core")),
        ("Chromium", chromium),
    ] {
        assert!(
            Path::new(&path).exists(),
            "{what} is missing ({path}): scripts/test.sh installs it \
             (or `apt-get install chromium` and `npm ci --prefix tests/browser`)"
        );
    }
}

/// Runs `node tests/browser/<script>` against `app` (`MOTCUA_BASE`, plus `env`) and panics
/// with its output unless it exits 0 within [`TIMEOUT`].
pub async fn walk(app: &TestApp, script: &str, env: &[(&str, &str)]) {
    let mut all = vec![("MOTCUA_BASE", app.base.as_str())];
    all.extend_from_slice(env);
    node(script, &all).await;
}

/// Runs `node tests/browser/<script>` with `env`, one at a time, as [`walk`] says.
async fn node(script: &str, env: &[(&str, &str)]) {
    assert_installed();
    let _one_browser = CHROMIUM.acquire().await.unwrap();
    let started = Instant::now();
    let mut child = tokio::process::Command::new("node")
        .arg(format!("{DIR}/{script}"))
        .current_dir(DIR)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs (Node 20 or later)");
    let pid = child.id().expect("the walk is running");
    let read = |mut pipe: Box<dyn tokio::io::AsyncRead + Send + Unpin>| {
        tokio::spawn(async move {
            let mut text = String::new();
            pipe.read_to_string(&mut text).await.map(|_| text)
        })
    };
    let stdout = read(Box::new(child.stdout.take().unwrap()));
    let stderr = read(Box::new(child.stderr.take().unwrap()));
    let status = match tokio::time::timeout(TIMEOUT, child.wait()).await {
        Ok(status) => Some(status.unwrap()),
        Err(_) => {
            // SIGTERM first: playwright-core then closes its Chromium (in a process group of
            // its own) before node exits. SIGKILL if that does not happen soon.
            // SAFETY: kill(2) on the child this test started, which has not been waited for.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
            if tokio::time::timeout(Duration::from_secs(10), child.wait())
                .await
                .is_err()
            {
                child.kill().await.unwrap();
            }
            None
        }
    };
    let stdout = stdout.await.unwrap().unwrap_or_default();
    let stderr = stderr.await.unwrap().unwrap_or_default();
    let took = started.elapsed();
    match status {
        Some(s) if s.success() => eprintln!("{script} ({took:.1?}):\n{}", stdout.trim_end()),
        Some(s) => panic!("{script} failed ({s}) after {took:.1?}:\n{stdout}\n{stderr}"),
        None => panic!("{script} did not finish within {TIMEOUT:?}, killed:\n{stdout}\n{stderr}"),
    }
}

/// The walks' checks fail where they should: a page of the walk's own making that breaks each
/// rule is caught on each, and a page that keeps them passes.
#[tokio::test]
async fn the_walks_checks_catch_a_page_that_breaks_the_rules() {
    node("self_check.mjs", &[]).await;
}

#[tokio::test]
async fn the_sign_in_walk_passes_in_a_real_browser() {
    const PASSWORD: &str = "ngựa-phi-đường-xa-2026";
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
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    walk(
        &app,
        "sign_in.mjs",
        &[
            ("MOTCUA_USERNAME", "canbo"),
            ("MOTCUA_PASSWORD", PASSWORD),
            ("MOTCUA_NAME", "Trần Thị Bình"),
        ],
    )
    .await;
}

#[tokio::test]
async fn an_officer_receives_and_moves_a_dossier_with_the_keyboard_in_a_real_browser() {
    const PASSWORD: &str = "ngựa-phi-đường-xa-2026";
    let app = TestApp::spawn_with(|s| s.accounts.second_factor_roles.clear()).await;
    let admin = app.token(Role::Admin).await;
    let r = app
        .client
        .post(app.url("/api/v1/accounts"))
        .bearer_auth(&admin)
        .json(
            &json!({"username": "canbo", "password": PASSWORD, "role": "officer",
                      "name": "Lê Thị Bình"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let scan = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/scans/gray-200dpi.png"
    );
    walk(
        &app,
        "counter.mjs",
        &[
            ("MOTCUA_USERNAME", "canbo"),
            ("MOTCUA_PASSWORD", PASSWORD),
            ("MOTCUA_SCAN", scan),
        ],
    )
    .await;
    // What the walk did is recorded: one dossier, received from the form and accepted.
    let officer = app.token(Role::Officer).await;
    let list: serde_json::Value = app
        .get(&officer, "/api/v1/dossiers")
        .await
        .json()
        .await
        .unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["applicant"]["name"], "Phạm Thị Lan");
    assert_ne!(items[0]["status"], "RECEIVED", "it was moved");
}

#[tokio::test]
async fn a_citizen_files_online_with_a_progress_bar_in_a_real_browser() {
    const PASSWORD: &str = "ngựa-phi-đường-xa-2026";
    let app = TestApp::spawn_with(|s| s.accounts.second_factor_roles.clear()).await;
    let admin = app.token(Role::Admin).await;
    let r = app
        .client
        .post(app.url("/api/v1/accounts"))
        .bearer_auth(&admin)
        .json(
            &json!({"username": "hoa", "password": PASSWORD, "role": "citizen",
                      "id_number": "001203004567", "name": "Nguyễn Thị Hoa"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let scan = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/scans/a4-rgb-100dpi.jpg"
    );
    walk(
        &app,
        "applicant.mjs",
        &[
            ("MOTCUA_USERNAME", "hoa"),
            ("MOTCUA_PASSWORD", PASSWORD),
            ("MOTCUA_SCAN", scan),
        ],
    )
    .await;
    // Two dossiers filed (one per language), each as corrected at the check step.
    let officer = app.token(Role::Officer).await;
    let list: serde_json::Value = app
        .get(&officer, "/api/v1/dossiers")
        .await
        .json()
        .await
        .unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    assert!(
        items
            .iter()
            .all(|d| d["details"]["data"]["content"] == "Đăng ký khai sinh cho con gái")
    );
}

#[tokio::test]
async fn an_administrator_turns_on_two_step_sign_in_in_a_real_browser() {
    const PASSWORD: &str = "ngựa-phi-đường-xa-2026";
    // Administrators must enrol a second factor (the default policy).
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    for username in ["quantri", "admin-en"] {
        let r = app
            .client
            .post(app.url("/api/v1/accounts"))
            .bearer_auth(&admin)
            .json(
                &json!({"username": username, "password": PASSWORD, "role": "admin",
                          "name": "Quản trị"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }
    walk(
        &app,
        "enrol.mjs",
        &[
            ("MOTCUA_USERNAME_VI", "quantri"),
            ("MOTCUA_USERNAME_EN", "admin-en"),
            ("MOTCUA_PASSWORD", PASSWORD),
        ],
    )
    .await;
    // Both accounts now have their second factor, as the account API says.
    let accounts: serde_json::Value = app
        .get(&admin, "/api/v1/accounts")
        .await
        .json()
        .await
        .unwrap();
    let enrolled = accounts
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["second_factor"] == true)
        .count();
    assert_eq!(enrolled, 2, "{accounts}");
}

#[tokio::test]
async fn an_archivist_holds_a_record_and_asks_for_its_disposal_with_the_keyboard_in_a_real_browser()
{
    const PASSWORD: &str = "ngựa-phi-đường-xa-2026";
    let app = TestApp::spawn_with(|s| s.accounts.second_factor_roles.clear()).await;
    let dir = tempfile::tempdir().unwrap();
    let (_, citizen) = crate::disposal::imported(&app, dir.path()).await;
    let admin = app.token(Role::Admin).await;
    let r = app
        .client
        .post(app.url("/api/v1/accounts"))
        .bearer_auth(&admin)
        .json(
            &json!({"username": "luutru", "password": PASSWORD, "role": "archivist",
                      "name": "Đỗ Thị Lưu"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    walk(
        &app,
        "archive.mjs",
        &[
            ("MOTCUA_USERNAME", "luutru"),
            ("MOTCUA_PASSWORD", PASSWORD),
            ("MOTCUA_NAME", "Nguyễn Văn Bình"),
        ],
    )
    .await;
    // What the walk did is recorded: the hold placed and lifted, the disposal asked for.
    let archivist = app.token(Role::Archivist).await;
    let id = citizen["id"].as_str().unwrap();
    let v: serde_json::Value = app
        .get(&archivist, &format!("/api/v1/dossiers/{id}/retention"))
        .await
        .json()
        .await
        .unwrap();
    assert!(v.get("legal_hold").is_none(), "{v}");
    assert_eq!(v["disposal"]["status"], "requested", "{v}");
    assert_eq!(v["disposal"]["reason"], "Hết thời hạn bảo quản", "{v}");
}

#[tokio::test]
async fn an_administrator_walks_the_administration_screens_in_a_real_browser() {
    const PASSWORD: &str = "ngựa-phi-đường-xa-2026";
    let app = TestApp::spawn_with(|s| s.accounts.second_factor_roles.clear()).await;
    let admin = app.token(Role::Admin).await;
    let r = app
        .client
        .post(app.url("/api/v1/accounts"))
        .bearer_auth(&admin)
        .json(
            &json!({"username": "quantri", "password": PASSWORD, "role": "admin",
                      "name": "Quản Trị Viên"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    // A dossier, so the report has something to show.
    let citizen = app.citizen_token("001203004567").await;
    let dossier = json!({
        "procedure": "birth-registration",
        "applicant": {"id_number": "001203004567", "name": "Phạm Thị Lan"},
        "data": {"child_name": "Nguyễn Văn Bé"}
    });
    app.submit_ok(
        &citizen,
        crate::support::form(
            &dossier,
            vec![(
                "to-khai.pdf",
                "application/pdf",
                crate::support::pdf("Phạm Thị Lan"),
            )],
        ),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("procedures.toml");
    std::fs::write(
        &file,
        motcua::dossier::catalogue::BUILTIN
            .replace("processing_days = 3\n", "processing_days = 4\n"),
    )
    .unwrap();
    walk(
        &app,
        "admin.mjs",
        &[
            ("MOTCUA_USERNAME", "quantri"),
            ("MOTCUA_PASSWORD", PASSWORD),
            ("MOTCUA_CATALOGUE", file.to_str().unwrap()),
        ],
    )
    .await;
    // What the walk did is recorded: the account disabled, the unit added, the catalogue
    // published.
    let account: serde_json::Value = app
        .get(&admin, "/api/v1/accounts/nguyen.lan")
        .await
        .json()
        .await
        .unwrap();
    assert!(account["disabled_at"].is_string(), "{account}");
    assert_eq!(app.get(&admin, "/api/v1/units/TEST.Q1").await.status(), 200);
    let procedures: serde_json::Value = app
        .get(&admin, "/api/v1/procedures")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        procedures
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["code"] == "business-registration" && p["processing_days"] == 4),
        "{procedures}"
    );
}
