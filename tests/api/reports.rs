//! The one-stop figures each unit is judged by (issue 15 §3): dossiers filed through the API and
//! moved through the workflow are counted — received online or at the counter, carried over,
//! settled on time or late, in progress within time or overdue, refused, supplements asked for —
//! per unit, procedure and period, rolled up the unit hierarchy; as JSON, CSV and from the
//! command line; read by staff of the unit or a unit above only.

use motcua::auth::Role;
use serde_json::{Value, json};

use crate::support::{TestApp, binary, business_dossier, error_code, form, pdf, store_args};
use crate::tamper;

const PROCEDURE: &str = "business-registration";

/// Today in Vietnam, as the counters count days.
fn today() -> time::Date {
    time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+7))
        .date()
}

async fn add_unit(app: &TestApp, admin: &str, code: &str, parent: &str, level: &str) {
    let r = app
        .client
        .post(app.url("/api/v1/units"))
        .bearer_auth(admin)
        .json(&json!({"code": code, "name": format!("Đơn vị {code}"), "parent": parent, "level": level}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}

/// The city (the configured root) with a district D over wards W1 and W2, and a ward O
/// directly under the city.
async fn city() -> (TestApp, String) {
    let app = TestApp::spawn().await;
    let root = app.settings.unit_code.as_str().to_owned();
    let admin = app.token(Role::Admin).await;
    add_unit(&app, &admin, "D", &root, "district").await;
    add_unit(&app, &admin, "W1", "D", "commune").await;
    add_unit(&app, &admin, "W2", "D", "commune").await;
    add_unit(&app, &admin, "O", &root, "commune").await;
    (app, root)
}

/// Files a dossier at `unit` with `token`; returns its id.
async fn file(app: &TestApp, token: &str, unit: Option<&str>) -> String {
    let mut d = business_dossier("0101234565");
    if let Some(unit) = unit {
        d["unit"] = json!(unit);
    }
    let body = app
        .submit_ok(
            token,
            form(&d, vec![("giay.pdf", "application/pdf", pdf("report"))]),
        )
        .await;
    body["id"].as_str().unwrap().to_owned()
}

async fn move_to(app: &TestApp, token: &str, id: &str, to: &str, reason: Option<&str>) {
    let r = app
        .client
        .post(app.url(&format!("/api/v1/dossiers/{id}/transitions")))
        .bearer_auth(token)
        .json(&json!({"to": to, "reason": reason}))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{to}: {body}");
}

/// Moves a received dossier to RESULT_ISSUED (settled).
async fn settle(app: &TestApp, officer: &str, id: &str) {
    for to in [
        "ACCEPTED",
        "ORIGINALS_VERIFIED",
        "PROCESSING",
        "RESULT_ISSUED",
    ] {
        move_to(app, officer, id, to, None).await;
    }
}

async fn report(app: &TestApp, token: &str, query: &str) -> Value {
    let r = app
        .get(token, &format!("/api/v1/reports/processing?{query}"))
        .await;
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{query}: {body}");
    body
}

/// The row of `unit` and `period` (the only procedure filed here).
fn row<'a>(report: &'a Value, unit: &str, period: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["unit"] == unit && r["period"] == period)
        .unwrap_or_else(|| panic!("no row {unit} {period} in {report}"))
}

/// The figures of a row or total, in the order `[received, online, counter, carried over,
/// settled on time, settled late, in progress within time, overdue, refused, supplements]`.
fn figures(v: &Value) -> [i64; 10] {
    [
        "received",
        "received_online",
        "received_counter",
        "carried_over",
        "settled_on_time",
        "settled_late",
        "in_progress_on_time",
        "overdue",
        "refused",
        "supplements_requested",
    ]
    .map(|k| v[k].as_i64().unwrap_or_else(|| panic!("no {k} in {v}")))
}

/// Every row and the total balance: what was received was settled, refused, or is open.
fn assert_balanced(report: &Value) {
    for r in report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .chain([&report["total"]])
    {
        let f = figures(r);
        assert_eq!(f[0], f[3] + f[1] + f[2], "{r}");
        assert_eq!(f[0], f[4] + f[5] + f[6] + f[7] + f[8], "{r}");
    }
}

