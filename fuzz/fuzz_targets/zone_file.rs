//! Any text as a zone file for the embedded server (`crates/dnsserver`): the
//! first line is the zone's origin, the rest the file. It loads or gives an
//! error naming a line of the text.
#![no_main]

use ptr_audit_dnsserver::{ZoneError, ZoneSet};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (origin, body) = text.split_once('\n').unwrap_or((text, ""));
    match ZoneSet::from_text(origin, body) {
        Ok(zones) => assert!(zones.len() <= 1, "one text, one zone"),
        Err(ZoneError::Syntax { line, .. }) => {
            assert!(
                line <= body.lines().count().max(1),
                "line {line} is in the text"
            )
        }
        Err(_) => {}
    }
});
