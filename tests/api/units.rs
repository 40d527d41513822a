//! Administrative units: the hierarchy, who manages it, the unit a dossier is received by, its
//! codes numbered per unit and day, and deployments that predate units migrating in place.

use motcua::auth::Role;
use serde_json::{Value, json};

use crate::support::{TestApp, binary, business_dossier, error_code, form, pdf, store_args};

async fn post_unit(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/units"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn put_units(app: &TestApp, token: &str, toml: &str) -> reqwest::Response {
    app.client
        .put(app.url("/api/v1/units"))
        .bearer_auth(token)
        .header("content-type", "application/toml")
        .body(toml.to_owned())
        .send()
        .await
        .unwrap()
}

fn dossier_at(unit: Option<&str>) -> Value {
    let mut d = business_dossier("0101234565");
    if let Some(unit) = unit {
        d["unit"] = json!(unit);
    }
    d
}

async fn file(app: &TestApp, token: &str, unit: Option<&str>) -> reqwest::Response {
    app.submit(
        token,
        form(
            &dossier_at(unit),
            vec![("giay.pdf", "application/pdf", pdf("unit"))],
        ),
    )
    .await
}

#[tokio::test]
async fn a_new_deployment_starts_with_its_configured_unit_and_files_there_unnamed() {
    let app = TestApp::spawn().await;
    let configured = app.settings.unit_code.as_str().to_owned();
    let officer = app.token(Role::Officer).await;

    let units: Value = app
        .get(&officer, "/api/v1/units")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(units.as_array().unwrap().len(), 1, "{units}");
    assert_eq!(units[0]["code"], configured.as_str());
    assert_eq!(units[0]["level"], "province");
    assert_eq!(units[0]["parent"], Value::Null);

    let r = file(&app, &officer, None).await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["code"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{configured}-")),
        "{body}"
    );
}

#[tokio::test]
async fn administrators_build_the_hierarchy_and_no_one_else_can() {
    let app = TestApp::spawn().await;
    let root = app.settings.unit_code.as_str().to_owned();
    let admin = app.token(Role::Admin).await;
    let officer = app.token(Role::Officer).await;

    let r = post_unit(
        &app,
        &officer,
        json!({"code": "BD", "name": "Quận Ba Đình", "parent": root}),
    )
    .await;
    assert_eq!(error_code(r).await, (403, "forbidden".into()));

    let r = post_unit(
        &app,
        &admin,
        json!({"code": "BD", "name": "Quận Ba Đình", "parent": root}),
    )
    .await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["location"], "/api/v1/units/BD");
    let district: Value = r.json().await.unwrap();
    assert_eq!(district["level"], "district", "one tier below a province");
    assert_eq!(district["level_vi"], "Quận/Huyện");

    let r = post_unit(
        &app,
        &admin,
        json!({"code": "BD.PX", "name": "Phường Phúc Xá", "parent": "BD"}),
    )
    .await;
    assert_eq!(r.status(), 201);
    let ward: Value = r.json().await.unwrap();
    assert_eq!(ward["level"], "commune");
    let r = post_unit(
        &app,
        &admin,
        json!({"code": "BD.CA", "name": "Công an quận Ba Đình", "parent": "BD", "level": "agency"}),
    )
    .await;
    assert_eq!(r.status(), 201);

    // Every refusal says which rule, and records nothing.
    for (body, expected) in [
        (
            json!({"code": "BD", "name": "Lần nữa", "parent": root}),
            (409, "unit_exists"),
        ),
        (
            json!({"code": "X1", "name": "Mồ côi", "parent": "NOWHERE"}),
            (422, "invalid_unit"),
        ),
        (
            json!({"code": "X2", "name": "Dưới phường", "parent": "BD.PX", "level": "commune"}),
            (422, "invalid_unit"),
        ),
        (
            json!({"code": "X3", "name": "Sở dưới phường", "parent": "BD.PX", "level": "department"}),
            (422, "invalid_unit"),
        ),
        (
            json!({"code": "X4", "name": "Cấp lạ", "level": "galaxy"}),
            (422, "invalid_unit"),
        ),
        (
            json!({"code": "bad code!", "name": "Mã sai"}),
            (422, "invalid_unit"),
        ),
        (json!({"code": "X5", "name": "  "}), (422, "invalid_unit")),
        (
            json!({"code": "X6", "name": "Thừa", "colour": "red"}),
            (422, "invalid_json"),
        ),
    ] {
        let r = post_unit(&app, &admin, body.clone()).await;
        let (status, code) = error_code(r).await;
        assert_eq!((status, code.as_str()), expected, "{body}");
    }

    let r = app
        .client
        .patch(app.url("/api/v1/units/BD"))
        .bearer_auth(&admin)
        .json(&json!({"name": "Quận Ba Đình, Hà Nội"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let one: Value = app
        .get(&officer, "/api/v1/units/BD")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["name"], "Quận Ba Đình, Hà Nội");
    assert_eq!(one["parent"], root.as_str());
    let r = app.get(&officer, "/api/v1/units/NOWHERE").await;
    assert_eq!(error_code(r).await, (404, "not_found".into()));

    let all: Value = app
        .get(&officer, "/api/v1/units")
        .await
        .json()
        .await
        .unwrap();
    let codes: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes.len(), 4, "{all}");
    assert!(codes.contains(&"BD.CA") && !codes.contains(&"X1"), "{all}");

    let subtree = app
        .state()
        .dossiers
        .units()
        .subtree(&motcua::vocabulary::UnitCode::parse("BD").unwrap())
        .await
        .unwrap();
    let subtree: Vec<&str> = subtree.iter().map(|c| c.as_str()).collect();
    assert_eq!(subtree, ["BD", "BD.CA", "BD.PX"]);

    let report = crate::ledger::verify_app(&app).await;
    assert!(report.is_ok(), "{:?}", report.problems);
}