#[tokio::test]
async fn each_figure_counts_what_happened_to_the_dossiers_rolled_up_the_units() {
    let (app, root) = city().await;
    let counter = app.token(Role::Officer).await;
    let business = app.business_token("0101234565").await;

    // At ward W1: four dossiers, one filed online by the business itself.
    let on_time = file(&app, &counter, Some("W1")).await;
    let late = file(&app, &counter, Some("W1")).await;
    let refused = file(&app, &counter, Some("W1")).await;
    let waiting = file(&app, &business, Some("W1")).await;
    // At ward W2 one.
    let overdue = file(&app, &counter, Some("W2")).await;
    // At ward O one, left open within time.
    file(&app, &counter, Some("O")).await;

    settle(&app, &counter, &on_time).await;
    // Handed over: still settled once, on the day its result was issued.
    move_to(&app, &counter, &on_time, "RETURNED", None).await;
    settle(&app, &counter, &late).await;
    // Its due day had passed when its result was issued.
    tamper::sql(
        &app,
        &format!("UPDATE dossiers SET due_on = '2000-01-03' WHERE id = '{late}'"),
    )
    .await;
    move_to(&app, &counter, &refused, "REJECTED", Some("Hồ sơ giả mạo")).await;
    move_to(
        &app,
        &counter,
        &waiting,
        "SUPPLEMENT_REQUESTED",
        Some("Thiếu điều lệ công ty"),
    )
    .await;
    tamper::sql(
        &app,
        &format!("UPDATE dossiers SET due_on = '2000-01-03' WHERE id = '{overdue}'"),
    )
    .await;

    let today = today();
    let first = today.replace_day(1).unwrap();
    let month = format!("{:04}-{:02}", today.year(), today.month() as u8);
    let archivist = app.token(Role::Archivist).await;
    let r = report(
        &app,
        &archivist,
        &format!("unit={root}&from={first}&to={today}&group_by=month"),
    )
    .await;
    assert_eq!(r["unit"], root.as_str());
    assert_eq!(r["from"], first.to_string());
    assert_eq!(r["to"], today.to_string());
    assert_eq!(r["as_of"], today.to_string());
    assert_balanced(&r);

    // W1: 4 received (1 online); 1 on time, 1 late, 1 refused, 1 waiting for the applicant
    // (within time: the clock is paused), 1 supplement asked for.
    let w1 = row(&r, "W1", &month);
    assert_eq!(w1["procedure"], PROCEDURE);
    assert_eq!(figures(w1), [4, 1, 3, 0, 1, 1, 1, 0, 1, 1], "{w1}");
    assert_eq!(w1["on_time_rate"], 0.5);
    let w2 = row(&r, "W2", &month);
    assert_eq!(figures(w2), [1, 0, 1, 0, 0, 0, 0, 1, 0, 0], "{w2}");
    assert_eq!(w2["on_time_rate"], Value::Null);
    let o = row(&r, "O", &month);
    assert_eq!(figures(o), [1, 0, 1, 0, 0, 0, 1, 0, 0, 0], "{o}");
    // The district counts its wards; the city everything.
    let d = row(&r, "D", &month);
    assert_eq!(figures(d), [5, 1, 4, 0, 1, 1, 1, 1, 1, 1], "{d}");
    let c = row(&r, &root, &month);
    assert_eq!(figures(c), [6, 1, 5, 0, 1, 1, 2, 1, 1, 1], "{c}");
    assert_eq!(figures(&r["total"]), figures(c));
    // The unit first, then those below it, depth first.
    let order: Vec<&str> = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["unit"].as_str().unwrap())
        .collect();
    assert_eq!(order, [root.as_str(), "D", "W1", "W2", "O"]);

    // The district's report holds the district and its wards only.
    let r = report(&app, &archivist, &format!("unit=D&from={first}&to={today}")).await;
    let units: Vec<&str> = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["unit"].as_str().unwrap())
        .collect();
    assert_eq!(units, ["D", "W1", "W2"]);
    assert_eq!(r["rows"][0]["period"], format!("{first}/{today}"));
    assert_eq!(figures(&r["total"]), figures(d));

    // CSV: a header, a line per row, the total last.
    let csv = app
        .client
        .get(app.url(&format!(
            "/api/v1/reports/processing?unit=D&from={first}&to={today}"
        )))
        .bearer_auth(&archivist)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "unit,procedure,period,received,received_online,received_counter,carried_over,\
         settled_on_time,settled_late,in_progress_on_time,overdue,refused,\
         supplements_requested,on_time_rate"
    );
    assert_eq!(
        lines[1],
        format!("D,{PROCEDURE},{first}/{today},5,1,4,0,1,1,1,1,1,1,0.5000")
    );
    assert_eq!(lines.len(), 5, "{text}");
    assert_eq!(
        lines[4],
        format!("D,,{first}/{today},5,1,4,0,1,1,1,1,1,1,0.5000")
    );

    // The command line prints the same.
    let out = binary()
        .args(["report", "--unit", "D", "--from"])
        .arg(first.to_string())
        .arg("--to")
        .arg(today.to_string())
        .arg("--csv")
        .args(store_args(&app.settings))
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), text);
    let out = binary()
        .args(["report", "--unit", "D", "--from"])
        .arg(first.to_string())
        .arg("--to")
        .arg(today.to_string())
        .arg("--json")
        .args(store_args(&app.settings))
        .output()
        .await
        .unwrap();
    assert!(out.status.success());
    let cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cli, r);
}

