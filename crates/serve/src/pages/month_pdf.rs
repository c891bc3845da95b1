//! The month on paper: a PDF a resident prints or keeps (pilots learned many want one), with
//! what the cockpit's month page says: the balance and what it is for, every line of the month
//! (received, paid, expected), the agreements and whom to ask. A4, the PDF's standard Helvetica
//! (no font to embed; text in Windows-1252, which holds the euro sign and Dutch letters). The
//! web page stays the accessible version; this is its print.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use lopdf::content::{Content, Operation};
use lopdf::{dictionary, Document, Object, Stream, StringFormat};

use super::{euro, household_not_found, login_first, message, page_household, Lang};
use crate::auth::{MaybePrincipal, Role};
use crate::App;
use knop_app::views;

/// The PDF's route.
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new().route("/huishoudens/{id}/maandoverzicht.pdf", get(month_pdf))
}

/// One line of text on paper, with its style.
enum Line {
    /// The title.
    Title(String),
    /// A heading.
    Heading(String),
    /// Text.
    Text(String),
    /// A row: left text, and an amount set flush right.
    Row(String, String),
    /// Space.
    Gap,
}

async fn month_pdf(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
    Path(id): Path<String>,
) -> Response {
    let lang = Lang::of(&headers);
    let Some(p) = p else { return login_first() };
    let Some(s) = page_household(&app, &p, &id, false) else {
        return household_not_found(lang, &p);
    };
    let o = match crate::api::households::overview_of(&app, &s) {
        Ok(o) => o,
        Err(e) => return message(lang, e.status_code(), &e.title, &e.detail, Some(&p)),
    };
    let resident = matches!(p.role, Role::Resident { .. });
    let counsellor = app.counsellor_name(&s.state.counsellor);
    let lines = paper(
        lang,
        &o,
        resident,
        counsellor.as_deref(),
        &app.config().foundation_name,
    );
    match render(&lines) {
        Ok(pdf) => (
            [
                (header::CONTENT_TYPE, "application/pdf".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"maandoverzicht-{}.pdf\"",
                        &o.month[0][..7]
                    ),
                ),
            ],
            pdf,
        )
            .into_response(),
        Err(e) => message(
            lang,
            StatusCode::INTERNAL_SERVER_ERROR,
            lang.t("Fout", "Error"),
            &format!("the PDF could not be written: {e}"),
            Some(&p),
        ),
    }
}

/// What goes on paper, from the month's overview.
fn paper(
    lang: Lang,
    o: &views::Overview,
    resident: bool,
    counsellor: Option<&str>,
    foundation: &str,
) -> Vec<Line> {
    let month = o.month[0]
        .parse::<jiff::civil::Date>()
        .map(|d| {
            let spoken = knop_app::present::spoken(d, lang.0);
            spoken
                .split_once(' ')
                .map_or(spoken.clone(), |(_, rest)| rest.to_owned())
        })
        .unwrap_or_default();
    let mut out = vec![
        Line::Title(format!(
            "{} {month}",
            lang.t("Maandoverzicht", "Monthly overview")
        )),
        Line::Text(format!(
            "{} {} · {} {}",
            lang.t("Huishouden", "Household"),
            o.id,
            lang.t("gemaakt op", "made on"),
            lang.date(&o.today)
        )),
        Line::Text(foundation.to_owned()),
        Line::Gap,
        Line::Row(
            if resident {
                lang.t(
                    "Op uw rekening bij de stichting",
                    "On your account at the foundation",
                )
            } else {
                lang.t(
                    "Op de rekening bij de stichting",
                    "On the account at the foundation",
                )
            }
            .to_owned(),
            euro(o.balance_cents),
        ),
    ];
    let expected_out: i64 = -o
        .month_lines
        .iter()
        .filter(|l| l.status == views::LineStatus::Expected)
        .filter_map(|l| l.planned_cents)
        .filter(|c| *c < 0)
        .sum::<i64>();
    if o.reserved_cents > 0 {
        out.push(Line::Row(
            lang.t(
                "  klaar voor betalingen die de bank nog uitvoert",
                "  set aside for payments the bank is still making",
            )
            .into(),
            euro(o.reserved_cents),
        ));
    }
    out.push(Line::Row(
        lang.t(
            "  voor betalingen die deze maand nog komen",
            "  for payments still to come this month",
        )
        .into(),
        euro(expected_out),
    ));
    out.push(Line::Row(
        lang.t(
            "  buffer voor de volgende maand en tegenvallers",
            "  buffer for next month and setbacks",
        )
        .into(),
        euro(o.balance_cents - o.reserved_cents - expected_out),
    ));
    if o.advance_cents > 0 {
        out.push(Line::Row(
            lang.t(
                "Voorgeschoten door de stichting",
                "Advanced by the foundation",
            )
            .into(),
            euro(o.advance_cents),
        ));
    }
    out.push(Line::Gap);
    out.push(Line::Heading(lang.t("Deze maand", "This month").into()));
    if o.month_lines.is_empty() {
        out.push(Line::Text(
            lang.t("Niets deze maand.", "Nothing this month.").into(),
        ));
    }
    for l in &o.month_lines {
        let cents = l.booked_cents.or(l.planned_cents).unwrap_or(0);
        let status = match l.status {
            views::LineStatus::Paid if cents > 0 => lang.t("ontvangen", "received"),
            views::LineStatus::Paid => lang.t("betaald", "paid"),
            views::LineStatus::Expected => lang.t("verwacht", "expected"),
            views::LineStatus::NotSeen => lang.t("nog niet gezien", "not seen yet"),
            views::LineStatus::Unplanned => lang.t("niet afgesproken", "not agreed"),
        };
        let date = l
            .date
            .parse::<jiff::civil::Date>()
            .map(|d| knop_app::present::short(d, lang.0))
            .unwrap_or_else(|_| l.date.clone());
        out.push(Line::Row(
            format!("{date}   {} ({status})", l.label),
            euro(cents),
        ));
    }
    out.push(Line::Gap);
    out.push(Line::Text(
        lang.t(
            "Vragen? Neem contact op met uw consulent",
            "Questions? Contact your counsellor",
        )
        .to_owned()
            + &counsellor.map(|c| format!(": {c}")).unwrap_or_default()
            + ".",
    ));
    out
}

