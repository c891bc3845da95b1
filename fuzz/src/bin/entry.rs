//! AFL++ target: any bytes through the entry and command decoders must give a result or an
//! error, never a panic.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        if let Ok(entry) = knop_ledger::entry::SignedEntry::decode(data) {
            let _ = knop_state::Command::decode(&entry.body);
        }
        let _ = knop_state::Command::decode(data);
    });
}
