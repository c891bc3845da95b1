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