#[tokio::test]
async fn with_several_units_each_dossier_names_its_unit_and_each_unit_numbers_its_own() {
    let app = TestApp::spawn().await;
    let root = app.settings.unit_code.as_str().to_owned();
    let admin = app.token(Role::Admin).await;
    let officer = app.token(Role::Officer).await;
    for code in ["W1", "W2"] {
        let r = post_unit(&app, &admin, json!({"code": code, "name": format!("Phường {code}"), "parent": root, "level": "commune"})).await;
        assert_eq!(r.status(), 201);
    }

    let r = file(&app, &officer, None).await;
    assert_eq!(error_code(r).await, (422, "unit_required".into()));
    let r = file(&app, &officer, Some("W9")).await;
    assert_eq!(error_code(r).await, (422, "unknown_unit".into()));
    let r = file(&app, &officer, Some("not a code")).await;
    assert_eq!(error_code(r).await, (422, "invalid_field".into()));

    // Both counters file at once: each unit's codes run 1..=n, none shared, none skipped.
    let n = 6;
    let mut filings = Vec::new();
    for i in 0..2 * n {
        let unit = if i % 2 == 0 { "W1" } else { "W2" };
        let (app, officer) = (&app, &officer);
        filings.push(async move { (unit, file(app, officer, Some(unit)).await) });
    }
    let mut sequences: std::collections::BTreeMap<&str, Vec<u32>> = Default::default();
    for (unit, r) in futures_util::future::join_all(filings).await {
        assert_eq!(r.status(), 201);
        let body: Value = r.json().await.unwrap();
        let code = body["code"].as_str().unwrap().to_owned();
        let parts: Vec<&str> = code.split('-').collect();
        assert_eq!(parts[0], unit, "{code}");
        sequences
            .entry(unit)
            .or_default()
            .push(parts[2].parse().unwrap());
    }
    for (unit, mut seq) in sequences {
        seq.sort_unstable();
        assert_eq!(seq, (1..=n as u32).collect::<Vec<_>>(), "unit {unit}");
    }
    let report = crate::ledger::verify_app(&app).await;
    assert!(report.is_ok(), "{:?}", report.problems);
}

