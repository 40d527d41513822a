//! The counter's screens: the work queue (`GET /dossiers`: counts by status, deadline colours,
//! filters and one search box), a dossier's page (`GET /dossiers/{id}`: declaration, papers,
//! signature verdicts in plain words, originals, history, and the moves the person may make as
//! buttons), and making a move (`POST /dossiers/{id}/move`). Applicants use the same two pages
//! for their own dossiers: the service confines everyone to what they may see.
//!
//! Never decides a right itself: every list, read and move goes through `DossierService` with
//! the person's principal, as the API does, and an error comes back as the API's code in words.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use crate::dossier::{Dossier, DossierStatus, IdNumber, MoveRequest, TaxCode};
use crate::workflow::calendar::today;

use super::super::dossiers::{ListParams, to_query};
use super::super::{ApiError, AppState};
use super::format::{Standing, date, moment, number};
use super::i18n::{Lang, Messages};
use super::{Signed, UserBar, failure, page, see_other};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/dossiers", get(queue))
        .route("/dossiers/{id}", get(show))
        .route("/dossiers/{id}/move", post(make_move))
        .route("/dossiers/{id}/receipt", post(receipt))
}

/// The queue's filters, as the form sends them. Dates come from `<input type="date">`.
#[derive(Debug, Default, Deserialize)]
struct QueueParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    procedure: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    cursor: String,
}

/// What the search box was taken for.
#[derive(Debug, PartialEq, Eq)]
enum Search {
    Nothing,
    Code(String),
    TaxCode(String),
    IdNumber(String),
    Name(String),
}

impl Search {
    /// One box takes a dossier code, a tax code, an identification number or a name: a code
    /// has the shape `<unit>-<YYMMDD>-<n>`, a tax code and an ID number their own rules; the
    /// rest is a name.
    fn read(text: &str) -> Self {
        let q = text.trim();
        if q.is_empty() {
            return Self::Nothing;
        }
        let parts: Vec<&str> = q.split('-').collect();
        if parts.len() >= 3
            && parts[parts.len() - 2].len() == 6
            && parts[parts.len() - 2..]
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        {
            return Self::Code(q.to_owned());
        }
        if IdNumber::parse_recorded(q).is_ok() && q.len() == 12 {
            return Self::IdNumber(q.to_owned());
        }
        if TaxCode::parse_recorded(q).is_ok() {
            return Self::TaxCode(q.to_owned());
        }
        Self::Name(q.to_owned())
    }
}

/// The instant a day typed as `dd/mm/yyyy` (or `yyyy-mm-dd`) starts in Vietnam (`after` = 0),
/// or the day after it (`after` = 1, for an inclusive end), as RFC 3339.
pub(super) fn day_start(text: &str, after: i64) -> Result<Option<String>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let day = time::Date::parse(
        text,
        time::macros::format_description!("[day]/[month]/[year]"),
    )
    .or_else(|_| {
        time::Date::parse(
            text,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
    })
    .map_err(|_| ())?;
    let start = day
        .midnight()
        .assume_offset(crate::workflow::VIETNAM_OFFSET)
        + time::Duration::days(after);
    Ok(Some(
        start
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(|_| ())?,
    ))
}

struct StatusTab {
    href: String,
    label: String,
    count: String,
    current: bool,
}

struct Row {
    id: String,
    code: String,
    applicant: String,
    procedure: String,
    status: String,
    submitted: String,
    due: String,
    standing_class: &'static str,
    standing: String,
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage<'a> {
    lang: Lang,
    t: &'a Messages,
    back: String,
    user: Option<UserBar>,
    title: String,
    tabs: Vec<StatusTab>,
    open_total: String,
    procedures: Vec<Choice>,
    q: String,
    status: String,
    from: String,
    to: String,
    rows: Vec<Row>,
    next: Option<String>,
    today: String,
}

