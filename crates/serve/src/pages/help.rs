//! Help, in plain words: what knop does with the resident's money, what the page's numbers
//! mean, what to do when money runs short, how to stop, and what happens to their data. Open
//! to everyone, logged in or not.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use maud::html;

use super::{html_response, page, Lang};
use crate::auth::MaybePrincipal;
use crate::App;

/// The help page's route.
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new().route("/hulp", get(help))
}

async fn help(
    State(_app): State<Arc<App>>,
    headers: HeaderMap,
    MaybePrincipal(p): MaybePrincipal,
) -> Response {
    let lang = Lang::of(&headers);
    let title = lang.t("Hulp", "Help");
    let qa: [(&str, &str, &str, &str); 7] = [
        (
            "Wat doet de stichting met mijn geld?",
            "Uw inkomen en toeslagen komen binnen op een rekening van de stichting. Daarvan betaalt de stichting op tijd uw huur, zorgverzekering, energie en de andere vaste lasten die u hebt afgesproken. Wat overblijft, krijgt u als leefgeld op uw eigen rekening.",
            "What does the foundation do with my money?",
            "Your income and allowances arrive on an account of the foundation. From it, the foundation pays your rent, health insurance, energy and the other fixed costs you agreed on time. What is left you get as living money on your own account.",
        ),
        (
            "Wat betekenen de bedragen op mijn pagina?",
            "Het saldo is wat er nu echt op uw rekening bij de stichting staat. Daaronder staat waar dat geld voor is: betalingen die nog komen deze maand, en wat overblijft als buffer. Bij elke regel ziet u of het al betaald of ontvangen is (✓), of dat het nog verwacht wordt.",
            "What do the amounts on my page mean?",
            "The balance is what is really on your account at the foundation now. Below it you see what that money is for: payments still to come this month, and what is left as a buffer. Each line says whether it is paid or received (✓), or still expected.",
        ),
        (
            "Wat als mijn inkomen te laat komt?",
            "Dan kan de stichting de vaste lasten voorschieten, zodat die toch op tijd betaald worden. Dat voorschot wordt terugbetaald zodra uw inkomen binnenkomt. U ziet het op uw pagina bij 'Voorgeschoten door de stichting'.",
            "What if my income is late?",
            "Then the foundation can advance your fixed costs, so they are still paid on time. The advance is paid back as soon as your income arrives. You see it on your page under 'Advanced by the foundation'.",
        ),
        (
            "Er klopt iets niet. Wat moet ik doen?",
            "Neem contact op met uw consulent. Op uw pagina staat wie dat is en hoe u hem of haar bereikt. In 'Alles wat er met uw geld gebeurde' ziet u elke betaling die is geboekt.",
            "Something is wrong. What should I do?",
            "Contact your counsellor. Your page says who that is and how to reach them. In 'Everything that happened to your money' you see every payment that was booked.",
        ),
        (
            "Kan ik stoppen?",
            "Ja, altijd. Zeg het uw consulent. Na de opzegtermijn stoppen de betalingen en regelt u uw vaste lasten weer zelf.",
            "Can I stop?",
            "Yes, always. Tell your counsellor. After the notice period the payments stop and you take care of your fixed costs yourself again.",
        ),
        (
            "Wat gebeurt er met mijn gegevens?",
            "Uw naam, BSN, adres en rekeningnummer staan versleuteld bij de stichting. Ze staan niet in het gedeelde grootboek, dat alleen nummers en bedragen bevat. Onder 'Wie heeft mijn gegevens bekeken?' ziet u wie ze las, wanneer en waarom.",
            "What happens to my data?",
            "Your name, BSN, address and account number are kept encrypted by the foundation. They are not in the shared ledger, which holds only numbers and amounts. Under 'Who looked at my data?' you see who read them, when and why.",
        ),
        (
            "Kan ik het op papier krijgen?",
            "Ja. Op uw pagina staat 'Deze maand op papier'. Dat is een pdf die u kunt printen of bewaren.",
            "Can I get it on paper?",
            "Yes. Your page has 'This month on paper'. It is a PDF you can print or keep.",
        ),
    ];
    html_response(
        StatusCode::OK,
        page(
            lang,
            title,
            p.as_ref(),
            html! {
                h1 { (title) }
                @for (q_nl, a_nl, q_en, a_en) in qa {
                    h2 { (lang.t(q_nl, q_en)) }
                    p { (lang.t(a_nl, a_en)) }
                }
                p { a href="/" { (lang.t("Naar mijn pagina", "To my page")) } }
            },
        ),
    )
}