#[tokio::test]
async fn a_procedure_is_filed_only_at_the_levels_the_catalogue_says_receive_it() {
    let app = TestApp::spawn().await;
    let root = app.settings.unit_code.as_str().to_owned();
    let admin = app.token(Role::Admin).await;
    let officer = app.token(Role::Officer).await;
    let r = post_unit(
        &app,
        &admin,
        json!({"code": "PX", "name": "Phường Phúc Xá", "parent": root, "level": "commune"}),
    )
    .await;
    assert_eq!(r.status(), 201);
    // Business registration at the province's department only.
    let catalogue = motcua::dossier::catalogue::BUILTIN.replacen(
        "code = \"business-registration\"\n",
        "code = \"business-registration\"\nreceived_at = [\"province\", \"department\"]\n",
        1,
    );
    assert_ne!(catalogue, motcua::dossier::catalogue::BUILTIN);
    let r = app
        .client
        .put(app.url("/api/v1/procedures"))
        .bearer_auth(&admin)
        .header("content-type", "application/toml")
        .body(catalogue)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let procedures: Value = app
        .get(&officer, "/api/v1/procedures")
        .await
        .json()
        .await
        .unwrap();
    let registration = procedures
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "business-registration")
        .unwrap();
    assert_eq!(
        registration["received_at"],
        json!(["province", "department"])
    );
    let r = file(&app, &officer, Some("PX")).await;
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 422);
    assert_eq!(body["error"]["code"], "procedure_not_received_here");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("commune") && message.contains("province, department"),
        "{message}"
    );

    let r = file(&app, &officer, Some(&root)).await;
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn the_unit_file_adds_and_renames_in_one_go_and_never_removes_or_moves_a_unit() {
    let app = TestApp::spawn().await;
    let root = app.settings.unit_code.as_str().to_owned();
    let admin = app.token(Role::Admin).await;
    let officer = app.token(Role::Officer).await;
    // Children before their parents in the file are fine.
    let file_text = format!(
        "[[unit]]\ncode = \"BD.PX\"\nname = \"Phường Phúc Xá\"\nparent = \"BD\"\n\n\
         [[unit]]\ncode = \"BD\"\nname = \"Quận Ba Đình\"\nparent = \"{root}\"\n\n\
         [[unit]]\ncode = \"{root}\"\nname = \"Thành phố Hà Nội\"\n"
    );
    let r = put_units(&app, &admin, &file_text).await;
    assert_eq!(r.status(), 200);
    let units: Value = r.json().await.unwrap();
    assert_eq!(units.as_array().unwrap().len(), 3, "{units}");
    let named = |code: &str| {
        units
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["code"] == code)
            .cloned()
            .unwrap()
    };
    assert_eq!(named(&root)["name"], "Thành phố Hà Nội");
    assert_eq!(named("BD.PX")["level"], "commune");

    let r = put_units(&app, &officer, &file_text).await;
    assert_eq!(error_code(r).await, (403, "forbidden".into()));
    // A file without an existing unit, or moving one, is refused whole.
    let without_ward = format!(
        "[[unit]]\ncode = \"BD\"\nname = \"Quận Ba Đình\"\nparent = \"{root}\"\n\
         [[unit]]\ncode = \"{root}\"\nname = \"Hà Nội\"\n[[unit]]\ncode = \"NEW\"\nname = \"Mới\"\nparent = \"{root}\"\n"
    );
    let r = put_units(&app, &admin, &without_ward).await;
    let (status, code) = error_code(r).await;
    assert_eq!((status, code.as_str()), (422, "invalid_unit"));
    let moved = file_text.replace("parent = \"BD\"", &format!("parent = \"{root}\""));
    let r = put_units(&app, &admin, &moved).await;
    assert_eq!(error_code(r).await, (422, "invalid_unit".into()));
    let r = put_units(&app, &admin, "[[unit]]\ncode = 5\n").await;
    assert_eq!(error_code(r).await, (422, "invalid_unit".into()));
    let r = app
        .client
        .put(app.url("/api/v1/units"))
        .bearer_auth(&admin)
        .json(&json!([]))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await, (415, "unsupported_media_type".into()));

    let after: Value = app
        .get(&officer, "/api/v1/units")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after, units, "nothing of the refused files was applied");
    let report = crate::ledger::verify_app(&app).await;
    assert!(report.is_ok(), "{:?}", report.problems);
}