/// The work queue (officers) or "my dossiers" (applicants).
async fn queue(
    State(state): State<AppState>,
    signed: Signed,
    Query(p): Query<QueueParams>,
) -> Response {
    let lang = signed.lang;
    let t = signed.t();
    let principal = signed.principal();
    // `to` is inclusive on the form: up to the end of that day.
    let (from, to) = match (day_start(&p.from, 0), day_start(&p.to, 1)) {
        (Ok(f), Ok(to)) => (f, to),
        _ => {
            return failure(
                lang,
                &ApiError::invalid_query("from and to are dates (dd/mm/yyyy)"),
            );
        }
    };
    let mut params = ListParams {
        procedure: Some(p.procedure.clone()).filter(|s| !s.is_empty()),
        submitted_from: from,
        submitted_to: to,
        limit: Some(50),
        cursor: Some(p.cursor.clone()).filter(|s| !s.is_empty()),
        ..ListParams::default()
    };
    match Search::read(&p.q) {
        Search::Nothing => {}
        Search::Code(c) => params.code = Some(c),
        Search::TaxCode(c) => params.tax_code = Some(c),
        Search::IdNumber(n) => params.id_number = Some(n),
        Search::Name(n) => params.name = Some(n),
    }
    let counted = match to_query(ListParams {
        cursor: None,
        ..clone_params(&params)
    }) {
        Ok(q) => q,
        Err(e) => return failure(lang, &e),
    };
    params.status = Some(p.status.clone()).filter(|s| !s.is_empty());
    let query = match to_query(params) {
        Ok(q) => q,
        Err(e) => return failure(lang, &e),
    };
    let counts = match state.dossiers.count_by_status(principal, counted).await {
        Ok(c) => c,
        Err(e) => return failure(lang, &ApiError::from(e)),
    };
    let listing = match state.dossiers.list(principal, query).await {
        Ok(l) => l,
        Err(e) => return failure(lang, &ApiError::from(e)),
    };

    let link = |status: &str, cursor: &str| {
        let pairs = [
            ("q", p.q.as_str()),
            ("status", status),
            ("procedure", p.procedure.as_str()),
            ("from", p.from.as_str()),
            ("to", p.to.as_str()),
            ("cursor", cursor),
        ];
        let query: Vec<(&str, &str)> = pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        let encoded = serde_urlencoded::to_string(query).unwrap_or_default();
        if encoded.is_empty() {
            "/dossiers".to_owned()
        } else {
            format!("/dossiers?{encoded}")
        }
    };
    // The open statuses, with how many dossiers wait in each; then the closed ones, which are
    // not counted (most records are closed: counting them would scan them all).
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    let mut tabs = vec![StatusTab {
        href: link("", ""),
        label: t.get("queue-all"),
        count: String::new(),
        current: p.status.is_empty(),
    }];
    let mut closed = Vec::new();
    for status in DossierStatus::ALL {
        let terminal = crate::workflow::lifecycle::is_terminal(status);
        let n = counts
            .iter()
            .find(|(s, _)| *s == status)
            .map_or(0, |(_, n)| *n);
        if !terminal && n == 0 && p.status != status.as_str() {
            continue;
        }
        let tab = StatusTab {
            href: link(status.as_str(), ""),
            label: t.get(&format!("status-{}", status.as_str())),
            count: if terminal { String::new() } else { number(n) },
            current: p.status == status.as_str(),
        };
        if terminal {
            closed.push(tab);
        } else {
            tabs.push(tab);
        }
    }
    tabs.extend(closed);
    let open_total = t.with("queue-open-total", "n", &number(total));
    let catalogue = state.dossiers.catalogue();
    let procedure_name = |code: &str| {
        catalogue
            .get(code)
            .map(|pr| match lang {
                Lang::Vi => pr.name_vi.clone(),
                Lang::En => pr.name_en.clone(),
            })
            .unwrap_or_else(|| code.to_owned())
    };
    let mut procedures = vec![Choice {
        value: String::new(),
        label: t.get("queue-any-procedure"),
        selected: p.procedure.is_empty(),
    }];
    procedures.extend(catalogue.iter().map(|pr| Choice {
        value: pr.code.clone(),
        label: procedure_name(&pr.code),
        selected: pr.code == p.procedure,
    }));
    let day = today();
    let calendar = state.dossiers.calendar();
    let rows = listing
        .items
        .iter()
        .map(|d| {
            let standing = Standing::of(d, day, calendar);
            Row {
                id: d.id.clone(),
                code: d.code.to_string(),
                applicant: d.applicant.name().to_owned(),
                procedure: procedure_name(&d.procedure),
                status: t.get(&format!("status-{}", d.status.as_str())),
                submitted: moment(&d.submitted_at),
                due: d.due_on.map(date).unwrap_or_default(),
                standing_class: standing.class(),
                standing: standing.words(t),
            }
        })
        .collect();
    let title = if principal.role.is_staff() {
        t.get("queue-title")
    } else {
        t.get("my-dossiers-title")
    };
    let back = link(&p.status, &p.cursor);
    page(
        StatusCode::OK,
        QueuePage {
            lang,
            t,
            user: signed.bar(),
            title,
            tabs,
            open_total,
            procedures,
            q: p.q.clone(),
            status: p.status.clone(),
            from: p.from.clone(),
            to: p.to.clone(),
            rows,
            next: listing.next_cursor.map(|c| link(&p.status, &c)),
            today: date(day),
            back,
        }
        .render(),
    )
}

