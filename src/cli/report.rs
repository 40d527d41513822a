//! `motcua report`: the one-stop processing figures of a unit and the units below it, as
//! `GET /api/v1/reports/processing` answers them — a table for people, or `--csv` / `--json`.

use motcua::config::{ServeArgs, StoreArgs};
use motcua::report::{Figures, Range, Reader, Report, Reports};

/// `motcua report`.
#[derive(clap::Args)]
pub(crate) struct ReportArgs {
    /// The unit (with every unit below it). [default: the top of the hierarchy]
    #[arg(long)]
    unit: Option<String>,
    /// The first day, YYYY-MM-DD (Vietnam).
    #[arg(long)]
    from: String,
    /// The last day, YYYY-MM-DD.
    #[arg(long)]
    to: String,
    /// month, quarter, year or none. [default: none, the whole range as one period]
    #[arg(long, value_name = "PERIOD")]
    group_by: Option<String>,
    /// CSV, as the API gives it with `Accept: text/csv`.
    #[arg(long, conflicts_with = "json")]
    csv: bool,
    /// JSON, as the API gives it.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    store: StoreArgs,
}

/// `motcua report`.
pub(crate) async fn run(args: ReportArgs) -> anyhow::Result<()> {
    let range = Range::parse(&args.from, &args.to, args.group_by.as_deref())?;
    let settings = ServeArgs {
        store: args.store,
        ..ServeArgs::default()
    }
    .resolve()?;
    let dossiers = motcua::app::open_dossiers(&settings).await?;
    let report = Reports::of(&dossiers)
        .processing(Reader::Cli, args.unit.as_deref(), range)
        .await?;
    if args.csv {
        print!("{}", report.to_csv());
    } else if args.json {
        println!("{}", json(&report));
    } else {
        print_table(&report);
    }
    Ok(())
}

const COLUMNS: [&str; 11] = [
    "received",
    "online",
    "counter",
    "carried",
    "on time",
    "late",
    "in time",
    "overdue",
    "refused",
    "suppl.",
    "on time %",
];

fn cells(f: &Figures) -> Vec<String> {
    let mut out: Vec<String> = [
        f.received,
        f.received_online,
        f.received_counter,
        f.carried_over,
        f.settled_on_time,
        f.settled_late,
        f.in_progress_on_time,
        f.overdue,
        f.refused,
        f.supplements_requested,
    ]
    .iter()
    .map(i64::to_string)
    .collect();
    out.push(
        f.on_time_rate()
            .map_or_else(|| "-".to_owned(), |r| format!("{:.1}", r * 100.0)),
    );
    out
}

/// One line per row, aligned, then the total.
fn print_table(report: &Report) {
    println!(
        "Processing report of {} and the units below it, {} to {} (open dossiers judged on {})",
        report.unit.as_str(),
        report.range.from,
        report.range.to,
        report.as_of
    );
    let mut lines: Vec<Vec<String>> = vec![
        ["unit", "procedure", "period"]
            .into_iter()
            .chain(COLUMNS)
            .map(str::to_owned)
            .collect(),
    ];
    for row in &report.rows {
        let mut line = vec![
            row.unit.as_str().to_owned(),
            row.procedure.clone(),
            row.period.clone(),
        ];
        line.extend(cells(&row.figures));
        lines.push(line);
    }
    let mut total = vec![
        report.unit.as_str().to_owned(),
        "(all)".to_owned(),
        format!("{}/{}", report.range.from, report.range.to),
    ];
    total.extend(cells(&report.total));
    lines.push(total);
    let widths: Vec<usize> = (0..lines[0].len())
        .map(|i| {
            lines
                .iter()
                .map(|l| l[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for line in &lines {
        let text: Vec<String> = line
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (cell, w))| {
                if i < 3 {
                    format!("{cell:<w$}")
                } else {
                    format!("{cell:>w$}")
                }
            })
            .collect();
        println!("{}", text.join("  ").trim_end());
    }
}

/// The report as the API's JSON.
fn json(report: &Report) -> serde_json::Value {
    let figures = |f: &Figures| {
        serde_json::json!({
            "received": f.received,
            "received_online": f.received_online,
            "received_counter": f.received_counter,
            "carried_over": f.carried_over,
            "settled_on_time": f.settled_on_time,
            "settled_late": f.settled_late,
            "in_progress_on_time": f.in_progress_on_time,
            "overdue": f.overdue,
            "refused": f.refused,
            "supplements_requested": f.supplements_requested,
            "on_time_rate": f.on_time_rate(),
        })
    };
    let rows: Vec<serde_json::Value> = report
        .rows
        .iter()
        .map(|r| {
            let mut v = figures(&r.figures);
            v["unit"] = r.unit.as_str().into();
            v["procedure"] = r.procedure.clone().into();
            v["period"] = r.period.clone().into();
            v
        })
        .collect();
    serde_json::json!({
        "unit": report.unit.as_str(),
        "from": report.range.from.to_string(),
        "to": report.range.to.to_string(),
        "group_by": report.range.group_by.as_str(),
        "as_of": report.as_of.to_string(),
        "rows": rows,
        "total": figures(&report.total),
    })
}
