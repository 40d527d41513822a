//! Rights on an interlinked dossier follow its parts (issue 13, finding 4): the lead agency (that
//! of the dossier's own procedure) and the one-stop counter move the dossier through its
//! lifecycle and handle its paper originals; the agency of a linked procedure sees the dossier
//! and acts only on its own part, issuing only the result kinds its own procedure issues.
//!
//! Written as a matrix, every kind of caller against every action on one interlinked dossier
//! (birth registration, with permanent residence and a health insurance card linked), each cell
//! the answer that caller gets. A refusal records nothing; an allowed action is done for real.

use motcua::auth::{NewToken, Role};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::support::*;

/// The lead agency: birth registration's.
const COMMUNE: &str = "Ủy ban nhân dân cấp xã";
/// Permanent residence's agency.
const POLICE: &str = "Công an cấp xã";
/// The health insurance card's agency.
const INSURER: &str = "Bảo hiểm xã hội cấp huyện";
/// An agency with no part in the dossier.
const REGISTRAR: &str = "Phòng Đăng ký kinh doanh, Sở Kế hoạch và Đầu tư";
/// The applicant's identification number.
const APPLICANT: &str = "001203004567";

/// Who may do what. Columns are the callers: the lead agency's officer, the police's and the
/// insurer's (each a linked part's agency), an officer of an agency with no part, the one-stop
/// counter (an officer without an agency), an administrator, an archivist, the applicant, and
/// another citizen. Cells: `ok` done (200 or 201); `403` forbidden (sees the dossier, may not
/// act); `404` not_found (does not see it); `409` parts_pending (may move it, but the parts
/// still wait); `422` kind_not_for_procedure (may issue for the part, not this kind).
///
/// Rows: `see` the dossier; `FROM->TO` a lifecycle move from the status where it exists;
/// `scan-original` and `decide-original` the counter's work on the paper original of the
/// declaration; `certified-copy` a certified copy of the submitted declaration;
/// `result:PART` the result of a part, in its procedure's kind; `kind:KIND` a result of that
/// kind for the caller's own part (the dossier's own procedure for callers without a part);
/// `revoke:PART` revoking the result that completed a part.
const MATRIX: &str = "
    action                                   lead police insurer other counter admin archivist applicant citizen
    see                                      ok   ok     ok      404   ok      ok    ok        ok        404
    RECEIVED->ACCEPTED                       ok   403    403     404   ok      403   403       403       404
    RECEIVED->SUPPLEMENT_REQUESTED           ok   403    403     404   ok      403   403       403       404
    RECEIVED->REJECTED                       ok   403    403     404   ok      403   403       403       404
    AWAITING_ORIGINALS->ORIGINALS_VERIFIED   ok   403    403     404   ok      403   403       403       404
    AWAITING_ORIGINALS->ORIGINALS_MISMATCH   ok   403    403     404   ok      403   403       403       404
    ORIGINALS_MISMATCH->SUPPLEMENT_REQUESTED ok   403    403     404   ok      403   403       403       404
    ORIGINALS_MISMATCH->REJECTED             ok   403    403     404   ok      403   403       403       404
    ORIGINALS_MISMATCH->AWAITING_ORIGINALS   ok   403    403     404   ok      403   403       403       404
    ORIGINALS_VERIFIED->PROCESSING           ok   403    403     404   ok      403   403       403       404
    PROCESSING->RESULT_ISSUED                409  403    403     404   409     403   403       403       404
    PROCESSING->REJECTED                     ok   403    403     404   ok      403   403       403       404
    RESULT_ISSUED->RETURNED                  ok   403    403     404   ok      403   403       403       404
    scan-original                            ok   403    403     404   ok      403   403       403       404
    decide-original                          ok   403    403     404   ok      403   403       403       404
    certified-copy                           ok   403    403     404   ok      403   403       403       404
    result:birth-registration                ok   403    403     404   ok      403   403       403       404
    result:permanent-residence               403  ok     403     404   ok      403   403       403       404
    result:health-insurance-card             403  403    ok      404   ok      403   403       403       404
    kind:birth_registration                  ok   422    422     404   ok      403   403       403       404
    kind:outcome_notice                      422  ok     ok      404   422     403   403       403       404
    kind:business_registration               422  422    422     404   422     403   403       403       404
    kind:dossier_receipt                     ok   403    403     404   ok      403   403       403       404
    revoke:birth-registration                ok   403    403     404   ok      403   403       403       404
    revoke:permanent-residence               403  ok     403     404   ok      403   403       403       404
    revoke:health-insurance-card             403  403    ok      404   ok      403   403       403       404