/// A4's width in points.
const WIDTH: f32 = 595.0;
/// A4's height in points.
const HEIGHT: f32 = 842.0;
/// The margin on every side, in points (2 cm).
const MARGIN: f32 = 56.0;

/// Writes `lines` as an A4 PDF, as many pages as they need.
fn render(lines: &[Line]) -> Result<Vec<u8>, lopdf::Error> {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let font = |doc: &mut Document, name: &str| {
        doc.add_object(dictionary! {
            "Type" => "Font",
            "Subtype" => "Type1",
            "BaseFont" => name,
            "Encoding" => "WinAnsiEncoding",
        })
    };
    let (regular, bold) = (
        font(&mut doc, "Helvetica"),
        font(&mut doc, "Helvetica-Bold"),
    );
    let resources = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => regular, "F2" => bold },
    });
    let mut pages: Vec<Vec<Operation>> = vec![vec![]];
    let mut y = HEIGHT - MARGIN;
    for line in lines {
        let (size, lead, bold_face) = match line {
            Line::Title(_) => (18.0, 26.0, true),
            Line::Heading(_) => (13.0, 20.0, true),
            Line::Text(_) | Line::Row(..) => (10.5, 15.0, false),
            Line::Gap => (10.5, 8.0, false),
        };
        if y - lead < MARGIN {
            pages.push(vec![]);
            y = HEIGHT - MARGIN;
        }
        y -= lead;
        let ops = pages.last_mut().expect("a page");
        let text = |ops: &mut Vec<Operation>, x: f32, s: &str| {
            ops.push(Operation::new("BT", vec![]));
            ops.push(Operation::new(
                "Tf",
                vec![if bold_face { "F2" } else { "F1" }.into(), size.into()],
            ));
            ops.push(Operation::new("Td", vec![x.into(), y.into()]));
            ops.push(Operation::new("Tj", vec![win_ansi(s)]));
            ops.push(Operation::new("ET", vec![]));
        };
        match line {
            Line::Title(s) | Line::Heading(s) | Line::Text(s) => text(ops, MARGIN, &cut(s, 95)),
            Line::Row(left, amount) => {
                text(ops, MARGIN, &cut(left, 78));
                // Flush right: Helvetica's digits are 0.556 em wide; the rest near enough.
                let w = amount.chars().count() as f32 * 0.556 * size;
                text(ops, WIDTH - MARGIN - w, amount);
            }
            Line::Gap => {}
        }
    }
    let count = pages.len();
    let mut kids = vec![];
    for (i, mut ops) in pages.into_iter().enumerate() {
        // The page number at the foot.
        ops.push(Operation::new("BT", vec![]));
        ops.push(Operation::new("Tf", vec!["F1".into(), 9.0.into()]));
        ops.push(Operation::new(
            "Td",
            vec![MARGIN.into(), (MARGIN / 2.0).into()],
        ));
        ops.push(Operation::new(
            "Tj",
            vec![win_ansi(&format!("{} / {count}", i + 1))],
        ));
        ops.push(Operation::new("ET", vec![]));
        let content = Content { operations: ops }.encode()?;
        let content_id = doc.add_object(Stream::new(dictionary! {}, content));
        kids.push(
            doc.add_object(dictionary! {
                "Type" => "Page",
                "Parent" => pages_id,
                "Contents" => content_id,
            })
            .into(),
        );
    }
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids,
            "Count" => count as i64,
            "Resources" => resources,
            "MediaBox" => vec![0.into(), 0.into(), WIDTH.into(), HEIGHT.into()],
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id, "Lang" => Object::string_literal("nl-NL") });
    doc.trailer.set("Root", catalog);
    doc.compress();
    let mut out = vec![];
    doc.save_to(&mut out)?;
    Ok(out)
}

/// At most `max` characters, with an ellipsis when cut (a line never runs off the paper).
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        s.chars().take(max - 1).collect::<String>() + "…"
    }
}

/// Text as the standard fonts' Windows-1252 bytes; a character it lacks becomes `?`.
fn win_ansi(s: &str) -> Object {
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(s);
    Object::String(bytes.into_owned(), StringFormat::Literal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_lines_fill_pages_and_read_back() {
        let mut lines = vec![Line::Title("Maandoverzicht december 2026".into())];
        for i in 0..120 {
            lines.push(Line::Row(
                format!("{i} dec 2026   Leefgeld (betaald)"),
                "-€ 145,00".into(),
            ));
        }
        let pdf = render(&lines).unwrap();
        assert!(pdf.starts_with(b"%PDF-1.7"));
        let doc = Document::load_mem(&pdf).unwrap();
        assert_eq!(doc.get_pages().len(), 3, "120 rows of 15 points on A4");
        let text = doc.extract_text(&[1]).unwrap();
        assert!(text.contains("Maandoverzicht december 2026"), "{text}");
    }

    #[test]
    fn text_is_windows_1252_and_long_lines_are_cut() {
        assert_eq!(
            win_ansi("€ 5,00 é"),
            Object::String(
                vec![0x80, b' ', b'5', b',', b'0', b'0', b' ', 0xE9],
                StringFormat::Literal
            )
        );
        assert_eq!(cut(&"x".repeat(10), 5), "xxxx…");
    }
}