#[tokio::test]
async fn a_deployment_that_predates_units_migrates_in_place_and_verifies_clean() {
    let app = TestApp::spawn().await;
    let configured = app.settings.unit_code.as_str().to_owned();
    let officer = app.token(Role::Officer).await;
    let mut codes = Vec::new();
    for _ in 0..3 {
        let body: Value = file(&app, &officer, None).await.json().await.unwrap();
        codes.push(body["code"].as_str().unwrap().to_owned());
    }
    // As the migration leaves the dossiers filed before it: no unit recorded.
    crate::tamper::sql(&app, "UPDATE dossiers SET unit_code = NULL").await;
    let report = crate::ledger::verify_app(&app).await;
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains(&codes[0]) && p.contains("another unit")),
        "{:?}",
        report.problems
    );

    // The next start (any node) assigns each its unit.
    let sibling = app.sibling().await;
    sibling.stop().await.unwrap();
    let report = crate::ledger::verify_app(&app).await;
    assert!(report.is_ok(), "{:?}", report.problems);
    let units = app.state().dossiers.units().list().await.unwrap();
    assert_eq!(units.len(), 1);
    assert_eq!(units[0].code.as_str(), configured);

    // A dossier whose code names a unit the table lacks (as under an earlier configuration's
    // unit code) gets that unit, under the first, at the next start. (Its code is rewritten
    // here to make one; the audit would rightly object to that, so it is put back after.)
    let old_code = codes[2].replacen(&configured, "OLD", 1);
    crate::tamper::sql(
        &app,
        &format!(
            "UPDATE dossiers SET unit_code = NULL, code = '{old_code}' WHERE code = '{}'",
            codes[2]
        ),
    )
    .await;
    app.sibling().await.stop().await.unwrap();
    let units = app.state().dossiers.units().list().await.unwrap();
    let old = units
        .iter()
        .find(|u| u.code.as_str() == "OLD")
        .expect("OLD added");
    assert_eq!(
        old.parent.as_ref().map(|p| p.as_str()),
        Some(configured.as_str())
    );
    assert_eq!(old.level, motcua::vocabulary::UnitLevel::District);
    crate::tamper::sql(
        &app,
        &format!(
            "UPDATE dossiers SET unit_code = '{configured}', code = '{}' WHERE code = '{old_code}'",
            codes[2]
        ),
    )
    .await;
    let report = crate::ledger::verify_app(&app).await;
    assert!(report.is_ok(), "{:?}", report.problems);

    // A dossier moved to another unit behind motcua's back is found.
    crate::tamper::sql(
        &app,
        &format!(
            "UPDATE dossiers SET unit_code = 'ELSEWHERE' WHERE code = '{}'",
            codes[1]
        ),
    )
    .await;
    let report = crate::ledger::verify_app(&app).await;
    assert!(
        report.problems.iter().any(|p| p.contains(&codes[1])),
        "{:?}",
        report.problems
    );
    // So is a unit renamed in the database.
    crate::tamper::sql(&app, "UPDATE units SET name = 'Khác'").await;
    let report = crate::ledger::verify_app(&app).await;
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains(&format!("unit {configured} does not match"))),
        "{:?}",
        report.problems
    );
}

