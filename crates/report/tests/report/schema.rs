//! `docs/report.schema.json` matches what the `json` writer writes: the same
//! keys in the same order at every level, and the same codes.

use ptr_audit_model::FindingCode;
use ptr_audit_report::Format;
use serde_json::Value;

use crate::fixture::render;

fn schema() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/report.schema.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The keys of a JSON object as written (document order).
fn keys(text_object: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut de = serde_json::Deserializer::from_str(text_object);
    struct V<'a>(&'a mut Vec<String>);
    impl<'de> serde::de::Visitor<'de> for V<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
            while let Some(k) = m.next_key::<String>()? {
                m.next_value::<serde::de::IgnoredAny>()?;
                self.0.push(k);
            }
            Ok(())
        }
    }
    serde::Deserializer::deserialize_map(&mut de, V(&mut out)).unwrap();
    out
}

fn required(schema: &Value, pointer: &str) -> Vec<String> {
    schema
        .pointer(pointer)
        .unwrap_or_else(|| panic!("no {pointer}"))
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn schema_keys_match_the_written_document_in_order() {
    let s = schema();
    let text = render(Format::Json);
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(keys(&text), required(&s, "/required"));
    let sub = |v: &Value| serde_json::to_string(v).unwrap();
    // Records are written by our own serializer, so their order is the written order.
    for line in text
        .lines()
        .filter(|l| l.trim_start().starts_with("{\"ip\""))
    {
        let line = line.trim().trim_end_matches(',');
        assert_eq!(keys(line), required(&s, "/$defs/record/required"));
    }
    for line in text
        .lines()
        .filter(|l| l.trim_start().starts_with("{\"datacenter\""))
    {
        let line = line.trim().trim_end_matches(',');
        let k = keys(line);
        if k.contains(&"cidr".to_string()) {
            assert_eq!(k, required(&s, "/$defs/block/required"));
        } else {
            assert_eq!(k, required(&s, "/$defs/block_finding/required"));
        }
    }
    let line_of = |key: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(&format!("\"{key}\": ")))
            .unwrap()
            .trim_end_matches(',')
            .to_owned()
    };
    assert_eq!(
        keys(&line_of("summary")),
        required(&s, "/$defs/summary/required")
    );
    assert_eq!(keys(&line_of("gate")), required(&s, "/$defs/gate/required"));
    assert_eq!(
        keys(&line_of("inventory")),
        required(&s, "/properties/inventory/required")
    );
    assert_eq!(
        keys(&line_of("settings")),
        required(&s, "/properties/settings/required")
    );
    // Every finding opens with code, severity, message (in the written text).
    for r in doc["records"].as_array().unwrap() {
        for f in r["findings"].as_array().unwrap() {
            let head = format!(
                "{{\"code\":{},\"severity\":{},\"message\":",
                sub(&f["code"]),
                sub(&f["severity"])
            );
            assert!(text.contains(&head), "{head}");
        }
    }
}

#[test]
fn schema_lists_every_code_and_status() {
    let s = schema();
    let codes: Vec<&str> = FindingCode::ALL.iter().map(|c| c.as_str()).collect();
    let listed: Vec<&str> = s["$defs"]["finding"]["properties"]["code"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(listed, codes);
    let statuses = required(&s, "/$defs/by_status/required");
    assert_eq!(statuses[0], "ok");
    assert_eq!(statuses[1..], codes[..]);
}