fn clone_params(p: &ListParams) -> ListParams {
    ListParams {
        procedure: p.procedure.clone(),
        status: p.status.clone(),
        tax_code: p.tax_code.clone(),
        id_number: p.id_number.clone(),
        code: p.code.clone(),
        name: p.name.clone(),
        result_code: p.result_code.clone(),
        sha256: p.sha256.clone(),
        agency: p.agency.clone(),
        submitted_from: p.submitted_from.clone(),
        submitted_to: p.submitted_to.clone(),
        limit: p.limit,
        cursor: p.cursor.clone(),
    }
}

struct Field {
    label: String,
    value: String,
}

struct Paper {
    id: String,
    filename: String,
    kind: String,
    size: String,
    image: bool,
    sha256: String,
}

struct Verdict {
    file: String,
    class: &'static str,
    words: String,
    why: String,
    signer: String,
    report_id: String,
}

struct Step {
    at: String,
    from: String,
    to: String,
    who: String,
    reason: String,
}

struct MoveButton {
    to: String,
    label: String,
    reason_required: bool,
    /// Handing the result over: the reason says how (at the counter, by post, online).
    delivery: bool,
}

struct IssuedLine {
    code: String,
    title: String,
    issued_at: String,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "dossier.html")]
struct DossierPage<'a> {
    lang: Lang,
    t: &'a Messages,
    back: String,
    user: Option<UserBar>,
    code: String,
    status: String,
    standing_class: &'static str,
    standing: String,
    facts: Vec<Field>,
    declared: Vec<Field>,
    papers: Vec<Paper>,
    verdicts: Vec<Verdict>,
    originals: String,
    history: Vec<Step>,
    moves: Vec<MoveButton>,
    id: String,
    version: i64,
    csrf_token: String,
    notice: Option<String>,
    staff: bool,
    results: Vec<IssuedLine>,
    /// The applicant answers a request for more papers.
    supplement: bool,
    /// The originals to check at the counter (staff), and whether they may be checked now.
    checklist: Vec<super::originals::PaperCheck>,
    originals_open: bool,
    reads: Vec<ReadLine>,
}

struct ReadLine {
    at: String,
    who: String,
    what: String,
}

#[derive(Deserialize, Default)]
struct ShowParams {
    #[serde(default)]
    moved: String,
    #[serde(default)]
    received: Option<u8>,
    #[serde(default)]
    issued: String,
    #[serde(default)]
    supplemented: Option<u8>,
    #[serde(default)]
    scanned: String,
    #[serde(default)]
    scan_warning: Option<u8>,
    #[serde(default)]
    decided: String,
}

