//! Reports a municipality or a foundation can take away, without personal data: only the
//! pseudonymous numbers and amounts that are on the shared ledger anyway.
//!
//! CSV as RFC 4180 describes it (CRLF line ends, a field quoted when it holds the separator, a
//! quote or a line end), with `;` between fields and a decimal comma in euro amounts, because
//! that is what a spreadsheet set to Dutch opens without asking; amounts are also given in
//! integer cents for machines.

use crate::views::{HouseholdSummary, Severity};

/// A field as CSV: quoted (with quotes doubled) when it holds `;`, `"`, CR or LF.
fn field(s: &str) -> String {
    if s.contains([';', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// Cents as euros with a decimal comma and no thousands separator (`-1234,56`).
fn euros(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{},{:02}", abs / 100, abs % 100)
}

/// The households of a caseload as CSV, one row each: number, counsellor id, whether the opt-in
/// holds, agreements, balance (euros and cents), alerts and the most urgent one (Dutch).
pub fn caseload_csv(rows: &[HouseholdSummary]) -> String {
    let mut out = String::from(
        "huishouden;consulent;actief;afspraken;saldo_eur;saldo_centen;signalen;urgentie;belangrijkste_signaal\r\n",
    );
    for h in rows {
        let urgency = match h.urgency {
            Some(Severity::Urgent) => "urgent",
            Some(Severity::Warning) => "deze week",
            Some(Severity::Info) => "ter info",
            None => "",
        };
        let cells = [
            field(&h.id),
            field(&h.counsellor),
            (if h.active { "ja" } else { "nee" }).to_owned(),
            h.agreements.to_string(),
            euros(h.balance_cents),
            h.balance_cents.to_string(),
            h.alerts.to_string(),
            urgency.to_owned(),
            field(h.top_alert.as_ref().map_or("", |a| a.message_nl.as_str())),
        ];
        out.push_str(&cells.join(";"));
        out.push_str("\r\n");
    }
    out
}

/// A Kindpakket fund's report as CSV: a row per figure (`wat;naam;eur;centen`): issued, spent,
/// left, vouchers and vouchers used, topped up, paid out (confirmed by the bank), in payouts not
/// yet paid, and still owed to shops, then spent per category and per shop.
pub fn fund_csv(r: &crate::kindpakket::FundReport) -> String {
    let mut out = String::from("wat;naam;eur;centen\r\n");
    let mut row = |what: &str, name: &str, cents: Option<i64>, count: Option<usize>| {
        let (eur, raw) = match (cents, count) {
            (Some(c), _) => (euros(c), c.to_string()),
            (None, Some(n)) => (String::new(), n.to_string()),
            (None, None) => (String::new(), String::new()),
        };
        out.push_str(&[field(what), field(name), eur, raw].join(";"));
        out.push_str("\r\n");
    };
    row("uitgegeven", &r.fund, Some(r.issued_cents), None);
    row("besteed", &r.fund, Some(r.spent_cents), None);
    row("over", &r.fund, Some(r.left_cents), None);
    row("tegoeden", &r.fund, None, Some(r.vouchers));
    row("tegoeden_gebruikt", &r.fund, None, Some(r.vouchers_used));
    row("gestort", &r.fund, Some(r.topped_up_cents), None);
    row("uitbetaald", &r.fund, Some(r.paid_out_cents), None);
    row("in_uitbetaling", &r.fund, Some(r.in_payouts_cents), None);
    row("nog_te_betalen", &r.fund, Some(r.owed_cents), None);
    for (c, cents) in &r.per_category {
        row("besteed_per_soort", c, Some(*cents), None);
    }
    for (m, cents) in &r.per_merchant {
        row("besteed_per_winkel", m, Some(*cents), None);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, balance_cents: i64) -> HouseholdSummary {
        HouseholdSummary {
            id: id.into(),
            counsellor: "c-1".into(),
            active: true,
            agreements: 3,
            balance_cents,
            urgency: None,
            alerts: 0,
            top_alert: None,
        }
    }

    #[test]
    fn amounts_have_a_decimal_comma_and_cents_beside_them() {
        let csv = caseload_csv(&[row("7", -123_456), row("8", 5)]);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[1], "7;c-1;ja;3;-1234,56;-123456;0;;");
        assert_eq!(lines[2], "8;c-1;ja;3;0,05;5;0;;");
        assert_eq!(lines[3], "", "every row ends in CRLF");
    }

    #[test]
    fn a_fund_report_lists_its_figures_per_category_and_shop() {
        let r = crate::kindpakket::FundReport {
            fund: "kp".into(),
            status: "active".into(),
            vouchers: 3,
            vouchers_used: 1,
            issued_cents: 90_000,
            spent_cents: 8_995,
            left_cents: 81_005,
            per_category: vec![("bicycles".into(), 8_995)],
            per_merchant: vec![("fietsenwinkel".into(), 8_995)],
            topped_up_cents: 100_000,
            paid_out_cents: 8_995,
            in_payouts_cents: 0,
            owed_cents: 0,
        };
        let csv = fund_csv(&r);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], "wat;naam;eur;centen");
        assert_eq!(lines[2], "besteed;kp;89,95;8995");
        assert_eq!(lines[4], "tegoeden;kp;;3");
        assert_eq!(lines[6], "gestort;kp;1000,00;100000");
        assert_eq!(lines[7], "uitbetaald;kp;89,95;8995");
        assert_eq!(lines[8], "in_uitbetaling;kp;0,00;0");
        assert_eq!(lines[9], "nog_te_betalen;kp;0,00;0");
        assert_eq!(lines[10], "besteed_per_soort;bicycles;89,95;8995");
        assert_eq!(lines[11], "besteed_per_winkel;fietsenwinkel;89,95;8995");
        assert_eq!(lines[12], "", "every row ends in CRLF");
    }

    #[test]
    fn a_field_with_the_separator_or_a_quote_is_quoted() {
        assert_eq!(field("a;b"), "\"a;b\"");
        assert_eq!(field("zeg \"hoi\""), "\"zeg \"\"hoi\"\"\"");
        assert_eq!(field("regel\nnieuw"), "\"regel\nnieuw\"");
        assert_eq!(field("gewoon"), "gewoon");
    }
}