";

/// One kind of caller.
struct Caller {
    /// Its column in the matrix.
    name: &'static str,
    token: String,
    /// The part it handles, when it handles one of the linked procedures.
    part: Option<&'static str>,
}

async fn officer_of(app: &TestApp, agency: Option<&str>) -> String {
    motcua::app::create_token(
        app.state().dossiers.db(),
        &NewToken {
            role: Role::Officer,
            tax_code: None,
            id_number: None,
            agency: agency.map(str::to_owned),
            name: Some("officer".into()),
            branches: false,
            unit: None,
        },
    )
    .await
    .unwrap()
}

/// The callers, in the matrix's column order.
async fn callers(app: &TestApp) -> Vec<Caller> {
    let mut out = Vec::new();
    for (name, token, part) in [
        ("lead", officer_of(app, Some(COMMUNE)).await, None),
        (
            "police",
            officer_of(app, Some(POLICE)).await,
            Some("permanent-residence"),
        ),
        (
            "insurer",
            officer_of(app, Some(INSURER)).await,
            Some("health-insurance-card"),
        ),
        ("other", officer_of(app, Some(REGISTRAR)).await, None),
        ("counter", officer_of(app, None).await, None),
        ("admin", app.token(Role::Admin).await, None),
        ("archivist", app.token(Role::Archivist).await, None),
        ("applicant", app.citizen_token(APPLICANT).await, None),
        ("citizen", app.citizen_token("001203009999").await, None),
    ] {
        out.push(Caller { name, token, part });
    }
    out
}

/// What a matrix row does.
#[derive(Debug, Clone, Copy)]
enum Action<'a> {
    See,
    Move { from: &'a str, to: &'a str },
    ScanOriginal,
    DecideOriginal,
    CertifiedCopy,
    PartResult(&'a str),
    Kind(&'a str),
    Revoke(&'a str),
}

impl<'a> Action<'a> {
    fn parse(name: &'a str) -> Self {
        if let Some((from, to)) = name.split_once("->") {
            return Self::Move { from, to };
        }
        match name.split_once(':') {
            Some(("result", part)) => Self::PartResult(part),
            Some(("kind", kind)) => Self::Kind(kind),
            Some(("revoke", part)) => Self::Revoke(part),
            _ => match name {
                "see" => Self::See,
                "scan-original" => Self::ScanOriginal,
                "decide-original" => Self::DecideOriginal,
                "certified-copy" => Self::CertifiedCopy,
                other => panic!("unknown matrix row {other:?}"),
            },
        }
    }

    /// The status the dossier must be at for the action to exist.
    fn needs(self) -> &'a str {
        match self {
            Self::See | Self::CertifiedCopy => "RECEIVED",
            Self::Move { from, .. } => from,
            Self::ScanOriginal | Self::DecideOriginal => "AWAITING_ORIGINALS",
            Self::PartResult(_) | Self::Kind(_) | Self::Revoke(_) => "PROCESSING",
        }
    }

    /// For `revoke:PART`: the part whose result is issued beforehand, to be revoked.
    fn result_to_revoke(self) -> Option<&'a str> {
        match self {
            Self::Revoke(part) => Some(part),
            _ => None,
        }
    }

    /// Whether doing it changes what the next caller would face (so each caller allowed to do
    /// it gets a dossier of its own).
    fn changes_the_dossier(self) -> bool {
        !matches!(
            self,
            Self::See | Self::ScanOriginal | Self::DecideOriginal | Self::CertifiedCopy
        )
    }
}

/// A dossier prepared for one row.
struct Target {
    id: String,
    /// The declaration filed with it.
    document: String,
    /// For `revoke:PART`: the result that completed the part.
    result: Option<String>,
}