/// A dossier's page.
async fn show(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Query(params): Query<ShowParams>,
) -> Response {
    let lang = signed.lang;
    let t = signed.t();
    let principal = signed.principal();
    let (dossier, moves) = match state.dossiers.get_with_moves(principal, &id).await {
        Ok(x) => x,
        Err(e) => return failure(lang, &ApiError::from(e)),
    };
    let notice = DossierStatus::parse(&params.moved)
        .map(|s| {
            t.with(
                "moved-to",
                "status",
                &t.get(&format!("status-{}", s.as_str())),
            )
        })
        .or_else(|| params.received.map(|_| t.get("received")))
        .or_else(|| {
            crate::result::plausible_code(&params.issued)
                .then(|| t.with("issued", "code", &params.issued))
        })
        .or_else(|| params.supplemented.map(|_| t.get("supplemented")))
        .or_else(|| match (params.scanned.is_empty(), params.scan_warning) {
            (false, Some(_)) => Some(t.get("original-scanned-warning")),
            (false, None) => Some(t.get("original-scanned")),
            _ => None,
        })
        .or_else(|| (!params.decided.is_empty()).then(|| t.get("original-decided")));
    // The counter's checklist of originals: to fill while the dossier awaits them, to read
    // once they were checked.
    let checklist =
        if principal.role.is_staff() && dossier.originals.as_ref().is_some_and(|o| !o.waived) {
            match state.dossiers.originals(principal, &id).await {
                Ok(o) => {
                    let list = super::originals::checklist(&o, lang, t);
                    let touched = list
                        .iter()
                        .any(|c| !c.scans.is_empty() || !c.decision.is_empty());
                    if dossier.status == DossierStatus::AwaitingOriginals || touched {
                        list
                    } else {
                        Vec::new()
                    }
                }
                Err(e) => return failure(lang, &ApiError::from(e)),
            }
        } else {
            Vec::new()
        };
    // Who among staff opened it: the applicant's right to know (and staff who see it).
    let reads = match state.dossiers.reads(principal, &id).await {
        Ok(r) => r,
        Err(e) => return failure(lang, &ApiError::from(e)),
    };
    let results = match state.results.list(principal, &id).await {
        Ok(r) => r,
        Err(e) => return failure(lang, &ApiError::from(e)),
    };
    page(
        StatusCode::OK,
        dossier_page(&state, &signed, &dossier, moves, notice, &results, &reads)
            .with_checklist(checklist)
            .render(),
    )
}

