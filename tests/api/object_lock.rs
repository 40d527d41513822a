//! Object Lock: where the bucket has it, every stored object is locked in COMPLIANCE mode for
//! as long as its record's retention may last (permanent records for 100 years), a lock is
//! only ever extended, and a disposal deletes every version once the lock has run out.
//!
//! Garage has no Object Lock, so these tests store objects with moto's S3 server
//! (`moto_server`, installed by scripts/test.sh), on either backend's database: an independent
//! implementation of the S3 protocol that keeps and enforces retentions. motcua takes S3
//! credentials from the environment; any will do for moto, and scripts/test.sh sets some for
//! the embedded run.

use motcua::auth::Role;
use motcua::config::StorageSettings;
use motcua::storage::{Retained, S3Settings, Sha256Digest};
use serde_json::{Value, json};

use crate::support::{TestApp, form, pdf};

/// A `moto_server` on a free port, stopped when dropped.
struct Moto {
    child: std::process::Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn moto() -> Moto {
    use std::io::BufRead as _;
    // On a port of its own choosing (port 0), which it prints: a port picked here and released
    // could be taken by another test's server meanwhile.
    let mut child = std::process::Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", "0"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("moto_server (pip install 'moto[server]') runs");
    let stderr = child.stderr.take().unwrap();
    let endpoint = tokio::task::spawn_blocking(move || {
        let mut lines = std::io::BufReader::new(stderr).lines();
        let endpoint = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|l| l.split("Running on ").nth(1).map(|u| u.trim().to_owned()));
        // Keep draining, so the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        endpoint
    })
    .await
    .unwrap()
    .expect("moto_server says where it listens");
    Moto { child, endpoint }
}

fn s3_client(endpoint: &str) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::new()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "moto", "moto", None, None, "test",
        ))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

async fn locked_app(moto: &Moto) -> TestApp {
    assert!(
        std::env::var_os("AWS_ACCESS_KEY_ID").is_some(),
        "motcua reads S3 credentials from the environment: set AWS_ACCESS_KEY_ID and \
         AWS_SECRET_ACCESS_KEY (any values do for moto; scripts/test.sh sets them)"
    );
    let client = s3_client(&moto.endpoint);
    client
        .create_bucket()
        .bucket("locked")
        .object_lock_enabled_for_bucket(true)
        .send()
        .await
        .unwrap();
    let endpoint = moto.endpoint.clone();
    TestApp::spawn_with(move |s| {
        s.store.storage = StorageSettings::S3(S3Settings {
            bucket: "locked".into(),
            endpoint: Some(endpoint),
            region: "us-east-1".into(),
            prefix: String::new(),
            path_style: true,
            part_size: 5 << 20,
        })
    })
    .await
}

/// The object's lock: mode and retain-until (Unix seconds).
async fn lock_of(moto: &Moto, sha: &str) -> (Option<String>, Option<i64>) {
    let head = s3_client(&moto.endpoint)
        .head_object()
        .bucket("locked")
        .key(format!("objects/sha256/{sha}"))
        .send()
        .await
        .unwrap();
    (
        head.object_lock_mode().map(|m| m.as_str().to_owned()),
        head.object_lock_retain_until_date().map(|d| d.secs()),
    )
}

fn year_of(secs: i64) -> i32 {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .unwrap()
        .year()
}

#[tokio::test]
async fn a_store_without_object_lock_locks_nothing_and_fails_nothing() {
    // A local directory (embedded) has no such thing, and Garage (production) does not
    // implement it.
    let app = TestApp::spawn().await;
    let d = app
        .submit_ok(
            &app.business_token("0101234565").await,
            form(
                &crate::support::business_dossier("0101234565"),
                vec![("don.pdf", "application/pdf", pdf("unlocked"))],
            ),
        )
        .await;
    let sha = Sha256Digest::from_hex(d["documents"][0]["sha256"].as_str().unwrap()).unwrap();
    let r = app
        .state()
        .store
        .retain(
            &sha,
            time::OffsetDateTime::now_utc() + time::Duration::days(1),
        )
        .await
        .unwrap();
    assert_eq!(r, Retained::NotApplicable);
}

