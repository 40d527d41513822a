//! The administrator's screens over HTTP, as a browser without scripts meets them: the
//! processing report as tables and server-drawn charts, accounts created, disabled, enabled
//! and reset from forms (and the person then signing in, or not), units added and renamed,
//! machine tokens issued and revoked, a procedure catalogue uploaded, compared and published;
//! an officer refused, and a unit's administrator confined to its subtree. Every refusal is the
//! API's, in words. (The real-browser walk is in `browser.rs`.)

use motcua::auth::Role;
use serde_json::json;

use crate::pages::{hidden, no_redirects, set_cookie, signed_in};
use crate::support::*;

const PASSWORD: &str = "ngựa-phi-đường-xa-2026";

async fn get(app: &TestApp, cookie: &str, path: &str) -> (u16, String) {
    let r = no_redirects()
        .get(app.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Posts a form with the session cookie; the status, where it sends to, and the page.
async fn post(
    app: &TestApp,
    cookie: &str,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String, String) {
    let r = no_redirects()
        .post(app.url(path))
        .header("cookie", cookie)
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, r.text().await.unwrap())
}

/// Signs in with the form; the status (303 when it worked) and the session cookie if any.
async fn sign_in(app: &TestApp, username: &str, password: &str) -> (u16, Option<String>) {
    let client = no_redirects();
    let r = client.get(app.url("/sign-in")).send().await.unwrap();
    let form_cookie = set_cookie(&r, "__Host-motcua-form=");
    let token = hidden(&r.text().await.unwrap(), "form_token");
    let r = client
        .post(app.url("/sign-in"))
        .header("cookie", &form_cookie)
        .form(&[
            ("username", username),
            ("password", password),
            ("form_token", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let cookie = (status == 303).then(|| set_cookie(&r, "__Host-motcua-session="));
    (status, cookie)
}

async fn administrator(app: &TestApp, username: &str, unit: Option<&str>) -> String {
    signed_in(
        app,
        json!({"username": username, "password": PASSWORD, "role": "admin",
               "name": "Quản Trị Viên", "unit": unit}),
    )
    .await
}

async fn officer(app: &TestApp) -> String {
    signed_in(
        app,
        json!({"username": "canbo", "password": PASSWORD, "role": "officer", "name": "Lê Bình"}),
    )
    .await
}

async fn birth_registration(app: &TestApp, id_number: &str, name: &str) {
    let token = app.citizen_token(id_number).await;
    let dossier = json!({
        "procedure": "birth-registration",
        "applicant": {"id_number": id_number, "name": name},
        "data": {"child_name": "Nguyễn Văn Bé"}
    });
    app.submit_ok(
        &token,
        form(
            &dossier,
            vec![("to-khai.pdf", "application/pdf", pdf(name))],
        ),
    )
    .await;
}

/// Text as the page shows it, HTML escapes undone (for a form's value sent back).
fn unescape(html: &str) -> String {
    html.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let at = html
        .find(start)
        .unwrap_or_else(|| panic!("{start} in {html}"))
        + start.len();
    let rest = &html[at..];
    &rest[..rest.find(end).unwrap()]
}

#[tokio::test]
async fn an_administrator_reads_the_processing_report_as_tables_and_charts() {
    let app = TestApp::spawn_with(|s| s.accounts.second_factor_roles.clear()).await;
    birth_registration(&app, "001203004567", "Nguyễn Thị Hoa").await;
    birth_registration(&app, "001085012345", "Trần Văn Nam").await;
    let admin = administrator(&app, "quantri", None).await;

    // The header leads administrators to their screens.
    let (status, html) = get(&app, &admin, "/").await;
    assert_eq!(status, 200);
    assert!(html.contains("<a href=\"/admin\">Quản trị</a>"), "{html}");
    let (status, html) = get(&app, &admin, "/admin").await;
    assert_eq!(status, 200);
    assert!(html.contains("href=\"/admin/reports\""));

    let (status, html) = get(&app, &admin, "/admin/reports").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("<h1>Báo cáo tình hình giải quyết hồ sơ</h1>"));
    // The totals: both dossiers received, both still within time.
    assert!(
        html.contains("<th scope=\"row\">Tổng số hồ sơ tiếp nhận</th><td class=\"number\">2</td>"),
        "{html}"
    );
    assert!(
        html.contains("<th scope=\"row\">Đang giải quyết, còn hạn</th><td class=\"number\">2</td>")
    );
    // Two charts drawn by the server, each an image with its title, and the tables beside them.
    assert_eq!(html.matches("<svg role=\"img\"").count(), 2, "{html}");
    assert!(html.contains(
        "<title id=\"ontime-chart-title\">Biểu đồ đường: tỷ lệ giải quyết đúng hạn của từng đơn vị qua các tháng</title>"
    ));
    assert!(html.contains(
        "<title id=\"overdue-chart-title\">Biểu đồ cột: số hồ sơ quá hạn theo thủ tục</title>"
    ));
    assert!(
        html.contains("<th scope=\"row\">Đăng ký khai sinh</th><td class=\"number\">2</td>"),
        "the procedure's row: {html}"
    );
    assert!(
        html.contains("Chưa có hồ sơ giải quyết"),
        "no share without a settled dossier"
    );
    assert!(!html.contains("<script"), "no script");
    assert!(!html.contains("style=\""), "no inline style");
    // Six months by default, written as people write them.
    let today = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+7));
    let month = format!("{:02}/{}", u8::from(today.month()), today.year());
    assert!(
        html.contains(&format!("<th scope=\"col\">{month}</th>")),
        "{html}"
    );

    // A day that is not a day is a clear error, not an empty report.
    let (status, html) = get(&app, &admin, "/admin/reports?from=hom-qua").await;
    assert_eq!(status, 400);
    assert!(html.contains("invalid_query"));
    // A unit that does not exist: the report's own refusal.
    let (status, _) = get(&app, &admin, "/admin/reports?unit=NOWHERE").await;
    assert_eq!(status, 404);

    // In English too, the numbers and dates still Vietnamese-style.
    let (status, html) = get(&app, &format!("{admin}; motcua-lang=en"), "/admin/reports").await;
    assert_eq!(status, 200);
    assert!(html.contains("Line chart: the on-time share of each unit over the months"));
    assert!(html.contains(&format!("<th scope=\"col\">{month}</th>")));
}

#[tokio::test]
async fn an_administrator_creates_disables_enables_and_resets_an_account_from_the_forms() {
    let app = TestApp::spawn_with(|s| s.accounts.second_factor_roles.clear()).await;
    let admin = administrator(&app, "quantri", None).await;
    let (status, html) = get(&app, &admin, "/admin/accounts").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("<td class=\"code\"><a href=\"/admin/accounts/quantri\">quantri</a></td>")
    );
    let csrf = hidden(&html, "csrf_token");

    let create = |password: &'static str| {
        let csrf = csrf.clone();
        let app = &app;
        let admin = admin.clone();
        async move {
            post(
                app,
                &admin,
                "/admin/accounts",
                &[
                    ("csrf_token", csrf.as_str()),
                    ("username", "mot.cua"),
                    ("name", "Phạm Thị Lan"),
                    ("role", "officer"),
                    ("unit", "TEST"),
                    ("password", password),
                ],
            )
            .await
        }
    };
    // A weak password: the API's refusal in words, the form kept (not the password).
    let (status, _, html) = create("123456").await;
    assert_eq!(status, 422);
    assert!(html.contains("Mật khẩu quá yếu"), "{html}");
    assert!(html.contains("weak_password"));
    assert!(html.contains("value=\"mot.cua\""), "the username is kept");
    assert!(!html.contains("123456"), "the password is not shown again");

    // Created: its page says so, and the person signs in.
    let (status, to, _) = create(PASSWORD).await;
    assert_eq!(status, 303);
    assert_eq!(to, "/admin/accounts/mot.cua?done=created");
    let (_, html) = get(&app, &admin, &to).await;
    assert!(html.contains("Đã tạo tài khoản."), "{html}");
    assert!(html.contains("cán bộ tiếp nhận"));
    assert!(html.contains("Chưa đăng ký"), "no second factor yet");
    assert_eq!(sign_in(&app, "mot.cua", PASSWORD).await.0, 303);

    // The same username again.
    let (status, _, html) = create(PASSWORD).await;
    assert_eq!(status, 409);
    assert!(
        html.contains("Tên đăng nhập này đã có người dùng"),
        "{html}"
    );

    // A form from elsewhere (without the session's token) changes nothing.
    let (status, _, _) = post(
        &app,
        &admin,
        "/admin/accounts/mot.cua/disable",
        &[("csrf_token", "x")],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(sign_in(&app, "mot.cua", PASSWORD).await.0, 303);

    // Disabled: no more sign-in.
    let (status, to, _) = post(
        &app,
        &admin,
        "/admin/accounts/mot.cua/disable",
        &[("csrf_token", csrf.as_str())],
    )
    .await;
    assert_eq!(status, 303);
    let (_, html) = get(&app, &admin, &to).await;
    assert!(html.contains("Đã khoá tài khoản."), "{html}");
    assert!(html.contains("Đã khoá từ "));
    assert_eq!(sign_in(&app, "mot.cua", PASSWORD).await.0, 401);
    let (_, html) = get(&app, &admin, "/admin/accounts").await;
    assert!(html.contains("<tr class=\"disabled\">"), "{html}");

    // Enabled again.
    let (status, _, _) = post(
        &app,
        &admin,
        "/admin/accounts/mot.cua/enable",
        &[("csrf_token", csrf.as_str())],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(sign_in(&app, "mot.cua", PASSWORD).await.0, 303);

    // Reset with no password typed: one is made and shown once; the old one no longer works.
    let (status, _, html) = post(
        &app,
        &admin,
        "/admin/accounts/mot.cua/reset",
        &[("csrf_token", csrf.as_str()), ("second_factor", "on")],
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("xác thực hai lớp đã được xoá"), "{html}");
    let made = unescape(between(&html, "<code class=\"secret\">", "</code>"));
    assert!(made.len() >= 12, "{made}");
    assert_eq!(sign_in(&app, "mot.cua", PASSWORD).await.0, 401);
    assert_eq!(sign_in(&app, "mot.cua", &made).await.0, 303);
    // A typed password that is too weak is refused on the account's page.
    let (status, _, html) = post(
        &app,
        &admin,
        "/admin/accounts/mot.cua/reset",
        &[("csrf_token", csrf.as_str()), ("password", "abc")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("Mật khẩu quá yếu") && html.contains("Tài khoản mot.cua"));

    // An officer is refused every account screen, with the API's words.
    let officer = officer(&app).await;
    let (status, html) = get(&app, &officer, "/admin/accounts").await;
    assert_eq!(status, 403);
    assert!(
        html.contains("Bạn không có quyền thực hiện việc này."),
        "{html}"
    );
    let (_, html) = get(&app, &officer, "/").await;
    assert!(
        !html.contains("href=\"/admin\""),
        "no administration link for officers"
    );
    let officer_csrf = hidden(&get(&app, &officer, "/dossiers").await.1, "csrf_token");
    let (status, _, _) = post(
        &app,
        &officer,
        "/admin/accounts/mot.cua/disable",
        &[("csrf_token", officer_csrf.as_str())],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        sign_in(&app, "mot.cua", &made).await.0,
        303,
        "still enabled"
    );
}

#[tokio::test]
async fn units_are_added_and_renamed_and_a_units_administrator_manages_only_its_subtree() {
    let app = TestApp::spawn_with(|s| s.accounts.second_factor_roles.clear()).await;
    let admin = administrator(&app, "quantri", None).await;
    let (status, html) = get(&app, &admin, "/admin/units").await;
    assert_eq!(status, 200);
    let csrf = hidden(&html, "csrf_token");
    for (code, name) in [("TEST.Q1", "Quận 1"), ("TEST.Q2", "Quận 2")] {
        let (status, to, _) = post(
            &app,
            &admin,
            "/admin/units",
            &[
                ("csrf_token", csrf.as_str()),
                ("parent", "TEST"),
                ("code", code),
                ("name", name),
                ("level", ""),
            ],
        )
        .await;
        assert_eq!(status, 303, "{code}");
        let (_, html) = get(&app, &admin, &to).await;
        assert!(html.contains(&format!("Đã thêm đơn vị {code}.")), "{html}");
    }
    let (_, html) = get(&app, &admin, "/admin/units").await;
    assert!(
        html.contains("<th scope=\"row\" class=\"depth-1\">Quận 1</th>"),
        "below its parent in the tree: {html}"
    );
    assert!(html.contains("Quận/Huyện"), "one level below the province");
    // A code taken: the API's refusal, the form kept.
    let (status, _, html) = post(
        &app,
        &admin,
        "/admin/units",
        &[
            ("csrf_token", csrf.as_str()),
            ("parent", "TEST"),
            ("code", "TEST.Q1"),
            ("name", "Quận Một"),
        ],
    )
    .await;
    assert_eq!(status, 409);
    assert!(html.contains("Đã có đơn vị mang mã này."), "{html}");
    assert!(html.contains("value=\"Quận Một\""));
    // Renamed.
    let (status, _, _) = post(
        &app,
        &admin,
        "/admin/units/rename",
        &[
            ("csrf_token", csrf.as_str()),
            ("code", "TEST.Q1"),
            ("name", "Quận Một"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let units: serde_json::Value = app
        .get(&app.token(Role::Officer).await, "/api/v1/units/TEST.Q1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(units["name"], "Quận Một");

    // Staff of each district, and the first district's own administrator.
    let api_admin = app.token(Role::Admin).await;
    for (username, unit) in [("canbo.q1", "TEST.Q1"), ("canbo.q2", "TEST.Q2")] {
        let r = app
            .client
            .post(app.url("/api/v1/accounts"))
            .bearer_auth(&api_admin)
            .json(&json!({"username": username, "password": PASSWORD, "role": "officer", "unit": unit}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let q1 = administrator(&app, "quantri.q1", Some("TEST.Q1")).await;
    let (status, html) = get(&app, &q1, "/admin/accounts").await;
    assert_eq!(status, 200);
    assert!(html.contains("canbo.q1"), "{html}");
    assert!(
        !html.contains("canbo.q2"),
        "another district's staff are not listed"
    );
    assert!(!html.contains(">quantri<"), "nor the city's administrator");
    let (status, html) = get(&app, &q1, "/admin/accounts/canbo.q2").await;
    assert_eq!(status, 404, "{html}");
    let q1_csrf = hidden(&html_of(&app, &q1, "/admin/units").await, "csrf_token");
    // A ward below its own district: yes. Below the other district, or a rename there: no.
    let (status, _, _) = post(
        &app,
        &q1,
        "/admin/units",
        &[
            ("csrf_token", q1_csrf.as_str()),
            ("parent", "TEST.Q1"),
            ("code", "TEST.Q1.P1"),
            ("name", "Phường 1"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (status, _, html) = post(
        &app,
        &q1,
        "/admin/units",
        &[
            ("csrf_token", q1_csrf.as_str()),
            ("parent", "TEST.Q2"),
            ("code", "TEST.Q2.P1"),
            ("name", "Phường 1"),
        ],
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        html.contains("Bạn không có quyền thực hiện việc này."),
        "{html}"
    );
    let (status, _, _) = post(
        &app,
        &q1,
        "/admin/units/rename",
        &[
            ("csrf_token", q1_csrf.as_str()),
            ("code", "TEST.Q2"),
            ("name", "Quận Hai"),
        ],
    )
    .await;
    assert_eq!(status, 403);
    // Its forms offer only its own units.
    let html = html_of(&app, &q1, "/admin/accounts").await;
    assert!(html.contains("<option value=\"TEST.Q1\""));
    assert!(!html.contains("<option value=\"TEST.Q2\""), "{html}");
    // An account in the other district is refused.
    let (status, _, html) = post(
        &app,
        &q1,
        "/admin/accounts",
        &[
            ("csrf_token", q1_csrf.as_str()),
            ("username", "lan.q2"),
            ("role", "officer"),
            ("unit", "TEST.Q2"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert!(status == 403 || status == 422, "{status}");
    assert!(html.contains("role=\"alert\""), "{html}");
    assert_eq!(sign_in(&app, "lan.q2", PASSWORD).await.0, 401);
}

async fn html_of(app: &TestApp, cookie: &str, path: &str) -> String {
    let (status, html) = get(app, cookie, path).await;
    assert_eq!(status, 200, "{path}: {html}");
    html
}

#[tokio::test]
async fn machine_tokens_are_issued_once_and_revoked_from_the_page() {
    let app = TestApp::spawn_with(|s| s.accounts.second_factor_roles.clear()).await;
    let admin = administrator(&app, "quantri", None).await;
    let html = html_of(&app, &admin, "/admin/tokens").await;
    assert!(
        html.contains("chưa có danh sách các mã đã cấp"),
        "the page says what it cannot do"
    );
    let csrf = hidden(&html, "csrf_token");
    // A citizen's token without the citizen's number: the API's refusal.
    let (status, _, html) = post(
        &app,
        &admin,
        "/admin/tokens",
        &[
            ("csrf_token", csrf.as_str()),
            ("role", "citizen"),
            ("name", "Ki-ốt"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("invalid_token_request"), "{html}");

    let (status, _, html) = post(
        &app,
        &admin,
        "/admin/tokens",
        &[
            ("csrf_token", csrf.as_str()),
            ("role", "officer"),
            ("name", "Ki-ốt tầng 1"),
            ("unit", "TEST"),
        ],
    )
    .await;
    assert_eq!(status, 201, "{html}");
    assert!(html.contains("chỉ hiện một lần"));
    let token = unescape(between(&html, "<code class=\"secret\">", "</code>"));
    let id = unescape(between(&html, "<dd><code>", "</code>"));
    let r = app.get(&token, "/api/v1/me").await;
    assert_eq!(r.status(), 200, "the token works");

    let (status, to, _) = post(
        &app,
        &admin,
        "/admin/tokens/revoke",
        &[("csrf_token", csrf.as_str()), ("id", id.as_str())],
    )
    .await;
    assert_eq!(status, 303);
    assert!(html_of(&app, &admin, &to).await.contains("Đã thu hồi mã"));
    assert_eq!(app.get(&token, "/api/v1/me").await.status(), 401);
    // Revoking it again: no token in force has that id.
    let (status, _, html) = post(
        &app,
        &admin,
        "/admin/tokens/revoke",
        &[("csrf_token", csrf.as_str()), ("id", id.as_str())],
    )
    .await;
    assert_eq!(status, 404);
    assert!(html.contains("Không có mã nào đang hiệu lực mang số hiệu này."));
}

async fn preview(app: &TestApp, cookie: &str, csrf: &str, text: String) -> (u16, String) {
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf.to_owned())
        .part(
            "catalogue",
            reqwest::multipart::Part::bytes(text.into_bytes())
                .file_name("procedures.toml")
                .mime_str("application/toml")
                .unwrap(),
        );
    let r = no_redirects()
        .post(app.url("/admin/procedures/preview"))
        .header("cookie", cookie)
        .multipart(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn a_catalogue_change_is_previewed_as_differences_then_published() {
    let app = TestApp::spawn_with(|s| s.accounts.second_factor_roles.clear()).await;
    let admin = administrator(&app, "quantri", None).await;
    let html = html_of(&app, &admin, "/admin/procedures").await;
    assert!(
        html.contains("<th scope=\"row\">Đăng ký thành lập doanh nghiệp</th>"),
        "{html}"
    );
    let csrf = hidden(&html, "csrf_token");

    // A file that is not a catalogue: the check's own words, nothing changes.
    let (status, html) = preview(&app, &admin, &csrf, "[[procedure]]\ncode = 1\n".into()).await;
    assert_eq!(status, 422);
    assert!(
        html.contains("invalid_request") && html.contains("procedure catalogue"),
        "{html}"
    );

    let changed = motcua::dossier::catalogue::BUILTIN
        .replace("processing_days = 3\n", "processing_days = 5\n");
    let (status, html) = preview(&app, &admin, &csrf, changed.clone()).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Thủ tục thay đổi"));
    assert!(html.contains(
        "<tr><th scope=\"row\">Thời hạn giải quyết (ngày làm việc)</th><td><del>3</del></td><td><ins>5</ins></td></tr>"
    ), "{html}");
    assert!(!html.contains("Thủ tục bị bỏ"), "nothing removed");
    let current = hidden(&html, "current");
    let text = unescape(between(&html, "readonly>", "</textarea>"));
    assert_eq!(text, changed);

    // An officer may look at differences but not publish.
    let officer = officer(&app).await;
    let officer_csrf = hidden(&html_of(&app, &officer, "/dossiers").await, "csrf_token");
    let (status, _, html) = post(
        &app,
        &officer,
        "/admin/procedures/publish",
        &[
            ("csrf_token", officer_csrf.as_str()),
            ("current", current.as_str()),
            ("text", text.as_str()),
        ],
    )
    .await;
    assert_eq!(status, 403, "{html}");

    let (status, to, _) = post(
        &app,
        &admin,
        "/admin/procedures/publish",
        &[
            ("csrf_token", csrf.as_str()),
            ("current", current.as_str()),
            ("text", text.as_str()),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert!(
        html_of(&app, &admin, &to)
            .await
            .contains("Đã ban hành danh mục mới.")
    );
    let procedures: serde_json::Value = app
        .get(&app.token(Role::Officer).await, "/api/v1/procedures")
        .await
        .json()
        .await
        .unwrap();
    let business = procedures
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "business-registration")
        .unwrap();
    assert_eq!(business["processing_days"], 5, "{business}");

    // The same preview again: the catalogue changed since it was drawn.
    let (status, _, html) = post(
        &app,
        &admin,
        "/admin/procedures/publish",
        &[
            ("csrf_token", csrf.as_str()),
            ("current", current.as_str()),
            ("text", motcua::dossier::catalogue::BUILTIN),
        ],
    )
    .await;
    assert_eq!(status, 409);
    assert!(html.contains("catalogue_changed"), "{html}");
    // And the catalogue published now previews as the same.
    let (_, html) = preview(&app, &admin, &csrf, changed).await;
    assert!(
        html.contains("Tệp này giống hệt danh mục đang áp dụng."),
        "{html}"
    );
}