fn dossier_page<'a>(
    state: &AppState,
    signed: &'a Signed,
    d: &Dossier,
    moves: Vec<DossierStatus>,
    notice: Option<String>,
    results: &[crate::result::IssuedResult],
    reads: &[crate::dossier::DossierRead],
) -> DossierPage<'a> {
    let lang = signed.lang;
    let t = signed.t();
    let catalogue = state.dossiers.catalogue();
    let procedure = catalogue.get(&d.procedure).map_or_else(
        || d.procedure.clone(),
        |p| match lang {
            Lang::Vi => p.name_vi.clone(),
            Lang::En => p.name_en.clone(),
        },
    );
    let standing = Standing::of(d, today(), state.dossiers.calendar());
    let field = |label: &str, value: String| Field {
        label: t.get(label),
        value,
    };
    let mut facts = vec![
        field("field-procedure", procedure),
        field("field-applicant", d.applicant.name().to_owned()),
    ];
    if let Some(tax) = d.applicant.tax_code() {
        facts.push(field("field-tax-code", tax.as_str().to_owned()));
    }
    if let Some(n) = d.applicant.id_number() {
        facts.push(field("field-id-number", n.as_str().to_owned()));
    }
    facts.push(field("field-submitted", moment(&d.submitted_at)));
    if let Some(due) = d.due_on {
        facts.push(field("field-due", date(due)));
    }
    let declared = declared_fields(&d.details, t);
    let papers = d
        .documents
        .iter()
        .map(|doc| Paper {
            id: doc.id.clone(),
            filename: doc.filename.clone(),
            kind: doc.media_type.as_str().to_owned(),
            size: t.with("size-bytes", "n", &number(doc.size)),
            image: doc.media_type.as_str().starts_with("image/"),
            sha256: doc.sha256.to_hex(),
        })
        .collect::<Vec<_>>();
    let file_name = |id: &str| {
        d.documents
            .iter()
            .find(|doc| doc.id == id)
            .map(|doc| doc.filename.clone())
            .unwrap_or_default()
    };
    let verdicts = d
        .signatures
        .iter()
        .map(|s| {
            let (class, key) = match s.indication.as_str() {
                "TOTAL_PASSED" => ("valid", "signature-valid"),
                "TOTAL_FAILED" => ("invalid", "signature-invalid"),
                _ => ("unknown", "signature-indeterminate"),
            };
            Verdict {
                file: s
                    .signed_document_id
                    .as_deref()
                    .map_or_else(|| file_name(&s.signature_document_id), file_name),
                class,
                words: t.get(key),
                why: s
                    .sub_indication
                    .as_deref()
                    .map(|sub| t.get(&format!("signature-why-{sub}")))
                    .unwrap_or_default(),
                signer: s
                    .signer_tax_code
                    .as_deref()
                    .map(|tax| t.with("signature-signer-tax-code", "tax", tax))
                    .unwrap_or_default(),
                report_id: s.id.clone(),
            }
        })
        .collect();
    let originals = match &d.originals {
        Some(o) if o.waived => t.get("originals-waived"),
        Some(o) => t.with(
            "originals-required",
            "reason",
            &originals_reason(o.reason.as_deref().unwrap_or_default(), t),
        ),
        None => String::new(),
    };
    let history = d
        .history
        .iter()
        .map(|m| Step {
            at: moment(&m.at),
            from: t.get(&format!("status-{}", m.from.as_str())),
            to: t.get(&format!("status-{}", m.to.as_str())),
            who: t.get(&format!("actor-{}", m.actor.as_str())),
            reason: m.reason.clone().unwrap_or_default(),
        })
        .collect();
    let moves = moves
        .into_iter()
        .map(|to| MoveButton {
            label: t.get(&format!("move-to-{}", to.as_str())),
            reason_required: crate::workflow::lifecycle::reason_required(d.status, to),
            delivery: to == DossierStatus::Returned,
            to: to.as_str().to_owned(),
        })
        .collect();
    DossierPage {
        lang,
        t,
        back: format!("/dossiers/{}", d.id),
        user: signed.bar(),
        code: d.code.to_string(),
        status: t.get(&format!("status-{}", d.status.as_str())),
        standing_class: standing.class(),
        standing: standing.words(t),
        facts,
        declared,
        papers,
        verdicts,
        originals,
        history,
        moves,
        id: d.id.clone(),
        version: d.version,
        csrf_token: signed.session.csrf_token.clone(),
        notice,
        staff: signed.principal().role.is_staff(),
        checklist: Vec::new(),
        originals_open: d.status == DossierStatus::AwaitingOriginals,
        supplement: d.status == DossierStatus::SupplementRequested
            && !signed.principal().role.is_staff(),
        reads: reads
            .iter()
            .map(|r| ReadLine {
                at: crate::timestamp::Timestamp::parse(&r.at)
                    .map_or_else(|_| r.at.clone(), |at| moment(&at)),
                who: [
                    r.name.clone(),
                    Some(t.get(&format!("role-{}", r.role))),
                    r.unit.clone(),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", "),
                what: match r.what.strip_prefix("document:") {
                    Some(doc) => d
                        .documents
                        .iter()
                        .find(|x| x.id == doc)
                        .map_or_else(|| t.get("read-a-paper"), |x| x.filename.clone()),
                    None => t.get("read-the-dossier"),
                },
            })
            .collect(),
        results: results
            .iter()
            .map(|r| IssuedLine {
                code: r.code.clone(),
                title: r.title.clone(),
                issued_at: crate::timestamp::Timestamp::parse(&r.issued_at)
                    .map_or_else(|_| r.issued_at.clone(), |at| moment(&at)),
                revoked: r.revocation.is_some(),
            })
            .collect(),
    }
}

