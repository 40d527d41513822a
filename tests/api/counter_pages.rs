//! The counter's screens over HTTP, as a browser without scripts meets them: the work queue
//! with its counts, deadline colours and one search box; a dossier's page with its moves as
//! forms; an applicant who sees only their own; the public lookup that shows no personal data;
//! and a second factor enrolled from the pages. (Real-browser walks are in `browser.rs`.)

use serde_json::json;

use crate::pages::{hidden, no_redirects, signed_in};
use crate::support::*;

const PASSWORD: &str = "ngựa-phi-đường-xa-2026";

async fn page(app: &TestApp, cookie: &str, path: &str) -> (u16, String) {
    let r = no_redirects()
        .get(app.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn birth_registration(app: &TestApp, id_number: &str, name: &str) -> serde_json::Value {
    let token = app.citizen_token(id_number).await;
    let dossier = json!({
        "procedure": "birth-registration",
        "applicant": {"id_number": id_number, "name": name},
        "contact": {"phone": "0912345678"},
        "data": {"child_name": "Nguyễn Văn Bé", "born": "2026-11-20"}
    });
    app.submit_ok(
        &token,
        form(
            &dossier,
            vec![("to-khai.pdf", "application/pdf", pdf(name))],
        ),
    )
    .await
}

#[tokio::test]
async fn an_officer_finds_a_dossier_in_the_queue_and_moves_it_from_its_page() {
    let app = TestApp::spawn_with(|s| s.accounts.second_factor_roles.clear()).await;
    let mine = birth_registration(&app, "001203004567", "Nguyễn Thị Hoa").await;
    birth_registration(&app, "001085012345", "Trần Văn Nam").await;
    let officer = signed_in(
        &app,
        json!({"username": "canbo", "password": PASSWORD, "role": "officer", "name": "Lê Bình"}),
    )
    .await;

    // The queue: both dossiers, counted by status, with their due dates coloured.
    let (status, html) = page(&app, &officer, "/dossiers").await;
    assert_eq!(status, 200);
    assert!(html.contains("<h1>Hồ sơ cần xử lý</h1>"), "{html}");
    assert!(html.contains("Nguyễn Thị Hoa") && html.contains("Trần Văn Nam"));
    assert!(
        html.contains("Đã tiếp nhận <span class=\"count\">2</span>"),
        "the RECEIVED tab counts both"
    );
    assert!(html.contains("class=\"standing in-time\""), "{html}");

    // One box finds by name, by ID number and by code.
    let code = mine["code"].as_str().unwrap();
    for q in ["Thị Hoa", "001203004567", code] {
        let (_, html) = page(
            &app,
            &officer,
            &format!(
                "/dossiers?{}",
                serde_urlencoded::to_string([("q", q)]).unwrap()
            ),
        )
        .await;
        assert!(html.contains("Nguyễn Thị Hoa"), "{q} finds the dossier");
        assert!(!html.contains("Trần Văn Nam"), "{q} finds only it");
    }
    // A date filter that is not a date is a clear error, not an empty list.
    let (status, html) = page(&app, &officer, "/dossiers?from=hom-qua").await;
    assert_eq!(status, 400);
    assert!(html.contains("invalid_query"), "{html}");

    // The dossier's page: declaration, papers, history, and the officer's moves as forms.
    let id = mine["id"].as_str().unwrap();
    let (status, html) = page(&app, &officer, &format!("/dossiers/{id}")).await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("Hồ sơ {code}")));
    assert!(html.contains("Nguyễn Văn Bé"), "the declared data");
    assert!(html.contains("to-khai.pdf"));
    assert!(html.contains("Nhận đủ hồ sơ"), "the accept button: {html}");
    let csrf = hidden(&html, "csrf_token");
    let version = hidden(&html, "version");

    let post = |form: Vec<(&'static str, String)>| {
        let app = &app;
        let officer = officer.clone();
        async move {
            no_redirects()
                .post(app.url(&format!("/dossiers/{id}/move")))
                .header("cookie", officer)
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    // Without the session's token the form is refused and nothing moves.
    let r = post(vec![("csrf_token", "x".into()), ("to", "ACCEPTED".into())]).await;
    assert_eq!(r.status(), 403);
    // A refusal needs a reason: the API's rule, in plain words.
    let r = post(vec![
        ("csrf_token", csrf.clone()),
        ("to", "REJECTED".into()),
        ("version", version.clone()),
    ])
    .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("Bước này cần ghi rõ lý do."), "{html}");
    assert!(html.contains("reason_required"));
    // Accepting works and the page says so.
    let r = post(vec![
        ("csrf_token", csrf.clone()),
        ("to", "ACCEPTED".into()),
        ("version", version.clone()),
    ])
    .await;
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(to, format!("/dossiers/{id}?moved=ACCEPTED"));
    let (_, html) = page(&app, &officer, &to).await;
    assert!(
        html.contains("Đã chuyển hồ sơ sang: Đã nhận đủ hồ sơ."),
        "{html}"
    );
    // The same form again, with the version it was drawn from: someone moved first.
    let r = post(vec![
        ("csrf_token", csrf),
        ("to", "ACCEPTED".into()),
        ("version", version),
    ])
    .await;
    assert_eq!(r.status(), 409);

    // The API agrees: the move is recorded, by the officer's account (the service then asks
    // for the paper originals on its own).
    let officer_token = app.token(motcua::auth::Role::Officer).await;
    let d: serde_json::Value = app
        .get(&officer_token, &format!("/api/v1/dossiers/{id}"))
        .await
        .json()
        .await
        .unwrap();
    let history = d["history"].as_array().unwrap();
    assert!(
        history
            .iter()
            .any(|m| m["to"] == "ACCEPTED" && m["actor"] == "officer"),
        "{d}"
    );
    assert_eq!(d["status"], "AWAITING_ORIGINALS");
}

#[tokio::test]
async fn an_applicant_sees_only_their_own_dossiers_on_the_pages() {
    let app = TestApp::spawn_with(|s| s.accounts.second_factor_roles.clear()).await;
    let own = birth_registration(&app, "001203004567", "Nguyễn Thị Hoa").await;
    let other = birth_registration(&app, "001085012345", "Trần Văn Nam").await;
    let citizen = signed_in(
        &app,
        json!({"username": "hoa", "password": PASSWORD, "role": "citizen",
               "id_number": "001203004567", "name": "Nguyễn Thị Hoa"}),
    )
    .await;
    let (status, html) = page(&app, &citizen, "/dossiers").await;
    assert_eq!(status, 200);
    assert!(html.contains("<h1>Hồ sơ của tôi</h1>"));
    assert!(html.contains(own["code"].as_str().unwrap()));
    assert!(!html.contains("Trần Văn Nam"));
    // Asking for someone else's by their number shows nothing, not an error that confirms it.
    let (_, html) = page(&app, &citizen, "/dossiers?q=001085012345").await;
    assert!(html.contains("Không có hồ sơ nào phù hợp."));
    // Their own page has no officer's moves; another's is not found.
    let (status, html) = page(
        &app,
        &citizen,
        &format!("/dossiers/{}", own["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(status, 200);
    assert!(!html.contains("Nhận đủ hồ sơ"));
    let (status, html) = page(
        &app,
        &citizen,
        &format!("/dossiers/{}", other["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(status, 404);
    assert!(!html.contains("Trần Văn Nam"));
}

#[tokio::test]
async fn anyone_looks_up_a_dossier_by_its_code_and_sees_no_personal_data() {
    let app = TestApp::spawn().await;
    let d = birth_registration(&app, "001203004567", "Nguyễn Thị Hoa").await;
    let code = d["code"].as_str().unwrap();
    let (status, html) = page(&app, "", &format!("/lookup?code={code}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Đã tiếp nhận"), "{html}");
    assert!(html.contains("Hẹn trả"));
    for private in [
        "Nguyễn Thị Hoa",
        "001203004567",
        "Nguyễn Văn Bé",
        "to-khai.pdf",
    ] {
        assert!(!html.contains(private), "{private} is not shown");
    }
    let (status, html) = page(&app, "", "/lookup?code=TEST-000000-9999").await;
    assert_eq!(status, 404);
    assert!(html.contains("Không có hồ sơ nào mang mã này."));
    // The form alone, and in English.
    let (status, html) = page(&app, "motcua-lang=en", "/lookup").await;
    assert_eq!(status, 200);
    assert!(html.contains("<h1>Look up a dossier</h1>"));
}

#[tokio::test]
async fn an_administrator_enrols_a_second_factor_from_the_pages() {
    let app = TestApp::spawn().await;
    let admin = signed_in(
        &app,
        json!({"username": "quantri", "password": PASSWORD, "role": "admin", "name": "Quản trị"}),
    )
    .await;
    // Until enrolled, the work pages send them to the start page, which offers enrolment.
    let (status, _) = page(&app, &admin, "/dossiers").await;
    assert_eq!(status, 303);
    let (_, html) = page(&app, &admin, "/").await;
    assert!(html.contains("Bật xác thực hai lớp"));
    let csrf = hidden(&html, "csrf_token");
    let post = |path: &'static str, form: Vec<(&'static str, String)>| {
        let app = &app;
        let admin = admin.clone();
        async move {
            no_redirects()
                .post(app.url(path))
                .header("cookie", admin)
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    let r = post("/account/second-factor", vec![("csrf_token", csrf.clone())]).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("<svg class=\"qr\""), "a QR code drawn here");
    let key = hidden(&html, "key");
    let uri = hidden(&html, "uri");
    // A wrong code: the same key again, with the reason.
    let r = post(
        "/account/second-factor/confirm",
        vec![
            ("csrf_token", csrf.clone()),
            ("code", "000000".into()),
            ("key", key.clone()),
            ("uri", uri.clone()),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains(&key));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let code = motcua::auth::totp::TotpKey::from_stored(&key)
        .unwrap()
        .code_at(now);
    let r = post(
        "/account/second-factor/confirm",
        vec![
            ("csrf_token", csrf),
            ("code", code),
            ("key", key),
            ("uri", uri),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Mã dự phòng"));
    assert_eq!(html.matches("<li><code>").count(), 10, "ten recovery codes");
    // Now the work pages open.
    let (status, _) = page(&app, &admin, "/dossiers").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn an_officer_receives_a_walk_in_dossier_with_a_scan_from_the_form() {
    use reqwest::multipart::{Form, Part};
    let app = TestApp::spawn_with(|s| s.accounts.second_factor_roles.clear()).await;
    let officer = signed_in(
        &app,
        json!({"username": "canbo", "password": PASSWORD, "role": "officer", "name": "Lê Bình"}),
    )
    .await;
    let (status, html) = page(&app, &officer, "/dossiers/new?procedure=birth-registration").await;
    assert_eq!(status, 200);
    assert!(html.contains("enctype=\"multipart/form-data\""));
    assert!(html.contains("type=\"file\""), "a file input per paper");
    let csrf = hidden(&html, "csrf_token");

    let post = |form: Form| {
        let app = &app;
        let officer = officer.clone();
        async move {
            no_redirects()
                .post(app.url("/dossiers/new"))
                .header("cookie", officer)
                .multipart(form)
                .send()
                .await
                .unwrap()
        }
    };
    let fields = |form: Form| {
        form.text("procedure", "birth-registration")
            .text("applicant_kind", "citizen")
            .text("applicant_number", "001203004567")
            .text("applicant_name", "Phạm Thị Lan")
            .text("phone", "0912345678")
            .text("content", "Đăng ký khai sinh cho con")
    };
    let scan = || {
        Part::bytes(png())
            .file_name("ban-quet.png")
            .mime_str("image/png")
            .unwrap()
    };
    // The form's token must come first: without it nothing is stored.
    let r = post(fields(Form::new()).part("file", scan())).await;
    assert_eq!(r.status(), 403);
    // With it: a scan, and one paper input left empty (browsers still send that part).
    let r = post(
        fields(Form::new().text("csrf_token", csrf))
            .part("file", scan())
            .part(
                "file",
                Part::bytes(Vec::new())
                    .file_name("")
                    .mime_str("application/octet-stream")
                    .unwrap(),
            ),
    )
    .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.ends_with("?received=1"), "{to}");
    let (_, html) = page(&app, &officer, &to).await;
    assert!(html.contains("Đã tiếp nhận hồ sơ."), "{html}");
    assert!(html.contains("ban-quet.png"));
    assert!(
        html.contains("<img src=\"/api/v1/documents/"),
        "the scan is shown"
    );

    // The receipt and appointment slip: issued and signed once, its PDF to print; asking
    // again gives the same slip.
    let csrf = hidden(&html, "csrf_token");
    let id = to
        .trim_start_matches("/dossiers/")
        .trim_end_matches("?received=1")
        .to_owned();
    let print = || {
        let app = &app;
        let officer = officer.clone();
        let csrf = csrf.clone();
        let id = id.clone();
        async move {
            let r = no_redirects()
                .post(app.url(&format!("/dossiers/{id}/receipt")))
                .header("cookie", officer)
                .form(&[("csrf_token", csrf)])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 303);
            r.headers()["location"].to_str().unwrap().to_owned()
        }
    };
    let slip = print().await;
    assert!(
        slip.starts_with("/api/v1/results/") && slip.ends_with("/pdf"),
        "{slip}"
    );
    assert_eq!(print().await, slip, "the same slip again");
    let pdf = no_redirects()
        .get(app.url(&slip))
        .header("cookie", &officer)
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), 200);
    let bytes = pdf.bytes().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("giay-tiep-nhan.pdf");
    std::fs::write(&path, &bytes).unwrap();
    let (ok, text) = crate::signing::run("pdftotext", &[path.as_os_str(), "-".as_ref()]);
    assert!(ok, "pdftotext reads it");
    let code = html
        .split("<h1>")
        .nth(1)
        .and_then(|h| h.split("</h1>").next())
        .and_then(|h| h.split(' ').next_back())
        .unwrap()
        .to_owned();
    assert!(text.contains("GIẤY TIẾP NHẬN HỒ SƠ"), "{text}");
    assert!(
        text.contains(&code) && text.contains("ban-quet.png"),
        "{text}"
    );

    // The API sees exactly one dossier, as declared.
    let token = app.token(motcua::auth::Role::Officer).await;
    let list: serde_json::Value = app
        .get(&token, "/api/v1/dossiers")
        .await
        .json()
        .await
        .unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["applicant"]["name"], "Phạm Thị Lan");
    assert_eq!(
        items[0]["details"]["data"]["content"],
        "Đăng ký khai sinh cho con"
    );

    // An applicant has no counter: the same address gives them their own online form, and
    // filing for someone else through it is refused by the intake's rule.
    let citizen = signed_in(
        &app,
        json!({"username": "nam", "password": PASSWORD, "role": "citizen",
               "id_number": "001085012345", "name": "Trần Văn Nam"}),
    )
    .await;
    let (status, html) = page(&app, &citizen, "/dossiers/new?procedure=birth-registration").await;
    assert_eq!(status, 200);
    assert!(html.contains("Nộp hồ sơ trực tuyến") && !html.contains("id=\"applicant_number\""));
    let csrf = hidden(&html, "csrf_token");
    let r = no_redirects()
        .post(app.url("/dossiers/new"))
        .header("cookie", &citizen)
        .multipart(fields(Form::new().text("csrf_token", csrf)).part("file", scan()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "not their own number");
    let list: serde_json::Value = app
        .get(&token, "/api/v1/dossiers")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1,
        "nothing more recorded"
    );
}

#[tokio::test]
async fn an_officer_previews_signs_and_hands_over_a_result_from_the_pages() {
    let app = TestApp::spawn_with(|s| s.accounts.second_factor_roles.clear()).await;
    let filed = birth_registration(&app, "001203004567", "Nguyễn Thị Hoa").await;
    let id = filed["id"].as_str().unwrap();
    let officer = signed_in(
        &app,
        json!({"username": "canbo", "password": PASSWORD, "role": "officer", "name": "Lê Bình"}),
    )
    .await;
    let (status, html) = page(&app, &officer, &format!("/dossiers/{id}/result")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("value=\"birth_registration\""),
        "the procedure's kind: {html}"
    );
    assert!(
        html.contains("Người nộp: Nguyễn Thị Hoa"),
        "rows drawn from the dossier"
    );
    let csrf = hidden(&html, "csrf_token");
    let post = |action: &'static str, rows: &'static str| {
        let app = &app;
        let officer = officer.clone();
        let csrf = csrf.clone();
        async move {
            no_redirects()
                .post(app.url(&format!("/dossiers/{id}/result")))
                .header("cookie", officer)
                .form(&[
                    ("csrf_token", csrf.as_str()),
                    ("action", action),
                    ("kind", "birth_registration"),
                    ("place", "Hà Nội"),
                    ("rows", rows),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let rows = "Họ và tên: Nguyễn Văn Bé\nNgày sinh: 20/11/2026\nNơi sinh: Hà Nội";

    // A row that is not "label: value" is refused in words, and nothing is issued.
    let r = post("issue", "Nguyễn Văn Bé").await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("Tên mục: Nội dung"));

    // The preview: a PDF to read, neither signed nor recorded.
    let r = post("preview", rows).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let bytes = r.bytes().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("xem-truoc.pdf");
    std::fs::write(&path, &bytes).unwrap();
    let (_, text) = crate::signing::run("pdftotext", &[path.as_os_str(), "-".as_ref()]);
    assert!(
        text.contains("GIẤY KHAI SINH") && text.contains("Nguyễn Văn Bé"),
        "{text}"
    );
    let (_, sigs) = crate::signing::run("pdfsig", &[path.as_os_str()]);
    assert!(sigs.contains("does not contain any signatures"), "{sigs}");
    let token = app.token(motcua::auth::Role::Officer).await;
    let issued: serde_json::Value = app
        .get(&token, &format!("/api/v1/dossiers/{id}/results"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        issued.as_array().map(Vec::len),
        Some(0),
        "a preview issues nothing"
    );

    // Signed and issued: the dossier's page lists it, and the public check says genuine.
    let r = post("issue", rows).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    let code = to.split("issued=").nth(1).unwrap().to_owned();
    let (_, html) = page(&app, &officer, &to).await;
    assert!(html.contains(&format!("Đã cấp kết quả {code}.")), "{html}");
    assert!(html.contains(&format!("/api/v1/results/{code}/pdf")));
    let (status, public) = page(&app, "", &format!("/verify/{code}")).await;
    assert_eq!(status, 200);
    assert!(public.contains("Văn bản này là thật"), "{public}");

    // The officer records the result as issued (through the API here; the page's buttons are
    // the same moves), then hands it over at the counter: the move says how.
    for to in [
        "ACCEPTED",
        "ORIGINALS_VERIFIED",
        "PROCESSING",
        "RESULT_ISSUED",
    ] {
        let r = app
            .client
            .post(app.url(&format!("/api/v1/dossiers/{id}/transitions")))
            .bearer_auth(&token)
            .json(&json!({ "to": to }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{to}: {}", r.text().await.unwrap());
    }
    let (_, html) = page(&app, &officer, &format!("/dossiers/{id}")).await;
    let d: serde_json::Value = app
        .get(&token, &format!("/api/v1/dossiers/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        d["allowed_moves"]
            .as_array()
            .is_some_and(|a| a.iter().any(|s| s == "RETURNED")),
        "after the result, the officer hands it over: {d}"
    );
    assert!(html.contains("Hình thức trả kết quả"), "{html}");
    let r = no_redirects()
        .post(app.url(&format!("/dossiers/{id}/move")))
        .header("cookie", &officer)
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("to", "RETURNED"),
            ("reason", "Trả trực tiếp tại quầy"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, html) = page(&app, &officer, &format!("/dossiers/{id}")).await;
    assert!(
        html.contains("Trả trực tiếp tại quầy"),
        "the history says how"
    );
}

#[tokio::test]
async fn an_applicant_sends_the_papers_asked_for_and_sees_who_opened_the_dossier() {
    use reqwest::multipart::{Form, Part};
    let app = TestApp::spawn_with(|s| s.accounts.second_factor_roles.clear()).await;
    let filed = birth_registration(&app, "001203004567", "Nguyễn Thị Hoa").await;
    let id = filed["id"].as_str().unwrap();
    // An officer opens it and asks for one more paper.
    let officer = signed_in(
        &app,
        json!({"username": "canbo", "password": PASSWORD, "role": "officer", "name": "Lê Bình"}),
    )
    .await;
    let (_, html) = page(&app, &officer, &format!("/dossiers/{id}")).await;
    let r = no_redirects()
        .post(app.url(&format!("/dossiers/{id}/move")))
        .header("cookie", &officer)
        .form(&[
            ("csrf_token", hidden(&html, "csrf_token").as_str()),
            ("to", "SUPPLEMENT_REQUESTED"),
            ("reason", "Thiếu giấy chứng sinh"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);

    let citizen = signed_in(
        &app,
        json!({"username": "hoa", "password": PASSWORD, "role": "citizen",
               "id_number": "001203004567", "name": "Nguyễn Thị Hoa"}),
    )
    .await;
    let (_, html) = page(&app, &citizen, &format!("/dossiers/{id}")).await;
    assert!(html.contains("Bổ sung giấy tờ"), "{html}");
    assert!(
        html.contains("Thiếu giấy chứng sinh"),
        "the reason, in the history"
    );
    // Who opened it: the officer, by name and role.
    assert!(html.contains("Ai đã xem hồ sơ"), "{html}");
    assert!(html.contains("Lê Bình, cán bộ tiếp nhận"), "{html}");
    let csrf = hidden(&html, "csrf_token");
    let r = no_redirects()
        .post(app.url(&format!("/dossiers/{id}/supplement")))
        .header("cookie", &citizen)
        .multipart(
            Form::new().text("csrf_token", csrf).part(
                "file",
                Part::bytes(pdf("giay chung sinh"))
                    .file_name("giay-chung-sinh.pdf")
                    .mime_str("application/pdf")
                    .unwrap(),
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    let (_, html) = page(&app, &citizen, &to).await;
    assert!(html.contains("Đã gửi giấy tờ bổ sung."), "{html}");
    assert!(html.contains("giay-chung-sinh.pdf"));
    assert!(!html.contains("supplement-files"), "no longer asked");
    // Another applicant cannot answer for them.
    let other = signed_in(
        &app,
        json!({"username": "nam", "password": PASSWORD, "role": "citizen",
               "id_number": "001085012345", "name": "Trần Văn Nam"}),
    )
    .await;
    let (_, html) = page(&app, &other, "/dossiers").await;
    let r = no_redirects()
        .post(app.url(&format!("/dossiers/{id}/supplement")))
        .header("cookie", &other)
        .multipart(
            Form::new()
                .text("csrf_token", hidden(&html, "csrf_token"))
                .part(
                    "file",
                    Part::bytes(pdf("x"))
                        .file_name("x.pdf")
                        .mime_str("application/pdf")
                        .unwrap(),
                ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn a_citizen_files_online_with_a_check_step_and_sees_which_papers_to_bring() {
    use reqwest::multipart::{Form, Part};
    let app = TestApp::spawn_with(|s| s.accounts.second_factor_roles.clear()).await;
    let citizen = signed_in(
        &app,
        json!({"username": "hoa", "password": PASSWORD, "role": "citizen",
               "id_number": "001203004567", "name": "Nguyễn Thị Hoa"}),
    )
    .await;
    // Step 1: only the procedures a citizen may file; their number is not asked for.
    let (status, html) = page(&app, &citizen, "/dossiers/new").await;
    assert_eq!(status, 200);
    assert!(html.contains("Nộp hồ sơ trực tuyến"));
    assert!(html.contains("value=\"birth-registration\""));
    assert!(
        !html.contains("value=\"business-registration\""),
        "not for citizens"
    );
    let (_, html) = page(&app, &citizen, "/dossiers/new?procedure=birth-registration").await;
    assert!(html.contains("001203004567") && !html.contains("id=\"applicant_number\""));
    assert!(
        html.contains("value=\"Nguyễn Thị Hoa\""),
        "their name, filled in"
    );
    let csrf = hidden(&html, "csrf_token");
    let declared = [
        ("csrf_token", csrf.as_str()),
        ("procedure", "birth-registration"),
        ("applicant_name", "Nguyễn Thị Hoa"),
        ("phone", "0912345678"),
        ("content", "Đăng ký khai sinh cho con"),
    ];
    // Step 2: the check — the declaration as it will be filed, the papers, a progress bar.
    let r = no_redirects()
        .post(app.url("/dossiers/new/check"))
        .header("cookie", &citizen)
        .form(&declared)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Kiểm tra trước khi nộp"));
    assert!(html.contains("<dd>Đăng ký khai sinh cho con</dd>"));
    assert!(html.contains("<progress id=\"upload-progress\""));
    let integrity = html
        .split("integrity=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let script = app
        .client
        .get(app.url("/assets/upload.js"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    use base64::Engine as _;
    use sha2::Digest as _;
    assert_eq!(
        integrity,
        format!(
            "sha384-{}",
            base64::engine::general_purpose::STANDARD.encode(sha2::Sha384::digest(&script))
        ),
        "the script served is the one the page names"
    );
    // Back to correct it: what was typed is kept.
    let r = no_redirects()
        .post(app.url("/dossiers/new/edit"))
        .header("cookie", &citizen)
        .form(&declared)
        .send()
        .await
        .unwrap();
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Đăng ký khai sinh cho con</textarea>")
    );
    // A declaration the intake would refuse is refused at the check, before any file.
    let r = no_redirects()
        .post(app.url("/dossiers/new/check"))
        .header("cookie", &citizen)
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("procedure", "business-registration"),
            ("applicant_name", "Nguyễn Thị Hoa"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422, "{}", r.text().await.unwrap());

    // Filed: the dossier's page says at once that the originals must be brought, and why.
    let mut form = Form::new();
    for (k, v) in [
        ("csrf_token", csrf.as_str()),
        ("procedure", "birth-registration"),
        ("applicant_kind", "citizen"),
        ("applicant_number", "001203004567"),
        ("applicant_name", "Nguyễn Thị Hoa"),
        ("phone", "0912345678"),
        ("content", "Đăng ký khai sinh cho con"),
    ] {
        form = form.text(k, v.to_owned());
    }
    let r = no_redirects()
        .post(app.url("/dossiers/new"))
        .header("cookie", &citizen)
        .multipart(
            form.part(
                "file",
                Part::bytes(pdf("to khai"))
                    .file_name("to-khai.pdf")
                    .mime_str("application/pdf")
                    .unwrap(),
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    let (_, html) = page(&app, &citizen, &to).await;
    assert!(
        html.contains("Cần mang bản gốc giấy tờ để đối chiếu."),
        "{html}"
    );
    assert!(html.contains("không có tệp nào được ký số"), "and why");
}

#[tokio::test]
async fn a_paper_larger_than_the_frameworks_default_limit_is_received_from_the_pages() {
    use reqwest::multipart::{Form, Part};
    let app = TestApp::spawn_with(|s| s.accounts.second_factor_roles.clear()).await;
    let officer = signed_in(
        &app,
        json!({"username": "canbo", "password": PASSWORD, "role": "officer", "name": "Lê Bình"}),
    )
    .await;
    let (_, html) = page(&app, &officer, "/dossiers/new?procedure=birth-registration").await;
    // Scans run to megabytes: 5 MiB here, over the 2 MB a framework allows by default; the
    // intake's own limits decide, as for the API.
    let big = pdf(&"x".repeat(5 << 20));
    assert!(big.len() > 5 << 20);
    let form = Form::new()
        .text("csrf_token", hidden(&html, "csrf_token"))
        .text("procedure", "birth-registration")
        .text("applicant_kind", "citizen")
        .text("applicant_number", "001203004567")
        .text("applicant_name", "Phạm Thị Lan")
        .part(
            "file",
            Part::bytes(big)
                .file_name("ban-quet-lon.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    let r = no_redirects()
        .post(app.url("/dossiers/new"))
        .header("cookie", &officer)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
}

#[tokio::test]
async fn an_officer_checks_each_original_against_the_submitted_paper_on_the_dossier_page() {
    use reqwest::multipart::{Form, Part};
    let app = TestApp::spawn_with(|s| s.accounts.second_factor_roles.clear()).await;
    let filed = birth_registration(&app, "001203004567", "Nguyễn Thị Hoa").await;
    let id = filed["id"].as_str().unwrap();
    let officer = signed_in(
        &app,
        json!({"username": "canbo", "password": PASSWORD, "role": "officer", "name": "Lê Bình"}),
    )
    .await;
    let (_, html) = page(&app, &officer, &format!("/dossiers/{id}")).await;
    assert!(
        !html.contains("Đối chiếu bản gốc</h2>"),
        "not before it awaits them"
    );
    let csrf = hidden(&html, "csrf_token");
    let move_to = |to: &'static str| {
        let app = &app;
        let officer = officer.clone();
        let csrf = csrf.clone();
        async move {
            no_redirects()
                .post(app.url(&format!("/dossiers/{id}/move")))
                .header("cookie", officer)
                .form(&[("csrf_token", csrf.as_str()), ("to", to)])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(move_to("ACCEPTED").await, 303);

    // The checklist: each paper of the procedure, beside the papers submitted.
    let (_, html) = page(&app, &officer, &format!("/dossiers/{id}")).await;
    assert!(html.contains("Đối chiếu bản gốc</h2>"), "{html}");
    assert!(html.contains("Giấy tờ đã nộp") && html.contains("to-khai.pdf"));
    let components: Vec<String> = html
        .match_indices("/originals/")
        .filter_map(|(at, _)| {
            let rest = &html[at + "/originals/".len()..];
            rest.split('/').next().map(str::to_owned)
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(!components.is_empty(), "{html}");
    let first = &components[0];

    // A scan below the quality rule is refused in words; a good one is kept and shown.
    let scan = |name: &str| {
        std::fs::read(format!(
            "{}/tests/data/scans/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    };
    let send = |bytes: Vec<u8>| {
        let app = &app;
        let officer = officer.clone();
        let csrf = csrf.clone();
        let first = first.clone();
        async move {
            no_redirects()
                .post(app.url(&format!("/dossiers/{id}/originals/{first}/scans")))
                .header("cookie", officer)
                .multipart(
                    Form::new().text("csrf_token", csrf).part(
                        "file",
                        Part::bytes(bytes)
                            .file_name("ban-goc.jpg")
                            .mime_str("image/jpeg")
                            .unwrap(),
                    ),
                )
                .send()
                .await
                .unwrap()
        }
    };
    let r = send(scan("a4-rgb-100dpi.jpg")).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("scan_quality"));
    let r = send(scan("rgb-300dpi.jpg")).await;
    assert_eq!(r.status(), 303);
    let (_, html) = page(&app, &officer, r.headers()["location"].to_str().unwrap()).await;
    assert!(html.contains("Đã lưu bản quét bản gốc."), "{html}");
    assert!(html.contains("ban-goc.jpg"));

    // Each paper decided; then the dossier moves on with the officer's button.
    for c in &components {
        let r = no_redirects()
            .post(app.url(&format!("/dossiers/{id}/originals/{c}/decision")))
            .header("cookie", &officer)
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("outcome", "matches"),
                ("note", "Đã đối chiếu"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{c}: {}", r.text().await.unwrap());
    }
    let (_, html) = page(&app, &officer, &format!("/dossiers/{id}")).await;
    assert!(
        html.contains("Khớp với bản đã nộp (") && html.contains("Đã đối chiếu"),
        "{html}"
    );
    // Every paper matching, the service moved the dossier on; the checklist stays to read,
    // without its forms.
    assert!(
        html.contains("<strong>Đã đối chiếu bản gốc</strong>"),
        "{html}"
    );
    assert!(!html.contains("/decision\""), "nothing more to decide");
    // The applicant does not see the counter's checklist.
    let citizen = signed_in(
        &app,
        json!({"username": "hoa", "password": PASSWORD, "role": "citizen",
               "id_number": "001203004567", "name": "Nguyễn Thị Hoa"}),
    )
    .await;
    let (_, html) = page(&app, &citizen, &format!("/dossiers/{id}")).await;
    assert!(!html.contains("Đối chiếu bản gốc</h2>"));
}
