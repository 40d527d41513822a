//! A report as CSV (RFC 4180, `\r\n` line ends, UTF-8): what spreadsheets at the counters open.

use std::fmt::Write as _;

use super::{Figures, Report};

/// The columns, in order.
pub const HEADER: [&str; 14] = [
    "unit",
    "procedure",
    "period",
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
    "on_time_rate",
];

/// The header, a line per row, and the total (empty procedure, the whole range as its period).
pub fn render(report: &Report) -> String {
    let mut out = HEADER.join(",");
    out.push_str("\r\n");
    for row in &report.rows {
        line(
            &mut out,
            &[row.unit.as_str(), &row.procedure, &row.period],
            &row.figures,
        );
    }
    let whole = format!("{}/{}", report.range.from, report.range.to);
    line(&mut out, &[report.unit.as_str(), "", &whole], &report.total);
    out
}

fn line(out: &mut String, labels: &[&str], f: &Figures) {
    let fields: Vec<String> = labels.iter().map(|l| field(l)).collect();
    out.push_str(&fields.join(","));
    for n in [
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
    ] {
        let _ = write!(out, ",{n}");
    }
    match f.on_time_rate() {
        Some(rate) => {
            let _ = write!(out, ",{rate:.4}");
        }
        None => out.push(','),
    }
    out.push_str("\r\n");
}

/// A text field, quoted when it holds a comma, a quote or a line break; one that a
/// spreadsheet would take for a formula (`=`, `+`, `-`, `@` first) is quoted and prefixed
/// with `'`, so opening the file runs nothing.
fn field(text: &str) -> String {
    let formula = text.starts_with(['=', '+', '-', '@']);
    if formula || text.contains([',', '"', '\r', '\n']) {
        let prefix = if formula { "'" } else { "" };
        format!("\"{prefix}{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_when_they_must_be_and_formulas_never_run() {
        assert_eq!(field("business-registration"), "business-registration");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=1+1"), "\"'=1+1\"");
        assert_eq!(field(""), "");
    }
}