/// Why the originals are required, in the person's words: the intake records its reason in
/// English (`dossier::signatures::decide`), in one of four shapes; anything else as recorded.
fn originals_reason(recorded: &str, t: &Messages) -> String {
    if recorded.starts_with("no digitally signed file was submitted") {
        return t.get("originals-why-unsigned");
    }
    if recorded.starts_with("no business trust store is configured") {
        return t.get("originals-why-no-trust");
    }
    if let Some(rest) = recorded.strip_prefix("the signature is valid, but the signer (tax code ")
        && let Some(tax) = rest.strip_suffix(") is not the applicant")
    {
        return t.with("originals-why-other-signer", "tax", tax);
    }
    if let Some(rest) = recorded.strip_prefix("the signature is not valid: ") {
        let why = rest
            .split_once(" / ")
            .map(|(_, sub)| format!(" {}", t.get(&format!("signature-why-{}", sub.trim()))))
            .unwrap_or_default();
        return format!("{}{why}", t.get("originals-why-invalid"));
    }
    recorded.to_owned()
}

impl DossierPage<'_> {
    fn with_checklist(mut self, checklist: Vec<super::originals::PaperCheck>) -> Self {
        self.checklist = checklist;
        self
    }
}

/// The declared details as label and value, flattened one level (`contact.phone`), strings
/// as they are and anything else as compact JSON.
fn declared_fields(details: &serde_json::Value, t: &Messages) -> Vec<Field> {
    // The fields every declaration may have are named in the message files; a procedure's
    // own fields (`data.*`) keep the names the applicant's software gave them.
    let label = |path: String| {
        let key = format!("declared-{}", path.replace('.', "-"));
        let words = t.get(&key);
        if words == key { path } else { words }
    };
    fn text(v: &serde_json::Value) -> String {
        match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        }
    }
    let mut out = Vec::new();
    let Some(map) = details.as_object() else {
        return out;
    };
    for (key, value) in map {
        match value {
            serde_json::Value::Object(inner) => {
                for (k, v) in inner {
                    out.push(Field {
                        label: label(format!("{key}.{k}")),
                        value: text(v),
                    });
                }
            }
            other => out.push(Field {
                label: label(key.clone()),
                value: text(other),
            }),
        }
    }
    out
}

#[derive(Deserialize)]
struct MoveForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    version: Option<i64>,
}

/// Makes a move from the dossier page's buttons: the same decision as `POST
/// /api/v1/dossiers/{id}/transitions`, then back to the page, which says what happened.
async fn make_move(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(f): Form<MoveForm>,
) -> Response {
    let lang = signed.lang;
    if let Some(refused) = signed.refuse_form(&f.csrf_token) {
        return refused;
    }
    let Some(to) = DossierStatus::parse(f.to.trim()) else {
        return failure(
            lang,
            &ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_status",
                "not a dossier status",
            ),
        );
    };
    let request = MoveRequest {
        to,
        reason: Some(f.reason).filter(|r| !r.trim().is_empty()),
        version: f.version,
    };
    match state
        .dossiers
        .transition(signed.principal(), &id, request)
        .await
    {
        Ok(d) => see_other(&format!("/dossiers/{}?moved={}", d.id, to.as_str())),
        Err(e) => failure(lang, &ApiError::from(e)),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf_token: String,
}

/// The receipt and appointment slip (Giấy tiếp nhận hồ sơ và hẹn trả kết quả): the dossier's
/// `dossier_receipt` result, issued and signed by the agency the first time (with the dossier
/// code, the applicant, the procedure, the papers received, the due date and where to look it
/// up), the same one afterwards; then its PDF, to print.
async fn receipt(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let lang = signed.lang;
    if let Some(refused) = signed.refuse_form(&f.csrf_token) {
        return refused;
    }
    match issue_receipt(&state, signed.principal(), &id).await {
        Ok(code) => see_other(&format!("/api/v1/results/{code}/pdf")),
        Err(e) => failure(lang, &e),
    }
}

