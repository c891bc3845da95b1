//! AFL++ target: any bytes through the camt.053 reader must give a result or an error, never a
//! panic or a hang.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = knop_bank::camt053::parse(data);
    });
}