/// The kind a part's result is issued in.
fn kind_of(part: &str) -> &'static str {
    if part == "birth-registration" {
        "birth_registration"
    } else {
        "outcome_notice"
    }
}

fn result_request(kind: &str, part: Option<&str>) -> Value {
    let mut body = if kind == "dossier_receipt" {
        json!({"kind": kind, "place": "Hà Nội", "due_date": "2026-12-04",
               "fields": [["Người nộp", "Nguyễn Thị Hoa"]]})
    } else {
        json!({"kind": kind, "place": "Hà Nội", "fields": [["Họ và tên", "Nguyễn Minh An"]]})
    };
    if let Some(p) = part {
        body["procedure"] = p.into();
    }
    body
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    token: &str,
    path: &str,
    body: Value,
) -> reqwest::Response {
    app.client
        .request(method, app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// `token` does `action` on `target`.
async fn perform(
    app: &TestApp,
    token: &str,
    own_part: Option<&str>,
    action: Action<'_>,
    target: &Target,
) -> reqwest::Response {
    let id = &target.id;
    let post = reqwest::Method::POST;
    match action {
        Action::See => app.get(token, &format!("/api/v1/dossiers/{id}")).await,
        Action::Move { to, .. } => {
            send(
                app,
                post,
                token,
                &format!("/api/v1/dossiers/{id}/transitions"),
                json!({"to": to, "reason": "Theo quy định"}),
            )
            .await
        }
        Action::ScanOriginal => {
            let scan = std::fs::read(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/data/scans/rgb-300dpi.jpg"
            ))
            .unwrap();
            let form = Form::new().part(
                "file",
                Part::bytes(scan)
                    .file_name("to-khai-goc.jpg")
                    .mime_str("image/jpeg")
                    .unwrap(),
            );
            app.client
                .post(app.url(&format!(
                    "/api/v1/dossiers/{id}/originals/declaration/scans"
                )))
                .bearer_auth(token)
                .multipart(form)
                .send()
                .await
                .unwrap()
        }
        Action::DecideOriginal => {
            send(
                app,
                reqwest::Method::PUT,
                token,
                &format!("/api/v1/dossiers/{id}/originals/declaration"),
                json!({"outcome": "matches"}),
            )
            .await
        }
        Action::CertifiedCopy => {
            send(
                app,
                post,
                token,
                &format!("/api/v1/dossiers/{id}/results"),
                json!({"kind": "certified_copy", "document_id": target.document}),
            )
            .await
        }
        Action::PartResult(part) => {
            send(
                app,
                post,
                token,
                &format!("/api/v1/dossiers/{id}/results"),
                result_request(kind_of(part), Some(part)),
            )
            .await
        }
        Action::Kind(kind) => {
            // A receipt is the whole dossier's: it names no part.
            let part = own_part.filter(|_| kind != "dossier_receipt");
            send(
                app,
                post,
                token,
                &format!("/api/v1/dossiers/{id}/results"),
                result_request(kind, part),
            )
            .await
        }
        Action::Revoke(_) => {
            let code = target.result.as_deref().expect("a result to revoke");
            send(
                app,
                post,
                token,
                &format!("/api/v1/results/{code}/revocation"),
                json!({"reason": "Cấp nhầm"}),
            )
            .await
        }
    }
}

/// Files a fresh interlinked dossier and has the counter walk it to `status` (and issue the
/// result of `revoked`, to be revoked).
async fn prepare(app: &TestApp, counter: &str, status: &str, revoked: Option<&str>) -> Target {
    let citizen = app.citizen_token(APPLICANT).await;
    let filed = app
        .submit_ok(
            &citizen,
            form(
                &json!({"procedure": "birth-registration",
                        "applicant": {"id_number": APPLICANT, "name": "Nguyễn Thị Hoa"},
                        "linked": ["permanent-residence", "health-insurance-card"]}),
                vec![(
                    "to-khai.pdf",
                    "application/pdf",
                    pdf(&uuid::Uuid::new_v4().to_string()),
                )],
            ),
        )
        .await;
    let id = filed["id"].as_str().unwrap().to_owned();
    let document = filed["documents"][0]["id"].as_str().unwrap().to_owned();
    let ok = |r: reqwest::Response, what: &'static str| async move {
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        assert!(status.is_success(), "preparing ({what}): {status} {body}");
        body
    };
    let moves = format!("/api/v1/dossiers/{id}/transitions");
    let post = reqwest::Method::POST;
    let put = reqwest::Method::PUT;
    if status != "RECEIVED" {
        let r = send(
            app,
            post.clone(),
            counter,
            &moves,
            json!({"to": "ACCEPTED"}),
        )
        .await;
        ok(r, "accept").await;
    }
    if matches!(
        status,
        "ORIGINALS_MISMATCH" | "ORIGINALS_VERIFIED" | "PROCESSING" | "RESULT_ISSUED"
    ) {
        let mismatch = status == "ORIGINALS_MISMATCH";
        for (paper, decision) in [
            (
                "declaration",
                if mismatch {
                    json!({"outcome": "mismatch", "note": "Sai ngày sinh"})
                } else {
                    json!({"outcome": "matches"})
                },
            ),
            ("birth-certificate", json!({"outcome": "matches"})),
        ] {
            let path = format!("/api/v1/dossiers/{id}/originals/{paper}");
            ok(
                send(app, put.clone(), counter, &path, decision).await,
                "originals",
            )
            .await;
        }
    }
    if matches!(status, "PROCESSING" | "RESULT_ISSUED") {
        let r = send(
            app,
            post.clone(),
            counter,
            &moves,
            json!({"to": "PROCESSING"}),
        )
        .await;
        ok(r, "processing").await;
    }
    let results = format!("/api/v1/dossiers/{id}/results");
    if status == "RESULT_ISSUED" {
        for part in [
            "birth-registration",
            "permanent-residence",
            "health-insurance-card",
        ] {
            let body = result_request(kind_of(part), Some(part));
            ok(
                send(app, post.clone(), counter, &results, body).await,
                "result",
            )
            .await;
        }
    }
    let result = match revoked {
        Some(part) => {
            let body = result_request(kind_of(part), Some(part));
            let issued = ok(send(app, post, counter, &results, body).await, "result").await;
            Some(issued["code"].as_str().unwrap().to_owned())
        }
        None => None,
    };
    let shown: Value = app
        .get(counter, &format!("/api/v1/dossiers/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["status"], status, "preparing: {shown}");
    Target {
        id,
        document,
        result,
    }
}

/// What the counter sees of a dossier that a refusal must leave as it was: its status, version,
/// documents, results and their revocations.
async fn state_of(app: &TestApp, counter: &str, id: &str) -> Value {
    let d: Value = app
        .get(counter, &format!("/api/v1/dossiers/{id}"))
        .await
        .json()
        .await
        .unwrap();
    let results: Value = app
        .get(counter, &format!("/api/v1/dossiers/{id}/results"))
        .await
        .json()
        .await
        .unwrap();
    json!({"status": d["status"], "version": d["version"], "parts": d["parts"],
           "documents": d["documents"].as_array().map(Vec::len),
           "results": results})
}

/// Whether `r` is what `cell` says, else what it was.
async fn judge(r: reqwest::Response, cell: &str) -> Result<(), String> {
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    let expected: &[(u16, &str)] = match cell {
        "ok" => &[(200, ""), (201, "")],
        "403" => &[(403, "forbidden")],
        "404" => &[(404, "not_found")],
        "409" => &[(409, "parts_pending")],
        "422" => &[(422, "kind_not_for_procedure")],
        other => panic!("unknown cell {other:?}"),
    };
    let code = body["error"]["code"].as_str().unwrap_or("");
    if expected.iter().any(|(s, c)| *s == status && *c == code) {
        Ok(())
    } else {
        Err(format!("{status} {code} {}", body["error"]["message"]))
    }
}

#[tokio::test]
async fn on_an_interlinked_dossier_each_caller_may_do_exactly_what_its_part_allows() {
    let app = TestApp::spawn().await;
    let callers = callers(&app).await;
    let counter = callers
        .iter()
        .find(|c| c.name == "counter")
        .unwrap()
        .token
        .clone();
    let mut lines = MATRIX.lines().map(str::trim).filter(|l| !l.is_empty());
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().skip(1).collect();
    assert_eq!(
        header,
        callers.iter().map(|c| c.name).collect::<Vec<_>>(),
        "the matrix's columns are the callers"
    );
    let mut wrong = Vec::new();
    for line in lines {
        let mut cells = line.split_whitespace();
        let row = cells.next().unwrap();
        let cells: Vec<&str> = cells.collect();
        assert_eq!(cells.len(), callers.len(), "row {row}");
        let action = Action::parse(row);
        // Those refused first, all on one dossier, which must come out as it went in.
        let shared = prepare(&app, &counter, action.needs(), action.result_to_revoke()).await;
        let before = state_of(&app, &counter, &shared.id).await;
        for (caller, cell) in callers.iter().zip(&cells).filter(|(_, c)| **c != "ok") {
            let r = perform(&app, &caller.token, caller.part, action, &shared).await;
            if let Err(got) = judge(r, cell).await {
                let line = format!("{row} by {}: expected {cell}, got {got}", caller.name);
                eprintln!("{line}");
                wrong.push(line);
            }
        }
        let after = state_of(&app, &counter, &shared.id).await;
        if before != after {
            wrong.push(format!(
                "{row}: refusals changed the dossier: {before} → {after}"
            ));
        }
        // Then those allowed, each on a dossier of its own when doing it changes the dossier.
        for (caller, cell) in callers.iter().zip(&cells).filter(|(_, c)| **c == "ok") {
            let fresh;
            let target = if action.changes_the_dossier() {
                fresh = prepare(&app, &counter, action.needs(), action.result_to_revoke()).await;
                &fresh
            } else {
                &shared
            };
            let r = perform(&app, &caller.token, caller.part, action, target).await;
            if let Err(got) = judge(r, cell).await {
                let line = format!("{row} by {}: expected {cell}, got {got}", caller.name);
                eprintln!("{line}");
                wrong.push(line);
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} cells differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    let report = crate::ledger::verify_app(&app).await;
    assert!(report.is_ok(), "{:?}", report.problems);
}

/// The moves a caller is offered (`allowed_moves`) are the moves it may make: none for an
/// agency of a linked procedure, whatever the status.
#[tokio::test]
async fn a_linked_agency_is_offered_no_lifecycle_moves() {
    let app = TestApp::spawn().await;
    let callers = callers(&app).await;
    let counter = callers
        .iter()
        .find(|c| c.name == "counter")
        .unwrap()
        .token
        .clone();
    for (status, lead_moves) in [
        (
            "RECEIVED",
            json!(["ACCEPTED", "SUPPLEMENT_REQUESTED", "REJECTED"]),
        ),
        (
            "AWAITING_ORIGINALS",
            json!(["ORIGINALS_VERIFIED", "ORIGINALS_MISMATCH"]),
        ),
        ("PROCESSING", json!(["RESULT_ISSUED", "REJECTED"])),
        ("RESULT_ISSUED", json!(["RETURNED"])),
    ] {
        let target = prepare(&app, &counter, status, None).await;
        for caller in &callers {
            let r = app
                .get(&caller.token, &format!("/api/v1/dossiers/{}", target.id))
                .await;
            if r.status() == 404 {
                continue;
            }
            let d: Value = r.json().await.unwrap();
            let expected = match caller.name {
                "lead" | "counter" => lead_moves.clone(),
                _ => json!([]),
            };
            assert_eq!(
                d["allowed_moves"], expected,
                "{} at {}",
                caller.name, d["status"]
            );
        }
    }
}

/// A linked agency's refusal says why, so that its officer knows whom to ask.
#[tokio::test]
async fn a_linked_agency_is_told_that_the_lead_agency_moves_the_dossier() {
    let app = TestApp::spawn().await;
    let counter = officer_of(&app, None).await;
    let police = officer_of(&app, Some(POLICE)).await;
    let target = prepare(&app, &counter, "RECEIVED", None).await;
    let r = send(
        &app,
        reqwest::Method::POST,
        &police,
        &format!("/api/v1/dossiers/{}/transitions", target.id),
        json!({"to": "REJECTED", "reason": "Không thuộc thẩm quyền"}),
    )
    .await;
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("lead agency"), "{message}");
}