/// Dossiers placed in the first quarter of 2025 by their recorded days: the months carry over
/// what was open, and open dossiers are judged overdue on each month's last day.
#[tokio::test]
async fn months_carry_over_what_was_open_and_judge_it_on_their_last_day() {
    let app = TestApp::spawn().await;
    let root = app.settings.unit_code.as_str().to_owned();
    let officer = app.token(Role::Officer).await;
    // (received, due, closed, status); A is carried into January, overdue throughout; B is
    // overdue at January's end and settled late in February; C settled on time; D due on
    // March's last day (still within time then); E refused after its due day; F due on
    // February's last day, overdue only from March.
    let placed = [
        ("2024-12-20", "2025-01-10", None, "PROCESSING"),
        ("2025-01-15", "2025-01-20", Some("2025-02-03"), "RETURNED"),
        (
            "2025-01-30",
            "2025-02-05",
            Some("2025-02-04"),
            "RESULT_ISSUED",
        ),
        ("2025-02-10", "2025-03-31", None, "PROCESSING"),
        ("2025-03-02", "2025-03-10", Some("2025-03-20"), "REJECTED"),
        ("2025-02-27", "2025-02-28", None, "PROCESSING"),
    ];
    let mut ids = Vec::new();
    for (received, due, closed, status) in placed {
        let id = file(&app, &officer, None).await;
        tamper::sql(
            &app,
            &format!(
                "UPDATE dossiers SET received_on = '{received}', due_on = '{due}', \
                 closed_on = {}, status = '{status}' WHERE id = '{id}'",
                closed.map_or("NULL".to_owned(), |c| format!("'{c}'"))
            ),
        )
        .await;
        ids.push(id);
    }
    // Two supplement requests: on 15 February, and at 00:30 on 1 March in Vietnam (17:30 UTC
    // on 28 February), which is March's.
    for (id, at) in [
        (&ids[3], "2025-02-15T03:00:00.000000Z"),
        (&ids[5], "2025-02-28T17:30:00.000000Z"),
    ] {
        tamper::sql(
            &app,
            &format!(
                "INSERT INTO dossier_transitions (id, dossier_id, version, from_status, \
                 to_status, actor, reason, at, ledger_index) VALUES ('{}', '{id}', 99, \
                 'RECEIVED', 'SUPPLEMENT_REQUESTED', 'officer', 'Thiếu', '{at}', 0)",
                uuid::Uuid::new_v4()
            ),
        )
        .await;
    }

    let r = report(
        &app,
        &officer,
        "from=2025-01-01&to=2025-03-31&group_by=month",
    )
    .await;
    assert_eq!(
        r["unit"],
        root.as_str(),
        "the top of the hierarchy by default"
    );
    assert_eq!(r["as_of"], "2025-03-31");
    assert_balanced(&r);
    // [received, online, counter, carried, on time, late, in time, overdue, refused, suppl.]
    assert_eq!(
        figures(row(&r, &root, "2025-01")),
        [3, 0, 2, 1, 0, 0, 1, 2, 0, 0]
    );
    assert_eq!(
        figures(row(&r, &root, "2025-02")),
        [5, 0, 2, 3, 1, 1, 2, 1, 0, 1]
    );
    assert_eq!(
        figures(row(&r, &root, "2025-03")),
        [4, 0, 1, 3, 0, 0, 1, 2, 1, 1]
    );
    let whole = [6, 0, 5, 1, 1, 1, 1, 2, 1, 2];
    assert_eq!(figures(&r["total"]), whole);

    let r = report(
        &app,
        &officer,
        "from=2025-01-01&to=2025-03-31&group_by=quarter",
    )
    .await;
    assert_eq!(r["rows"].as_array().unwrap().len(), 1);
    assert_eq!(figures(row(&r, &root, "2025-Q1")), whole);
    // Over the year, the three still open are judged on its last day: all overdue.
    let r = report(
        &app,
        &officer,
        "from=2025-01-01&to=2025-12-31&group_by=year",
    )
    .await;
    assert_eq!(
        figures(row(&r, &root, "2025")),
        [6, 0, 5, 1, 1, 1, 0, 3, 1, 2]
    );

    // A range that starts on 4 February carries over what was open on its first day (A, and C,
    // settled that day; B was settled the day before).
    let r = report(&app, &officer, "from=2025-02-04&to=2025-02-28").await;
    assert_eq!(
        figures(row(&r, &root, "2025-02-04/2025-02-28")),
        [4, 0, 2, 2, 1, 0, 2, 1, 0, 1]
    );
}

