//! Dutch first, English available: the language of messages, chosen once at start.

use std::sync::OnceLock;

static ENGLISH: OnceLock<bool> = OnceLock::new();

/// Sets the language ("nl" or "en").
pub fn set(lang: &str) {
    let _ = ENGLISH.set(lang == "en");
}

/// The message in the chosen language.
pub fn t<'a>(nl: &'a str, en: &'a str) -> &'a str {
    if *ENGLISH.get().unwrap_or(&false) {
        en
    } else {
        nl
    }
}

/// The chosen language, for the application layer's wording.
pub fn language() -> knop_app::present::Language {
    if *ENGLISH.get().unwrap_or(&false) {
        knop_app::present::Language::English
    } else {
        knop_app::present::Language::Dutch
    }
}
