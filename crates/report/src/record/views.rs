//! Serde views of the model's blocks, sources and findings as the `json`
//! document's envelope writes them (`blocks`, `block_findings`).

use ptr_audit_model::{BlockInfo, DetailValue, Finding, SeverityOverrides, SourceLocation};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::RESERVED;

/// A block's source (`file`, `line`).
pub(crate) struct SourceOut<'a>(pub &'a SourceLocation);

impl Serialize for SourceOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("file", &self.0.file.to_string_lossy())?;
        m.serialize_entry("line", &self.0.line)?;
        m.end()
    }
}

/// A finding: `code`, `severity`, `message`, then its details.
pub(crate) struct FindingOut<'a>(pub &'a Finding);

impl Serialize for FindingOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = self.0;
        let mut m = s.serialize_map(Some(3 + f.details.len()))?;
        m.serialize_entry("code", f.code.as_str())?;
        m.serialize_entry("severity", f.severity.as_str())?;
        m.serialize_entry("message", &f.message)?;
        for d in &f.details {
            let key: std::borrow::Cow<'_, str> =
                if RESERVED.contains(&d.key) || d.key.starts_with("detail-") {
                    format!("detail-{}", d.key).into()
                } else {
                    d.key.into()
                };
            match &d.value {
                DetailValue::Text(t) => m.serialize_entry(&key, t)?,
                DetailValue::List(l) => m.serialize_entry(&key, l)?,
                DetailValue::StaticList(l) => m.serialize_entry(&key, l)?,
                DetailValue::Count(n) => m.serialize_entry(&key, n)?,
            }
        }
        m.end()
    }
}

/// The block-level part of a [`BlockInfo`] as the json document's `blocks` entries carry it.
pub(crate) struct BlockInfoOut<'a>(pub &'a BlockInfo);

impl BlockInfoOut<'_> {
    pub(crate) fn write_fields<M: SerializeMap>(&self, m: &mut M) -> Result<(), M::Error> {
        let b = self.0;
        m.serialize_entry("datacenter", &*b.datacenter)?;
        m.serialize_entry("cidr", &b.cidr.to_string())?;
        m.serialize_entry("policy", b.policy.as_str())?;
        m.serialize_entry("expect_ptr", &b.expect_ptr)?;
        m.serialize_entry("migrated_from", &b.migrated_from.as_deref())?;
        m.serialize_entry("severities", &SeveritiesOut(&b.severities))?;
        m.serialize_entry("source", &SourceOut(&b.source))?;
        m.serialize_entry("expect_pbl", &b.expect_pbl)?;
        Ok(())
    }
}

/// A block's severity overrides, code to severity.
struct SeveritiesOut<'a>(&'a SeverityOverrides);

impl Serialize for SeveritiesOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.0.len()))?;
        for (code, sev) in &self.0.0 {
            m.serialize_entry(code.as_str(), sev.as_str())?;
        }
        m.end()
    }
}
