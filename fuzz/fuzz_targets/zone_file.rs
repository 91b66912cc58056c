//! Any text as a zone file for the embedded server (`crates/dnsserver`,
//! `ZoneSet::from_text`; the first line is the zone's origin, the rest the
//! file): it loads, or gives an error naming a line of the text, and every
//! warning names a line of the text too.
#![no_main]

use ptr_audit_dnsserver::{ZoneError, ZoneSet};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (origin, body) = text.split_once('\n').unwrap_or((text, ""));
    let lines = body.lines().count().max(1);
    match ZoneSet::from_text(origin, body) {
        Ok(zones) => {
            assert!(zones.len() <= 1, "one text, one zone");
            for w in zones.warnings() {
                let _ = w.to_string();
                assert!(w.line <= lines, "warning line {} of {lines}: {w}", w.line);
            }
        }
        Err(ZoneError::Syntax { line, message, .. }) => {
            assert!(line <= lines, "error line {line} of {lines}: {message}")
        }
        Err(_) => {}
    }
});