#[tokio::test]
async fn objects_are_locked_in_compliance_mode_for_their_records_retention() {
    let moto = moto().await;
    let app = locked_app(&moto).await;
    let ready: Value = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["checks"]["object_lock"], "enabled", "{ready}");

    // A business registration is kept permanently: its files for 100 years.
    let business = app.business_token("0101234565").await;
    let d = app
        .submit_ok(
            &business,
            form(
                &crate::support::business_dossier("0101234565"),
                vec![("don.pdf", "application/pdf", pdf("permanent"))],
            ),
        )
        .await;
    let (mode, until) = lock_of(&moto, d["documents"][0]["sha256"].as_str().unwrap()).await;
    assert_eq!(mode.as_deref(), Some("COMPLIANCE"));
    let this_year = motcua::workflow::calendar::today().year();
    assert!(year_of(until.unwrap()) >= this_year + 99, "{until:?}");

    // A health-insurance record is kept 10 years from its closing year, so never less than
    // until 1 January after this year plus 10.
    let citizen = app.citizen_token("001203004567").await;
    let d = app
        .submit_ok(
            &citizen,
            form(
                &json!({"procedure": "health-insurance-card",
                        "applicant": {"id_number": "001203004567", "name": "Nguyễn Minh An"}}),
                vec![("to-khai.pdf", "application/pdf", pdf("ten years"))],
            ),
        )
        .await;
    let sha = d["documents"][0]["sha256"].as_str().unwrap().to_owned();
    let (mode, until) = lock_of(&moto, &sha).await;
    assert_eq!(mode.as_deref(), Some("COMPLIANCE"));
    let until = until.unwrap();
    assert_eq!(
        time::OffsetDateTime::from_unix_timestamp(until)
            .unwrap()
            .date(),
        time::Date::from_calendar_date(this_year + 11, time::Month::January, 1).unwrap()
    );

    // Nobody deletes a locked version, and a lock is never shortened.
    let client = s3_client(&moto.endpoint);
    let key = format!("objects/sha256/{sha}");
    let versions = client
        .list_object_versions()
        .bucket("locked")
        .prefix(&key)
        .send()
        .await
        .unwrap();
    let version = versions.versions()[0].version_id().unwrap().to_owned();
    let refused = client
        .delete_object()
        .bucket("locked")
        .key(&key)
        .version_id(&version)
        .send()
        .await;
    assert!(refused.is_err(), "a locked version is not deleted");
    let digest = Sha256Digest::from_hex(&sha).unwrap();
    let sooner = time::OffsetDateTime::now_utc() + time::Duration::days(30);
    assert!(matches!(
        app.state().store.retain(&digest, sooner).await.unwrap(),
        Retained::AlreadyUntil(_)
    ));
    assert_eq!(lock_of(&moto, &sha).await.1, Some(until));

    // The same dossier's result, issued later, is locked with it.
    let officer = app.token(Role::Officer).await;
    let r = app
        .client
        .post(app.url(&format!(
            "/api/v1/dossiers/{}/results",
            d["id"].as_str().unwrap()
        )))
        .bearer_auth(&officer)
        .json(&json!({"kind": "dossier_receipt", "place": "Hà Nội"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let result: Value = r.json().await.unwrap();
    let (mode, _) = lock_of(&moto, result["sha256"].as_str().unwrap()).await;
    assert_eq!(mode.as_deref(), Some("COMPLIANCE"));
}

#[tokio::test]
async fn a_disposal_on_a_locked_bucket_deletes_every_version_once_the_lock_ran_out() {
    let moto = moto().await;
    let app = locked_app(&moto).await;
    let dir = tempfile::tempdir().unwrap();
    let (permanent, citizen) = crate::disposal::imported(&app, dir.path()).await;
    let id = citizen["id"].as_str().unwrap();
    let sha = citizen["documents"][0]["sha256"].as_str().unwrap();
    // Closed in 2014 and kept 10 years: its lock would have run out in 2025, so none is set.
    assert_eq!(lock_of(&moto, sha).await.0, None);
    // The permanent record imported with it is locked.
    let (mode, _) = lock_of(&moto, permanent["documents"][0]["sha256"].as_str().unwrap()).await;
    assert_eq!(mode.as_deref(), Some("COMPLIANCE"));

    use crate::disposal::{post, request};
    let archivist = app.token(Role::Archivist).await;
    let admin = app.token(Role::Admin).await;
    let path = format!("/api/v1/dossiers/{id}/disposal");
    let r = post(&app, &archivist, &path, Some(request())).await;
    assert_eq!(r.status(), 201);
    let r = post(&app, &admin, &format!("{path}/approval"), None).await;
    assert_eq!(r.status(), 200);
    // The bytes were written just now, within the orphan grace period: the orphan sweep removes
    // them, every version. Run with no grace, it does so now.
    crate::support::gc_now(&app).await;
    let versions = s3_client(&moto.endpoint)
        .list_object_versions()
        .bucket("locked")
        .prefix(format!("objects/sha256/{sha}"))
        .send()
        .await
        .unwrap();
    assert!(
        versions.versions().is_empty() && versions.delete_markers().is_empty(),
        "no version of the disposed bytes is left: {versions:?}"
    );
}

#[tokio::test]
async fn objects_not_locked_yet_are_locked_by_the_next_pass() {
    let moto = moto().await;
    let app = locked_app(&moto).await;
    let business = app.business_token("0101234565").await;
    let d = app
        .submit_ok(
            &business,
            form(
                &crate::support::business_dossier("0101234565"),
                vec![("don.pdf", "application/pdf", pdf("lost lock"))],
            ),
        )
        .await;
    let sha = d["documents"][0]["sha256"].as_str().unwrap().to_owned();
    // Nothing is waiting: the intake locked it.
    assert_eq!(app.state().dossiers.protect_unlocked(500).await.unwrap(), 0);

    // Stand for a lock that never happened (a crash between the commit and the lock): the
    // record forgets it, and the bucket's lock is cut short (moto, unlike AWS, lets a
    // COMPLIANCE retention be shortened, which is what makes this stand-in possible).
    crate::tamper::sql(&app, "UPDATE objects SET locked_until = NULL").await;
    let tomorrow = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    s3_client(&moto.endpoint)
        .put_object_retention()
        .bucket("locked")
        .key(format!("objects/sha256/{sha}"))
        .retention(
            aws_sdk_s3::types::ObjectLockRetention::builder()
                .mode(aws_sdk_s3::types::ObjectLockRetentionMode::Compliance)
                .retain_until_date(aws_sdk_s3::primitives::DateTime::from_secs(
                    tomorrow.unix_timestamp(),
                ))
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        lock_of(&moto, &sha).await.1,
        Some(tomorrow.unix_timestamp())
    );

    // The pass (at every start, then every ten minutes) locks it for its retention again.
    assert_eq!(app.state().dossiers.protect_unlocked(500).await.unwrap(), 1);
    let (mode, until) = lock_of(&moto, &sha).await;
    assert_eq!(mode.as_deref(), Some("COMPLIANCE"));
    let this_year = motcua::workflow::calendar::today().year();
    assert!(year_of(until.unwrap()) >= this_year + 99, "{until:?}");
    assert_eq!(app.state().dossiers.protect_unlocked(500).await.unwrap(), 0);
}