async fn issue_receipt(
    state: &AppState,
    principal: &crate::auth::Principal,
    id: &str,
) -> Result<String, ApiError> {
    use crate::pdf::render::ResultKind;
    let existing = state.results.list(principal, id).await?;
    if let Some(r) = existing
        .iter()
        .find(|r| r.kind == ResultKind::DossierReceipt.as_str() && r.revocation.is_none())
    {
        return Ok(r.code.clone());
    }
    let d = state.dossiers.get(principal, id).await?;
    // The slip is in Vietnamese, as the records are.
    let t = Messages::of(Lang::Vi);
    let procedure = state
        .dossiers
        .catalogue()
        .get(&d.procedure)
        .map_or_else(|| d.procedure.clone(), |p| p.name_vi.clone());
    let mut fields = vec![
        (t.get("field-code"), d.code.to_string()),
        (t.get("field-applicant"), d.applicant.name().to_owned()),
        (t.get("field-procedure"), procedure),
        (t.get("field-received"), moment(&d.submitted_at)),
    ];
    for (n, doc) in d.documents.iter().enumerate() {
        fields.push((
            t.with("receipt-paper", "n", &(n + 1).to_string()),
            doc.filename.clone(),
        ));
    }
    fields.push((
        t.get("receipt-lookup"),
        t.with("receipt-lookup-how", "code", d.code.as_str()),
    ));
    // The place printed before the date: the receiving unit's name (its code if unknown).
    let place = receiving_unit_name(state, &d)
        .await
        .unwrap_or_else(|| d.code.unit().to_owned());
    let issued = state
        .results
        .issue(
            principal,
            id,
            crate::result::IssueRequest {
                kind: ResultKind::DossierReceipt,
                title: String::new(),
                fields,
                place,
                due_date: d.due_on,
                procedure: None,
            },
        )
        .await?;
    Ok(issued.code)
}

/// The name of the unit that received a dossier (the first part of its code), if known.
pub(super) async fn receiving_unit_name(state: &AppState, d: &Dossier) -> Option<String> {
    let code = crate::vocabulary::UnitCode::parse(d.code.unit()).ok()?;
    state
        .dossiers
        .units()
        .get(&code)
        .await
        .ok()
        .flatten()
        .map(|u| u.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_box_tells_codes_numbers_and_names_apart() {
        assert_eq!(
            Search::read(" HN-260301-0007 "),
            Search::Code("HN-260301-0007".into())
        );
        assert_eq!(
            Search::read("0101234565"),
            Search::TaxCode("0101234565".into())
        );
        assert_eq!(
            Search::read("001203004567"),
            Search::IdNumber("001203004567".into())
        );
        assert_eq!(
            Search::read("Nguyễn Văn An"),
            Search::Name("Nguyễn Văn An".into())
        );
        assert_eq!(Search::read("   "), Search::Nothing);
    }

    #[test]
    fn the_reasons_for_originals_are_told_in_the_persons_words() {
        let vi = Messages::of(Lang::Vi);
        assert_eq!(
            originals_reason(
                "no digitally signed file was submitted (a signed PDF or a .p7s signature)",
                vi
            ),
            vi.get("originals-why-unsigned")
        );
        assert_eq!(
            originals_reason(
                "the signature is valid, but the signer (tax code 0107654326) is not the applicant",
                vi
            ),
            vi.with("originals-why-other-signer", "tax", "0107654326")
        );
        assert_eq!(
            originals_reason(
                "the signature is not valid: TOTAL_FAILED / HASH_FAILURE",
                vi
            ),
            format!(
                "{} {}",
                vi.get("originals-why-invalid"),
                vi.get("signature-why-HASH_FAILURE")
            )
        );
        assert_eq!(originals_reason("something else", vi), "something else");
    }

    #[test]
    fn a_day_starts_at_midnight_in_vietnam() {
        assert_eq!(
            day_start("2026-03-02", 0),
            Ok(Some("2026-03-02T00:00:00+07:00".to_owned()))
        );
        assert_eq!(
            day_start("2026-03-02", 1),
            Ok(Some("2026-03-03T00:00:00+07:00".to_owned()))
        );
        assert_eq!(
            day_start("02/03/2026", 0),
            Ok(Some("2026-03-02T00:00:00+07:00".to_owned())),
            "as people write it"
        );
        assert_eq!(day_start("", 1), Ok(None));
        assert_eq!(day_start("hôm qua", 0), Err(()));
        assert_eq!(day_start("31/02/2026", 0), Err(()));
    }
}