#[tokio::test]
async fn the_command_line_adds_and_lists_units() {
    let app = TestApp::spawn().await;
    let root = app.settings.unit_code.as_str().to_owned();
    let settings = &app.settings;
    let run = |args: &[&str]| {
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        async move {
            binary()
                .args(args)
                .args(store_args(settings))
                .output()
                .await
                .unwrap()
        }
    };
    let out = run(&[
        "unit",
        "add",
        "--code",
        "HK",
        "--name",
        "Quận Hoàn Kiếm",
        "--parent",
        root.as_str(),
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("added district HK"));

    let out = run(&["unit", "add", "--code", "HK", "--name", "Lại"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("exists already"));
    let out = run(&[
        "unit", "add", "--code", "Z", "--name", "Z", "--level", "galaxy",
    ])
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("province, district, commune"));

    let out = run(&["unit", "list", "--json"]).await;
    assert!(out.status.success());
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let api: Value = app
        .get(&app.token(Role::Officer).await, "/api/v1/units")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed, api, "the command line lists what the API does");
    let out = run(&["unit", "list"]).await;
    let tree = String::from_utf8(out.stdout).unwrap();
    assert!(
        tree.contains(&format!("{root}  ")) && tree.contains("\n  HK  Quận Hoàn Kiếm  [district]"),
        "{tree}"
    );
}

/// A token of `role` bound to `unit` (none: the whole deployment).
async fn staff_token(app: &TestApp, role: Role, unit: Option<&str>) -> String {
    motcua::app::create_token(
        app.state().dossiers.db(),
        &motcua::auth::NewToken {
            role,
            tax_code: None,
            id_number: None,
            agency: None,
            name: Some("staff".into()),
            branches: false,
            unit: unit.map(|u| motcua::vocabulary::UnitCode::parse(u).unwrap()),
        },
    )
    .await
    .unwrap()
}

/// The codes a caller's listing shows.
async fn listed(app: &TestApp, token: &str) -> Vec<String> {
    let page: Value = app
        .get(token, "/api/v1/dossiers")
        .await
        .json()
        .await
        .unwrap();
    let mut codes: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            d["code"]
                .as_str()
                .unwrap()
                .split('-')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    codes.sort();
    codes
}