/// A token of `role` bound to `unit`.
async fn bound(app: &TestApp, role: Role, unit: &str) -> String {
    motcua::app::create_token(
        app.state().dossiers.db(),
        &motcua::auth::NewToken {
            role,
            tax_code: None,
            id_number: None,
            agency: None,
            name: Some("staff".into()),
            branches: false,
            unit: Some(motcua::vocabulary::UnitCode::parse(unit).unwrap()),
        },
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn staff_read_the_reports_of_their_unit_and_below_and_no_one_else_does() {
    let (app, root) = city().await;
    let counter = app.token(Role::Officer).await;
    file(&app, &counter, Some("W1")).await;
    file(&app, &counter, Some("O")).await;
    let today = today();
    let range = format!("from={today}&to={today}");
    let status = |r: reqwest::Response| async move { error_code(r).await };

    for role in [Role::Officer, Role::Archivist, Role::Admin] {
        let d = bound(&app, role, "D").await;
        for unit in ["D", "W1", "W2"] {
            report(&app, &d, &format!("unit={unit}&{range}")).await;
        }
        // Beyond its reach, as if the unit did not exist.
        for unit in [root.as_str(), "O", "NOWHERE"] {
            let r = app
                .get(
                    &d,
                    &format!("/api/v1/reports/processing?unit={unit}&{range}"),
                )
                .await;
            assert_eq!(
                status(r).await,
                (404, "not_found".into()),
                "{role:?} {unit}"
            );
        }
        // Its own unit when it names none.
        let r = report(&app, &d, &range).await;
        assert_eq!(r["unit"], "D");
        assert_eq!(r["total"]["received"], 1, "{r}");
    }
    let w1 = bound(&app, Role::Officer, "W1").await;
    report(&app, &w1, &format!("unit=W1&{range}")).await;
    let r = app
        .get(&w1, &format!("/api/v1/reports/processing?unit=D&{range}"))
        .await;
    assert_eq!(status(r).await, (404, "not_found".into()));
    // Staff bound to no unit read every unit's.
    let r = report(&app, &counter, &format!("unit={root}&{range}")).await;
    assert_eq!(r["total"]["received"], 2);

    // Applicants read none, whatever they name.
    let business = app.business_token("0101234565").await;
    let citizen = app.citizen_token("001203004567").await;
    for token in [&business, &citizen] {
        let r = app
            .get(
                token,
                &format!("/api/v1/reports/processing?unit=W1&{range}"),
            )
            .await;
        assert_eq!(status(r).await, (403, "forbidden".into()));
    }
    let r = app
        .client
        .get(app.url("/api/v1/reports/processing?from=2026-01-01&to=2026-01-31"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Malformed requests say what is wrong.
    for query in [
        "from=2026-02-01&to=2026-01-31",
        "from=2016-01-01&to=2026-01-01",
        "from=2026-1-1&to=2026-01-31",
        "from=2026-01-01&to=2026-01-31&group_by=week",
        "from=2026-01-01",
        "from=2026-01-01&to=2026-01-31&colour=red",
    ] {
        let r = app
            .get(&counter, &format!("/api/v1/reports/processing?{query}"))
            .await;
        assert_eq!(status(r).await, (400, "invalid_query".into()), "{query}");
    }
}

/// The days the figures are counted by are the logged moves' days: `motcua ledger verify` finds
/// them edited.
#[tokio::test]
async fn report_days_edited_behind_motcua_s_back_are_found_by_the_audit() {
    let app = TestApp::spawn().await;
    let officer = app.token(Role::Officer).await;
    let id = file(&app, &officer, None).await;
    move_to(&app, &officer, &id, "REJECTED", Some("Hồ sơ giả mạo")).await;
    app.state().ledger.publish_checkpoint().await.unwrap();
    let verify = || async {
        let out = binary()
            .args(["ledger", "verify"])
            .args(store_args(&app.settings))
            .output()
            .await
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    };
    let (code, text) = verify().await;
    assert_eq!(code, Some(0), "{text}");
    tamper::sql(
        &app,
        &format!("UPDATE dossiers SET closed_on = '2020-01-01' WHERE id = '{id}'"),
    )
    .await;
    let (code, text) = verify().await;
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("report days edited"), "{text}");
}

/// A deployment from before reports gets each dossier's channel and days from its submitter and
/// moves, by the migration's own statements: the same as those written as the moves happen.
#[tokio::test]
async fn the_migration_fills_in_what_dossiers_filed_before_it_would_have() {
    let (app, _root) = city().await;
    let counter = app.token(Role::Officer).await;
    let business = app.business_token("0101234565").await;
    let settled = file(&app, &counter, Some("W1")).await;
    settle(&app, &counter, &settled).await;
    let refused = file(&app, &business, Some("W2")).await;
    move_to(&app, &counter, &refused, "REJECTED", Some("Thiếu giấy tờ")).await;
    let open = file(&app, &business, Some("O")).await;
    let ids = [&settled, &refused, &open];
    let select = "SELECT channel, received_on, closed_on FROM dossiers ORDER BY id";
    let before = rows(&app, select).await;
    assert_eq!(before.len(), 3);
    assert!(before.iter().all(|(_, received, _)| received.is_some()));

    tamper::sql(
        &app,
        "UPDATE dossiers SET channel = NULL, received_on = NULL, closed_on = NULL",
    )
    .await;
    let migration = include_str!("../../migrations/20261202100000_reports.sql");
    let without_comments: Vec<&str> = migration
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect();
    for sql in without_comments.join("\n").split(';') {
        if sql.trim_start().starts_with("UPDATE") {
            tamper::sql(&app, sql).await;
        }
    }
    assert_eq!(rows(&app, select).await, before, "{ids:?}");
}

/// The rows of a query of three text columns.
async fn rows(
    app: &TestApp,
    select: &str,
) -> Vec<(Option<String>, Option<String>, Option<String>)> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&app.settings.store.database_url)
        .await
        .unwrap();
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(select.to_owned()))
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    rows
}
