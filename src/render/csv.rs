//! `--output csv`: the account × model matrix for spreadsheets (RFC 4180 quoting). One row
//! per account (a single-account run is one row): its id, name, whether it was entered, the
//! verdict of its account-wide checks, then per model `usable` or the cause codes found.

use crate::report::{AccountReport, Report};

pub fn render(report: &Report) -> String {
    let single;
    let accounts: &[AccountReport] = if !report.is_accounts_run() {
        single = [AccountReport {
            id: report.target.account.clone().unwrap_or_default(),
            name: None,
            report: report.clone(),
        }];
        &single
    } else {
        &report.accounts
    };
    let models = &report.target.models;
    let mut out = String::new();
    let mut head = vec!["account", "name", "account_checks"];
    head.extend(models.iter().map(String::as_str));
    line(&mut out, &head);
    for a in accounts {
        let mut row = vec![a.id.clone(), a.name.clone().unwrap_or_default()];
        row.extend(super::table::matrix_cells(&a.report, models, "not checked"));
        line(
            &mut out,
            &row.iter().map(String::as_str).collect::<Vec<_>>(),
        );
    }
    out
}

fn line(out: &mut String, cells: &[&str]) {
    let quoted: Vec<String> = cells.iter().map(|c| quote(c)).collect();
    out.push_str(&quoted.join(","));
    out.push_str("\r\n");
}

/// A field with a comma, quote or line break is quoted, its quotes doubled (RFC 4180). A
/// field a spreadsheet would run as a formula (an account name such as `=HYPERLINK(...)`,
/// which Organizations allows) gets a leading `'`, as OWASP's CSV-injection advice says.
fn quote(cell: &str) -> String {
    let cell = if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    };
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_as_rfc_4180_says() {
        assert_eq!(quote("usable"), "usable");
        assert_eq!(
            quote("throttled, quota-headroom-low"),
            "\"throttled, quota-headroom-low\""
        );
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn a_cell_a_spreadsheet_would_run_is_defused() {
        assert_eq!(quote("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(quote("@sum"), "'@sum");
        assert_eq!(quote("ml-dev"), "ml-dev");
    }
}
