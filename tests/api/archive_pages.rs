//! The archivist's screens over HTTP, as a browser without scripts meets them: the archive's
//! search with the API's filters, sortable columns and a link that keeps the search; a record's
//! page with its proofs checked now, its retention, a legal hold placed and lifted with a reason,
//! a disposal asked for by an archivist and approved by another person; the bag to download;
//! the fixity audits' findings; and officers and applicants kept out of all of it.
//! (The real-browser walk is in `browser.rs`.)

use motcua::auth::Role;
use serde_json::{Value, json};

use crate::disposal::imported;
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

/// Posts a form as the page would; returns the status and where it leads (or the page).
async fn post(app: &TestApp, cookie: &str, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let r = no_redirects()
        .post(app.url(path))
        .header("cookie", cookie)
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    match r.headers().get("location") {
        Some(to) => (status, to.to_str().unwrap().to_owned()),
        None => (status, r.text().await.unwrap()),
    }
}

async fn archivist(app: &TestApp) -> String {
    signed_in(
        app,
        json!({"username": "luutru", "password": PASSWORD, "role": "archivist",
               "name": "Đỗ Thị Lưu"}),
    )
    .await
}

fn search(query: &[(&str, &str)]) -> String {
    format!("/archive?{}", serde_urlencoded::to_string(query).unwrap())
}

