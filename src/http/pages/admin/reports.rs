//! `GET /admin/reports`: the one-stop processing report (the figures of `GET
//! /api/v1/reports/processing`, by month) of a unit with the units below it, as tables and two
//! charts drawn here as SVG: the on-time share of the unit and of each unit directly below it
//! over the months, and the dossiers overdue at the end by procedure. The tables carry every
//! figure; the charts only repeat them for the eye.
//!
//! Never counts anything itself: the figures are `Reports::processing`'s, asked with the
//! person's principal (which units they may read is the report module's rule).

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use time::Date;

use crate::report::{Figures, GroupBy, Range, Reader, Report, Reports};
use crate::unit::Unit;
use crate::workflow::calendar::today;

use super::super::super::{ApiError, AppState};
use super::super::format::{date, number};
use super::super::i18n::{Lang, Messages};
use super::super::{Signed, UserBar, failure, page};
use super::{Choice, unit_choices};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/admin/reports", get(reports))
}

#[derive(Debug, Default, Deserialize)]
struct Params {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// A day as people write it (`dd/mm/yyyy`) or as a date field sends it (`yyyy-mm-dd`).
fn parse_day(text: &str) -> Option<Date> {
    let text = text.trim();
    Date::parse(
        text,
        time::macros::format_description!("[day]/[month]/[year]"),
    )
    .or_else(|_| {
        Date::parse(
            text,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
    })
    .ok()
}

/// The first day of the month `months` months before `day`'s.
fn months_back(day: Date, months: i32) -> Date {
    let index = day.year() * 12 + i32::from(u8::from(day.month())) - 1 - months;
    let (year, month) = (index.div_euclid(12), index.rem_euclid(12) + 1);
    let month = time::Month::try_from(month as u8).unwrap_or(time::Month::January);
    Date::from_calendar_date(year, month, 1).unwrap_or(day)
}

/// `2026-03` as people write a month: `03/2026`; other periods as they are.
fn month_words(period: &str) -> String {
    match period.split_once('-') {
        Some((y, m)) if m.len() == 2 && y.len() == 4 => format!("{m}/{y}"),
        _ => period.to_owned(),
    }
}

/// A share as people write it: `85%`, `66,7%` (a comma before decimals).
fn percent(share: f64) -> String {
    let tenths = (share * 1000.0).round() as i64;
    if tenths % 10 == 0 {
        format!("{}%", tenths / 10)
    } else {
        format!("{},{}%", tenths / 10, tenths % 10)
    }
}

fn count(n: i64) -> String {
    number(u64::try_from(n).unwrap_or(0))
}

/// A unit's on-time share per month (none: nothing settled), with on time and settled.
struct UnitShares {
    name: String,
    rates: Vec<Option<f64>>,
    counts: Vec<(i64, i64)>,
}

/// One figure of the totals table.
struct Figure {
    label: String,
    value: String,
}

/// A unit's on-time share in each month.
struct ShareRow {
    unit: String,
    cells: Vec<String>,
}

/// A procedure's figures over the whole range.
struct ProcedureRow {
    name: String,
    received: String,
    on_time: String,
    late: String,
    in_progress: String,
    overdue: String,
    refused: String,
    rate: String,
}

/// A horizontal line of a chart's scale, with its label.
struct Tick {
    y: u32,
    label: String,
}

/// A label under the x axis.
struct XLabel {
    x: u32,
    label: String,
}

/// A mark on a line: where, and what it says when pointed at.
struct Mark {
    points: String,
    words: String,
}

/// One unit's line: its colour, its pieces (a month with nothing settled breaks it), its
/// marks (a shape of its own, so colour is not the only difference) and its legend entry.
struct Series {
    colour: &'static str,
    dash: &'static str,
    segments: Vec<String>,
    marks: Vec<Mark>,
    legend_y: u32,
    legend_mark: String,
    name: String,
}

struct LineChart {
    height: u32,
    ticks: Vec<Tick>,
    xlabels: Vec<XLabel>,
    series: Vec<Series>,
}

/// One bar: a procedure's overdue dossiers.
struct Bar {
    y: u32,
    label_y: u32,
    width: u32,
    value_x: u32,
    name: String,
    value: String,
}

struct BarChart {
    height: u32,
    bars: Vec<Bar>,
}

#[derive(Template)]
#[template(path = "admin_reports.html")]
struct ReportsPage<'a> {
    lang: Lang,
    t: &'a Messages,
    back: String,
    user: Option<UserBar>,
    units: Vec<Choice>,
    from: String,
    to: String,
    scope: String,
    totals: Vec<Figure>,
    months: Vec<String>,
    shares: Vec<ShareRow>,
    line: LineChart,
    procedures: Vec<ProcedureRow>,
    bars: BarChart,
    nothing_overdue: bool,
}

/// The report page: the form (unit, first and last day), the totals, the on-time share per
/// unit and month (table and chart), and each procedure's figures (table, and a chart of the
/// overdue).
async fn reports(
    State(state): State<AppState>,
    signed: Signed,
    Query(p): Query<Params>,
) -> Response {
    let lang = signed.lang;
    let t = signed.t();
    let principal = signed.principal();
    let day = today();
    let (from, to) = match (
        if p.from.trim().is_empty() {
            Some(months_back(day, 5))
        } else {
            parse_day(&p.from)
        },
        if p.to.trim().is_empty() {
            Some(day)
        } else {
            parse_day(&p.to)
        },
    ) {
        (Some(f), Some(to)) => (f, to),
        _ => {
            return failure(
                lang,
                &ApiError::invalid_query("from and to are dates (dd/mm/yyyy)"),
            );
        }
    };
    let range = match Range::new(from, to, GroupBy::Month) {
        Ok(r) => r,
        Err(e) => return failure(lang, &ApiError::from(e)),
    };
    let unit = Some(p.unit.trim()).filter(|u| !u.is_empty());
    let report = match Reports::of(&state.dossiers)
        .processing(Reader::Caller(principal), unit, range)
        .await
    {
        Ok(r) => r,
        Err(e) => return failure(lang, &ApiError::from(e)),
    };
    let all = match state.dossiers.units().list().await {
        Ok(all) => all,
        Err(e) => return failure(lang, &ApiError::from(e)),
    };
    let reach = match state.dossiers.units_in_reach(principal).await {
        Ok(r) => r,
        Err(e) => return failure(lang, &ApiError::from(e)),
    };
    let name_of = |code: &crate::vocabulary::UnitCode| {
        all.iter()
            .find(|u| &u.code == code)
            .map_or_else(|| code.as_str().to_owned(), |u| u.name.clone())
    };
    let catalogue = state.dossiers.catalogue();
    let procedure_name = |code: &str| {
        catalogue.get(code).map_or_else(
            || code.to_owned(),
            |pr| match lang {
                Lang::Vi => pr.name_vi.clone(),
                Lang::En => pr.name_en.clone(),
            },
        )
    };

    let totals = figures_table(&report.total, t);
    let months: Vec<String> = report.periods().iter().map(|p| month_words(p)).collect();
    let shown = shown_units(&report, &all);
    let per_unit: Vec<UnitShares> = shown
        .iter()
        .map(|code| {
            let per = report.by_period(code);
            UnitShares {
                name: name_of(code),
                rates: per.iter().map(|(_, f)| f.on_time_rate()).collect(),
                counts: per
                    .iter()
                    .map(|(_, f)| (f.settled_on_time, f.settled_on_time + f.settled_late))
                    .collect(),
            }
        })
        .collect();
    let shares = per_unit
        .iter()
        .map(|u| ShareRow {
            unit: u.name.clone(),
            cells: u
                .rates
                .iter()
                .zip(&u.counts)
                .map(|(rate, (on_time, settled))| match rate {
                    Some(r) => t.with_args(
                        "report-share-cell",
                        &[
                            ("share", &percent(*r)),
                            ("on_time", &count(*on_time)),
                            ("settled", &count(*settled)),
                        ],
                    ),
                    None => t.get("report-nothing-settled"),
                })
                .collect(),
        })
        .collect();
    let line = line_chart(&months, &per_unit, t);
    let by_procedure = report.by_procedure(&report.unit);
    let procedures = by_procedure
        .iter()
        .map(|(code, f)| ProcedureRow {
            name: procedure_name(code),
            received: count(f.received),
            on_time: count(f.settled_on_time),
            late: count(f.settled_late),
            in_progress: count(f.in_progress_on_time),
            overdue: count(f.overdue),
            refused: count(f.refused),
            rate: f
                .on_time_rate()
                .map_or_else(|| t.get("report-nothing-settled"), percent),
        })
        .collect();
    let bars = bar_chart(
        &by_procedure
            .iter()
            .map(|(code, f)| (procedure_name(code), f.overdue))
            .collect::<Vec<_>>(),
    );
    let nothing_overdue = by_procedure.iter().all(|(_, f)| f.overdue == 0);
    let back = format!(
        "/admin/reports?{}",
        serde_urlencoded::to_string([
            ("unit", report.unit.as_str()),
            ("from", &date(from)),
            ("to", &date(to)),
        ])
        .unwrap_or_default()
    );
    page(
        StatusCode::OK,
        ReportsPage {
            lang,
            t,
            back,
            user: signed.bar(),
            units: unit_choices(&all, &reach, report.unit.as_str()),
            from: date(from),
            to: date(to),
            scope: t.with_args(
                "report-scope",
                &[
                    ("unit", &name_of(&report.unit)),
                    ("from", &date(report.range.from)),
                    ("to", &date(report.range.to)),
                    ("as_of", &date(report.as_of)),
                ],
            ),
            totals,
            months,
            shares,
            line,
            procedures,
            bars,
            nothing_overdue,
        }
        .render(),
    )
}

/// The report's unit, then each unit directly below it (each counting those below it).
fn shown_units(report: &Report, all: &[Unit]) -> Vec<crate::vocabulary::UnitCode> {
    let mut shown = vec![report.unit.clone()];
    let mut children: Vec<_> = all
        .iter()
        .filter(|u| u.parent.as_ref() == Some(&report.unit))
        .map(|u| u.code.clone())
        .collect();
    children.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    shown.extend(children);
    shown
}

fn figures_table(f: &Figures, t: &Messages) -> Vec<Figure> {
    let row = |key: &str, value: String| Figure {
        label: t.get(&format!("report-{key}")),
        value,
    };
    vec![
        row("received", count(f.received)),
        row("carried-over", count(f.carried_over)),
        row("received-online", count(f.received_online)),
        row("received-counter", count(f.received_counter)),
        row("settled-on-time", count(f.settled_on_time)),
        row("settled-late", count(f.settled_late)),
        row("in-progress", count(f.in_progress_on_time)),
        row("overdue", count(f.overdue)),
        row("refused", count(f.refused)),
        row("supplements", count(f.supplements_requested)),
        row(
            "on-time-rate",
            f.on_time_rate()
                .map_or_else(|| t.get("report-nothing-settled"), percent),
        ),
    ]
}

/// Where the plot of the line chart is, in the SVG's own units (its viewBox is 640 wide).
const PLOT_LEFT: u32 = 56;
const PLOT_RIGHT: u32 = 596;
const PLOT_TOP: u32 = 16;
const PLOT_BOTTOM: u32 = 216;

/// Dark enough on white for a graphic (3:1 and more), and told apart by dashes and shapes too.
const COLOURS: [&str; 8] = [
    "#0b4f8a", "#a4161a", "#1e6b2e", "#6a3d9a", "#7a4d00", "#0f6f7a", "#3d3d3d", "#a0307a",
];
const DASHES: [&str; 4] = ["none", "6 3", "2 3", "8 3 2 3"];

/// A mark's shape around (x, y), as polygon points: the shape is the series' own.
fn mark(shape: usize, x: f64, y: f64) -> String {
    let r = 5.0;
    let corners: Vec<(f64, f64)> = match shape % 5 {
        0 => (0..12)
            .map(|k| {
                let a = f64::from(k) * std::f64::consts::PI / 6.0;
                (x + r * a.cos(), y + r * a.sin())
            })
            .collect(),
        1 => vec![
            (x - r, y - r),
            (x + r, y - r),
            (x + r, y + r),
            (x - r, y + r),
        ],
        2 => vec![(x, y - r - 1.0), (x + r + 1.0, y + r), (x - r - 1.0, y + r)],
        3 => vec![
            (x, y - r - 1.0),
            (x + r + 1.0, y),
            (x, y + r + 1.0),
            (x - r - 1.0, y),
        ],
        _ => vec![(x - r - 1.0, y - r), (x + r + 1.0, y - r), (x, y + r + 1.0)],
    };
    corners
        .iter()
        .map(|(a, b)| format!("{a:.1},{b:.1}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The on-time share of each unit over the months: one line per unit on a 0–100% scale.
fn line_chart(months: &[String], units: &[UnitShares], t: &Messages) -> LineChart {
    let n = months.len().max(1);
    let x_of = |k: usize| -> f64 {
        if n == 1 {
            f64::from(PLOT_LEFT + PLOT_RIGHT) / 2.0
        } else {
            f64::from(PLOT_LEFT) + (f64::from(PLOT_RIGHT - PLOT_LEFT)) * k as f64 / (n - 1) as f64
        }
    };
    let y_of = |share: f64| -> f64 {
        f64::from(PLOT_BOTTOM) - f64::from(PLOT_BOTTOM - PLOT_TOP) * share.clamp(0.0, 1.0)
    };
    let ticks = [0.0, 0.25, 0.5, 0.75, 1.0]
        .iter()
        .map(|s| Tick {
            y: y_of(*s) as u32,
            label: percent(*s),
        })
        .collect();
    // At most about twelve labels under the axis.
    let every = n.div_ceil(12);
    let xlabels = months
        .iter()
        .enumerate()
        .filter(|(k, _)| k % every == 0)
        .map(|(k, m)| XLabel {
            x: x_of(k) as u32,
            label: m.clone(),
        })
        .collect();
    let legend_top = PLOT_BOTTOM + 48;
    let series = units
        .iter()
        .enumerate()
        .map(
            |(
                i,
                UnitShares {
                    name,
                    rates,
                    counts,
                },
            )| {
                let mut segments = Vec::new();
                let mut current: Vec<String> = Vec::new();
                let mut marks = Vec::new();
                for (k, rate) in rates.iter().enumerate() {
                    match rate {
                        Some(r) => {
                            let (x, y) = (x_of(k), y_of(*r));
                            current.push(format!("{x:.1},{y:.1}"));
                            let (on_time, settled) = counts[k];
                            marks.push(Mark {
                                points: mark(i, x, y),
                                words: format!(
                                    "{name}, {}: {}",
                                    months[k],
                                    t.with_args(
                                        "report-share-cell",
                                        &[
                                            ("share", &percent(*r)),
                                            ("on_time", &count(on_time)),
                                            ("settled", &count(settled)),
                                        ],
                                    )
                                ),
                            });
                        }
                        None => {
                            if current.len() > 1 {
                                segments.push(current.join(" "));
                            }
                            current.clear();
                        }
                    }
                }
                if current.len() > 1 {
                    segments.push(current.join(" "));
                }
                let legend_y = legend_top + 22 * i as u32;
                Series {
                    colour: COLOURS[i % COLOURS.len()],
                    dash: DASHES[(i / COLOURS.len() + i) % DASHES.len()],
                    segments,
                    marks,
                    legend_y,
                    legend_mark: mark(i, f64::from(PLOT_LEFT) + 14.0, f64::from(legend_y) - 5.0),
                    name: name.clone(),
                }
            },
        )
        .collect::<Vec<_>>();
    LineChart {
        height: legend_top + 22 * units.len() as u32,
        ticks,
        xlabels,
        series,
    }
}

/// The overdue dossiers of each procedure as horizontal bars, each under its name.
fn bar_chart(procedures: &[(String, i64)]) -> BarChart {
    const LEFT: u32 = 16;
    const WIDEST: u32 = 520;
    let max = procedures.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let bars = procedures
        .iter()
        .enumerate()
        .map(|(i, (name, n))| {
            let top = 8 + 52 * i as u32;
            let width = (f64::from(WIDEST) * (*n).max(0) as f64 / max as f64).round() as u32;
            Bar {
                label_y: top + 14,
                y: top + 22,
                width,
                value_x: LEFT + width + 8,
                name: name.clone(),
                value: count(*n),
            }
        })
        .collect::<Vec<_>>();
    BarChart {
        height: 16 + 52 * procedures.len().max(1) as u32,
        bars,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_and_months_are_written_as_people_write_them() {
        assert_eq!(percent(0.85), "85%");
        assert_eq!(percent(2.0 / 3.0), "66,7%");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(month_words("2026-03"), "03/2026");
        let day = Date::from_calendar_date(2026, time::Month::February, 17).unwrap();
        assert_eq!(
            months_back(day, 5),
            Date::from_calendar_date(2025, time::Month::September, 1).unwrap()
        );
        assert_eq!(parse_day("17/02/2026"), Some(day));
        assert_eq!(parse_day("2026-02-17"), Some(day));
        assert_eq!(parse_day("hôm qua"), None);
    }

    #[test]
    fn a_month_with_nothing_settled_breaks_the_line() {
        let t = Messages::of(Lang::Vi);
        let months: Vec<String> = ["01/2026", "02/2026", "03/2026", "04/2026"]
            .map(String::from)
            .to_vec();
        let chart = line_chart(
            &months,
            &[UnitShares {
                name: "Phường A".into(),
                rates: vec![Some(1.0), Some(0.5), None, Some(0.0)],
                counts: vec![(2, 2), (1, 2), (0, 0), (0, 1)],
            }],
            t,
        );
        let s = &chart.series[0];
        assert_eq!(
            s.segments.len(),
            1,
            "the two first months joined, the last alone"
        );
        assert_eq!(
            s.marks.len(),
            3,
            "a mark for each month with something settled"
        );
        assert!(s.marks[1].words.contains("50%"), "{}", s.marks[1].words);
        assert_eq!(chart.ticks.first().map(|t| t.y), Some(PLOT_BOTTOM));
        assert_eq!(chart.ticks.last().map(|t| t.y), Some(PLOT_TOP));
    }

    #[test]
    fn the_longest_bar_is_the_most_overdue() {
        let chart = bar_chart(&[("a".into(), 2), ("b".into(), 4), ("c".into(), 0)]);
        assert_eq!(chart.bars[1].width, 520);
        assert_eq!(chart.bars[0].width, 260);
        assert_eq!(chart.bars[2].width, 0);
    }
}