#[tokio::test]
async fn staff_bound_to_a_unit_see_file_and_act_only_within_its_reach() {
    let app = TestApp::spawn().await;
    let root = app.settings.unit_code.as_str().to_owned();
    let city_admin = app.token(Role::Admin).await;
    for (code, parent, level) in [
        ("D", root.as_str(), "district"),
        ("W1", "D", "commune"),
        ("W2", "D", "commune"),
        ("O", root.as_str(), "commune"),
    ] {
        let r = post_unit(&app, &city_admin, json!({"code": code, "name": format!("Đơn vị {code}"), "parent": parent, "level": level})).await;
        assert_eq!(r.status(), 201);
    }
    // The counter that serves the whole city files one dossier at each ward.
    let city_officer = app.token(Role::Officer).await;
    let mut ids = std::collections::HashMap::new();
    for unit in ["W1", "W2", "O"] {
        let body: Value = file(&app, &city_officer, Some(unit))
            .await
            .json()
            .await
            .unwrap();
        ids.insert(unit, body["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(listed(&app, &city_officer).await, ["O", "W1", "W2"]);

    // An officer of W1: its own unit's dossiers only; others' are "not found".
    let w1 = staff_token(&app, Role::Officer, Some("W1")).await;
    assert_eq!(listed(&app, &w1).await, ["W1"]);
    let r = app
        .get(&w1, &format!("/api/v1/dossiers/{}", ids["W1"]))
        .await;
    assert_eq!(r.status(), 200);
    for other in ["W2", "O"] {
        let r = app
            .get(&w1, &format!("/api/v1/dossiers/{}", ids[other]))
            .await;
        assert_eq!(error_code(r).await, (404, "not_found".into()), "{other}");
        let r = app
            .client
            .post(app.url(&format!("/api/v1/dossiers/{}/transitions", ids[other])))
            .bearer_auth(&w1)
            .json(&json!({"to": "ACCEPTED"}))
            .send()
            .await
            .unwrap();
        assert_eq!(error_code(r).await, (404, "not_found".into()), "{other}");
    }
    // Its deadline list is its unit's too.
    let deadlines: Value = app
        .get(&w1, "/api/v1/deadlines?within=60")
        .await
        .json()
        .await
        .unwrap();
    let text = deadlines.to_string();
    assert!(
        text.contains("\"W1-") && !text.contains("\"W2-") && !text.contains("\"O-"),
        "{text}"
    );
    let all: Value = app
        .get(&city_officer, "/api/v1/deadlines?within=60")
        .await
        .json()
        .await
        .unwrap();
    assert!(all.to_string().contains("\"W2-"), "{all}");
    let me: Value = app.get(&w1, "/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["unit"], "W1");
    // It files at its own counter, named or not, and nowhere else.
    let body: Value = file(&app, &w1, None).await.json().await.unwrap();
    assert!(body["code"].as_str().unwrap().starts_with("W1-"), "{body}");
    assert_eq!(body["unit"], "W1");
    let r = file(&app, &w1, Some("W2")).await;
    assert_eq!(error_code(r).await, (403, "forbidden".into()));

    // An archivist of the district: the district and the wards below it.
    let d_archivist = staff_token(&app, Role::Archivist, Some("D")).await;
    assert_eq!(listed(&app, &d_archivist).await, ["W1", "W1", "W2"]);
    let r = app
        .get(&d_archivist, &format!("/api/v1/dossiers/{}", ids["O"]))
        .await;
    assert_eq!(error_code(r).await, (404, "not_found".into()));

    // The district's administrator manages the district and below, and nothing else.
    let d_admin = staff_token(&app, Role::Admin, Some("D")).await;
    let r = post_unit(
        &app,
        &d_admin,
        json!({"code": "D.CA", "name": "Công an quận", "parent": "D", "level": "agency"}),
    )
    .await;
    assert_eq!(r.status(), 201);
    let r = post_unit(
        &app,
        &d_admin,
        json!({"code": "O2", "name": "Ngoài", "parent": root, "level": "commune"}),
    )
    .await;
    assert_eq!(error_code(r).await, (403, "forbidden".into()));
    let r = app
        .client
        .patch(app.url("/api/v1/units/O"))
        .bearer_auth(&d_admin)
        .json(&json!({"name": "Đổi tên"}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await, (403, "forbidden".into()));
    let r = put_units(&app, &d_admin, "").await;
    assert_eq!(error_code(r).await, (403, "forbidden".into()));
    // Its tokens are bound to a unit in its reach.
    let create = |body: Value| {
        let (app, d_admin) = (&app, &d_admin);
        async move {
            app.client
                .post(app.url("/api/v1/tokens"))
                .bearer_auth(d_admin)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let r = create(json!({"role": "officer", "unit": "W2"})).await;
    assert_eq!(r.status(), 201);
    let w2: Value = r.json().await.unwrap();
    assert_eq!(listed(&app, w2["token"].as_str().unwrap()).await, ["W2"]);
    for body in [
        json!({"role": "officer", "unit": "O"}),
        json!({"role": "officer"}),
        json!({"role": "officer", "unit": "NOWHERE"}),
        json!({"role": "citizen", "id_number": "001203004567", "unit": "W1"}),
    ] {
        let r = create(body.clone()).await;
        assert_eq!(
            error_code(r).await,
            (422, "invalid_token_request".into()),
            "{body}"
        );
    }

    // Applicants are not bound to units: a business sees its dossiers wherever filed.
    let business = app.business_token("0101234565").await;
    assert_eq!(listed(&app, &business).await, ["O", "W1", "W1", "W2"]);
    let report = crate::ledger::verify_app(&app).await;
    assert!(report.is_ok(), "{:?}", report.problems);
}