#[tokio::test]
async fn an_archivist_finds_a_record_holds_it_and_asks_for_its_disposal() {
    let app = TestApp::spawn_with(|s| s.accounts.second_factor_roles.clear()).await;
    let dir = tempfile::tempdir().unwrap();
    let (business, citizen) = imported(&app, dir.path()).await;
    let luu = archivist(&app).await;

    // The header leads an archivist to the archive.
    let (_, home) = page(&app, &luu, "/").await;
    assert!(
        home.contains("<a href=\"/archive\">Kho lưu trữ</a>"),
        "{home}"
    );

    // Everything, then one record by the applicant's name, by ID number, by a submission day.
    let (status, html) = page(&app, &luu, "/archive").await;
    assert_eq!(status, 200);
    assert!(html.contains("<h1>Tra cứu hồ sơ lưu trữ</h1>"), "{html}");
    assert!(html.contains("Công ty TNHH Ánh Dương") && html.contains("Nguyễn Văn Bình"));
    for query in [
        search(&[("name", "Văn Bình")]),
        search(&[("id_number", "001085012345")]),
        search(&[("from", "02/06/2014"), ("to", "02/06/2014")]),
    ] {
        let (status, html) = page(&app, &luu, &query).await;
        assert_eq!(status, 200, "{query}");
        assert!(html.contains("Nguyễn Văn Bình"), "{query} finds the record");
        assert!(!html.contains("Ánh Dương"), "{query} finds only it");
        // The search is kept as a link to copy or bookmark.
        let keep = hidden_value(&html, "keep-link");
        assert!(keep.starts_with("/archive?"), "{keep}");
        assert_eq!(page(&app, &luu, &keep).await.1.matches("<tr>").count(), 2);
    }
    // A day that is not a day is the API's error in words, not an empty list.
    let (status, html) = page(&app, &luu, "/archive?from=hom-qua").await;
    assert_eq!(status, 400);
    assert!(html.contains("invalid_query"));

    // Sorting by retention: the 10-year record before the permanent one, and back.
    let (_, html) = page(&app, &luu, "/archive?sort=retention").await;
    assert!(html.contains("aria-sort=\"ascending\""));
    assert!(html.find("10 năm").unwrap() < html.find("Vĩnh viễn").unwrap());
    let (_, html) = page(&app, &luu, "/archive?sort=-retention").await;
    assert!(html.contains("aria-sort=\"descending\""));
    assert!(html.find("Vĩnh viễn").unwrap() < html.find("10 năm").unwrap());

    // The record's page: every file's log entry checked now, the retention in words.
    let id = citizen["id"].as_str().unwrap();
    let code = citizen["code"].as_str().unwrap();
    let record = format!("/archive/{id}");
    let (status, html) = page(&app, &luu, &record).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(&format!("<h1>Hồ sơ lưu trữ {code}</h1>")));
    assert!(html.contains("Giấy tờ: to-khai.pdf"), "{html}");
    assert!(html.contains("<span class=\"proof valid\">Đúng như đã ghi nhật ký</span>"));
    assert!(!html.contains("proof invalid"));
    assert!(html.contains("Đã kiểm tra theo điểm chốt có chữ ký gồm"));
    assert!(
        html.contains("<td>Chưa có lần kiểm tra định kỳ nào xong</td>"),
        "no audit has run: the page does not call the bytes intact"
    );
    assert!(html.contains("<dd>10 năm</dd>") && html.contains("<dd>2014</dd>"));
    assert!(
        html.contains("<dd>01/01/2025</dd>"),
        "disposable since 2025"
    );
    assert!(html.contains(&format!("href=\"/api/v1/dossiers/{id}/bag\"")));
    let csrf = hidden(&html, "csrf_token");

    // The bag downloads with the session alone.
    let r = no_redirects()
        .get(app.url(&format!("/api/v1/dossiers/{id}/bag")))
        .header("cookie", &luu)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/x-tar");
    assert!(!r.bytes().await.unwrap().is_empty());

    // A hold needs a reason and the form's token; then the page says it is held, and why.
    let hold = format!("{record}/hold");
    let (status, _) = post(&app, &luu, &hold, &[("csrf_token", "x"), ("reason", "a")]).await;
    assert_eq!(status, 403);
    let (status, html) = post(
        &app,
        &luu,
        &hold,
        &[("csrf_token", &csrf), ("reason", "  ")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("thiếu lý do") && html.contains("invalid_request"),
        "{html}"
    );
    let reason = "Tranh chấp thừa kế đang được Toà án giải quyết";
    let (status, to) = post(
        &app,
        &luu,
        &hold,
        &[("csrf_token", &csrf), ("reason", reason)],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (303, &*format!("{record}?done=hold-placed"))
    );
    let (_, html) = page(&app, &luu, &to).await;
    assert!(html.contains("Đã giữ hồ sơ"), "the notice");
    assert!(html.contains("Hồ sơ đang bị giữ: không được tiêu huỷ."));
    assert!(html.contains(reason));
    assert!(html.contains("<dd>Không, hồ sơ đang bị giữ</dd>"));

    // Held, it cannot be disposed of: the API's refusal in words.
    let disposal = format!("{record}/disposal");
    let decision = "Quyết định số 12/QĐ-UBND ngày 02/01/2026";
    let why = "Hết thời hạn bảo quản 10 năm";
    let form = [
        ("csrf_token", csrf.as_str()),
        ("decision", decision),
        ("reason", why),
    ];
    let (status, html) = post(&app, &luu, &disposal, &form).await;
    assert_eq!(status, 409);
    assert!(html.contains("đang bị giữ vì lý do pháp lý") && html.contains("legal_hold"));

    // Lifted with a reason; the API agrees.
    let (status, to) = post(
        &app,
        &luu,
        &format!("{hold}/lift"),
        &[("csrf_token", &csrf), ("reason", "Toà án đã xử xong")],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (303, &*format!("{record}?done=hold-lifted"))
    );
    let api = app.token(Role::Archivist).await;
    let v: Value = app
        .get(&api, &format!("/api/v1/dossiers/{id}/retention"))
        .await
        .json()
        .await
        .unwrap();
    assert!(v.get("legal_hold").is_none(), "{v}");

    // The disposal asked for: decision and reason shown, approval left to someone else.
    let (status, to) = post(&app, &luu, &disposal, &form).await;
    assert_eq!(
        (status, to.as_str()),
        (303, &*format!("{record}?done=disposal-requested"))
    );
    let (_, html) = page(&app, &luu, &to).await;
    assert!(html.contains("Đã có đề nghị tiêu huỷ, đang chờ phê duyệt."));
    assert!(html.contains(decision) && html.contains(why));
    assert!(html.contains("do bạn đề nghị"));
    assert!(
        !html.contains("Phê duyệt tiêu huỷ"),
        "an archivist does not approve"
    );

    // An administrator sees who asked was someone else, and approves.
    let admin = signed_in(
        &app,
        json!({"username": "quantri", "password": PASSWORD, "role": "admin",
               "name": "Phan Quản Trị"}),
    )
    .await;
    let (_, html) = page(&app, &admin, &record).await;
    assert!(html.contains("do người khác đề nghị") && html.contains("Phê duyệt tiêu huỷ"));
    assert!(!html.contains("/bag\""), "bags are the archivists'");
    let admin_csrf = hidden(&html, "csrf_token");
    let (status, to) = post(
        &app,
        &admin,
        &format!("{disposal}/approve"),
        &[("csrf_token", &admin_csrf)],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (303, &*format!("{record}?done=disposal-approved"))
    );
    let (status, html) = page(&app, &luu, &record).await;
    assert_eq!(status, 200);
    assert!(html.contains("Tài liệu của hồ sơ đã bị tiêu huỷ."));
    assert!(
        html.contains("Đúng như đã ghi nhật ký"),
        "its log entries still prove what was kept"
    );

    // The permanent record cannot be asked for: the refusal in words.
    let (status, html) = post(
        &app,
        &luu,
        &format!("/archive/{}/disposal", business["id"].as_str().unwrap()),
        &form,
    )
    .await;
    assert_eq!(status, 409);
    assert!(html.contains("not_disposable"), "{html}");
}

