//! The `junit` report is valid by the Apache Ant JUnit schema
//! (`tests/schemas/junit-ant.xsd`), checked with `xmllint --schema` as strict
//! consumers check it. Without xmllint the test fails in CI (`CI=true`) and
//! is skipped, saying so, elsewhere.

use std::process::Command;

use ptr_audit_report::Format;

use crate::fixture::render;

const SCHEMA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/schemas/junit-ant.xsd");

/// `xmllint --schema` on `xml`: `Ok(())` when valid, `Err(messages)` when not,
/// `None` when xmllint is not installed outside CI.
fn xmllint(xml: &str) -> Option<Result<(), String>> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.xml");
    std::fs::write(&file, xml).unwrap();
    let out = match Command::new("xmllint")
        .args(["--noout", "--schema", SCHEMA])
        .arg(&file)
        .output()
    {
        Ok(out) => out,
        Err(e) if std::env::var_os("CI").is_some_and(|v| v == "true") => {
            panic!("xmllint (Debian's libxml2-utils, in .ci/apt-packages) cannot run in CI: {e}")
        }
        Err(e) => {
            eprintln!("skipped: xmllint cannot run ({e}); install libxml2-utils");
            return None;
        }
    };
    let messages = String::from_utf8_lossy(&out.stderr).into_owned();
    Some(if out.status.success() {
        Ok(())
    } else {
        Err(messages)
    })
}

#[test]
fn junit_is_valid_by_the_ant_junit_schema() {
    let xml = render(Format::Junit);
    if let Some(result) = xmllint(&xml) {
        result.unwrap_or_else(|e| panic!("{e}\n{xml}"));
    }
}

#[test]
fn the_schema_check_rejects_what_strict_consumers_reject() {
    // The checker itself: the report without a suite's required `hostname`,
    // or with `properties` after the test cases, is refused.
    let xml = render(Format::Junit);
    let no_host = xml.replacen(" hostname=\"localhost\"", "", 1);
    assert_ne!(no_host, xml);
    let start = xml.find("    <properties>").unwrap();
    let end = xml.find("    </properties>\n").unwrap() + "    </properties>\n".len();
    let props = &xml[start..end];
    let moved = xml.replacen(props, "", 1).replacen(
        "    <system-out>",
        &format!("{props}    <system-out>"),
        1,
    );
    for bad in [no_host, moved] {
        if let Some(result) = xmllint(&bad) {
            assert!(result.is_err(), "accepted:\n{bad}");
        }
    }
}