/// The value of the input with this id.
fn hidden_value(html: &str, id: &str) -> String {
    let at = html
        .find(&format!("id=\"{id}\" value=\""))
        .expect("the field");
    let rest = &html[at + id.len() + 13..];
    rest[..rest.find('"').unwrap()].replace("&amp;", "&")
}

#[tokio::test]
async fn officers_and_applicants_are_kept_out_of_the_archive() {
    let app = TestApp::spawn_with(|s| s.accounts.second_factor_roles.clear()).await;
    let dir = tempfile::tempdir().unwrap();
    let (_, citizen) = imported(&app, dir.path()).await;
    let id = citizen["id"].as_str().unwrap();
    let officer = signed_in(
        &app,
        json!({"username": "canbo", "password": PASSWORD, "role": "officer", "name": "Lê Bình"}),
    )
    .await;
    // The citizen whose record it is.
    let binh = signed_in(
        &app,
        json!({"username": "binh", "password": PASSWORD, "role": "citizen",
               "id_number": "001085012345", "name": "Nguyễn Văn Bình"}),
    )
    .await;
    for (who, cookie) in [("officer", &officer), ("citizen", &binh)] {
        let (_, home) = page(&app, cookie, "/").await;
        assert!(
            !home.contains("href=\"/archive\""),
            "no archive link for the {who}"
        );
        let csrf = hidden(&home, "csrf_token");
        for path in [
            "/archive".to_owned(),
            search(&[("name", "Văn Bình")]),
            format!("/archive/{id}"),
            "/archive/fixity".to_owned(),
        ] {
            let (status, html) = page(&app, cookie, &path).await;
            assert_eq!(status, 403, "{who} on {path}");
            assert!(html.contains("Bạn không có quyền thực hiện việc này."));
            assert!(
                !html.contains("Ánh Dương"),
                "{who} on {path}: nothing of the records"
            );
            assert!(!html.contains("to-khai.pdf"), "{who} on {path}");
        }
        // Forms posted anyway are refused by the service, and nothing is held.
        let (status, _) = post(
            &app,
            cookie,
            &format!("/archive/{id}/hold"),
            &[("csrf_token", &csrf), ("reason", "thử")],
        )
        .await;
        assert!(status == 403 || status == 404, "{who}: {status}");
    }
    let api = app.token(Role::Archivist).await;
    let v: Value = app
        .get(&api, &format!("/api/v1/dossiers/{id}/retention"))
        .await
        .json()
        .await
        .unwrap();
    assert!(v.get("legal_hold").is_none(), "{v}");
    // Without a session: to the sign-in form.
    let r = no_redirects()
        .get(app.url("/archive"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/sign-in");
}

#[tokio::test]
async fn fixity_findings_are_a_table_that_leads_to_the_records_concerned() {
    let app = TestApp::spawn_with(|s| s.accounts.second_factor_roles.clear()).await;
    let business = app.business_token("0101234565").await;
    let d = app
        .submit_ok(
            &business,
            form(
                &business_dossier("0101234565"),
                vec![
                    ("a.pdf", "application/pdf", pdf("fixity page a")),
                    ("b.pdf", "application/pdf", pdf("fixity page b")),
                ],
            ),
        )
        .await;
    let luu = archivist(&app).await;
    let (_, html) = page(&app, &luu, "/archive/fixity").await;
    assert!(html.contains("Chưa có lần kiểm tra định kỳ nào."), "{html}");

    let auditor = &app.state().fixity;
    auditor.run(None).await.unwrap();
    let sha = d["documents"][1]["sha256"].as_str().unwrap().to_owned();
    let mut bytes = pdf("fixity page b");
    bytes[12] ^= 1;
    overwrite_object(&app, &sha, bytes).await;
    auditor.run(None).await.unwrap();

    let (status, html) = page(&app, &luu, "/archive/fixity").await;
    assert_eq!(status, 200);
    assert!(html.contains("<h1>Kiểm tra tính toàn vẹn định kỳ</h1>"));
    assert!(html.contains("<strong>Tệp đã bị thay đổi so với khi lưu</strong>"));
    assert!(html.contains(&sha));
    assert_eq!(html.matches("<tr><td>").count(), 2, "two audits listed");
    // The finding leads to the dossier that holds the file, whose page shows the problem.
    let link = format!("/archive?sha256={sha}");
    assert!(html.contains(&link));
    let (_, found) = page(&app, &luu, &link).await;
    let id = d["id"].as_str().unwrap();
    assert!(
        found.contains(&format!("href=\"/archive/{id}\"")),
        "{found}"
    );
    let (_, record) = page(&app, &luu, &format!("/archive/{id}")).await;
    assert!(
        record
            .contains("<strong class=\"proof invalid\">Tệp đã bị thay đổi so với khi lưu</strong>")
    );
    assert!(record.contains("1 vấn đề"), "{record}");
    assert!(
        record.contains("<td>Không phát hiện vấn đề</td>"),
        "the other paper is intact"
    );
}

#[tokio::test]
async fn a_disposal_request_is_withdrawn_with_a_reason_and_the_record_stays() {
    let app = TestApp::spawn_with(|s| s.accounts.second_factor_roles.clear()).await;
    let dir = tempfile::tempdir().unwrap();
    let (_, citizen) = imported(&app, dir.path()).await;
    let id = citizen["id"].as_str().unwrap();
    let record = format!("/archive/{id}");
    let luu = archivist(&app).await;
    let (_, html) = page(&app, &luu, &record).await;
    let csrf = hidden(&html, "csrf_token");
    let (status, _) = post(
        &app,
        &luu,
        &format!("{record}/disposal"),
        &[
            ("csrf_token", &csrf),
            ("decision", "Quyết định số 12/QĐ-UBND ngày 02/01/2026"),
            ("reason", "Hết thời hạn bảo quản"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    // Asked for twice: the API's conflict in words.
    let (status, html) = post(
        &app,
        &luu,
        &format!("{record}/disposal"),
        &[
            ("csrf_token", &csrf),
            ("decision", "Quyết định số 13/QĐ-UBND"),
            ("reason", "Lần nữa"),
        ],
    )
    .await;
    assert_eq!(status, 409);
    assert!(
        html.contains("Hồ sơ này đã có đề nghị tiêu huỷ.") && html.contains("disposal_requested")
    );
    // Withdrawn: a reason is needed, then the page offers a new request again.
    let withdraw = format!("{record}/disposal/withdraw");
    let (status, _) = post(
        &app,
        &luu,
        &withdraw,
        &[("csrf_token", &csrf), ("reason", "")],
    )
    .await;
    assert_eq!(status, 422);
    let (status, to) = post(
        &app,
        &luu,
        &withdraw,
        &[
            ("csrf_token", &csrf),
            ("reason", "Gia đình xin giữ lại để đối chiếu"),
        ],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (303, &*format!("{record}?done=disposal-withdrawn"))
    );
    let (_, html) = page(&app, &luu, &to).await;
    assert!(html.contains("Đã rút đề nghị tiêu huỷ."));
    assert!(html.contains("Chưa có đề nghị tiêu huỷ."));
    assert!(
        html.contains("class=\"act disposal-request\""),
        "a new request may be made"
    );
    let api = app.token(Role::Archivist).await;
    let v: Value = app
        .get(&api, &format!("/api/v1/dossiers/{id}/retention"))
        .await
        .json()
        .await
        .unwrap();
    assert!(v.get("disposal").is_none(), "{v}");
}
