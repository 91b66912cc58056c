//! The journal of an apply (`--journal FILE`): one JSON line per change,
//! written and synced before the change is sent, and one per outcome after,
//! so a rollback knows what every record set was even after a crash; and
//! the rollback plan made from it.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::UpdateError;
use crate::apply::ChangeResult;
use crate::plan::{Change, Plan, ZoneChanges};
use crate::route::Routes;

const FORMAT: &str = "ptr-audit-apply-journal";
const VERSION: u32 = 1;

/// One line of a journal.
#[derive(Serialize, Deserialize)]
#[serde(tag = "line", rename_all = "kebab-case")]
enum Line {
    /// The first line.
    Header { format: String, version: u32 },
    /// A change, before it is sent.
    Change {
        id: usize,
        zone: String,
        server: SocketAddr,
        change: Change,
    },
    /// What became of change `id`: applied (`true`), not (`false`), or
    /// unknown (`null`).
    Outcome {
        id: usize,
        applied: Option<bool>,
        detail: String,
    },
}

/// A journal being written.
#[derive(Debug)]
pub struct Journal {
    file: File,
    path: PathBuf,
    next: usize,
}

/// A change read back from a journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalEntry {
    /// The zone.
    pub zone: String,
    /// The primary it was sent to.
    pub server: SocketAddr,
    /// The change (its `before` is what the record set was).
    pub change: Change,
    /// Applied, not applied, or unknown (no outcome recorded: the run
    /// stopped, or the exchange broke off after sending).
    pub applied: Option<bool>,
}

impl Journal {
    /// Creates the journal at `path`; an existing file is never replaced
    /// (it may be the only record of an earlier apply).
    pub fn create(path: &Path) -> Result<Journal, UpdateError> {
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|source| UpdateError::File {
                path: path.to_owned(),
                source,
            })?;
        let mut journal = Journal {
            file,
            path: path.to_owned(),
            next: 0,
        };
        journal.write(&Line::Header {
            format: FORMAT.to_owned(),
            version: VERSION,
        })?;
        Ok(journal)
    }

    fn write(&mut self, line: &Line) -> Result<(), UpdateError> {
        let mut text = serde_json::to_string(line).unwrap_or_default();
        text.push('\n');
        self.file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.sync_data())
            .map_err(|source| UpdateError::File {
                path: self.path.clone(),
                source,
            })
    }

    /// Records `change` before it is sent; its id for [`Journal::end`].
    pub(crate) fn begin(
        &mut self,
        zone: &str,
        server: SocketAddr,
        change: &Change,
    ) -> Result<usize, UpdateError> {
        let id = self.next;
        self.next += 1;
        self.write(&Line::Change {
            id,
            zone: zone.to_owned(),
            server,
            change: change.clone(),
        })?;
        Ok(id)
    }

    /// Records what became of change `id`.
    pub(crate) fn end(&mut self, id: usize, result: &ChangeResult) -> Result<(), UpdateError> {
        self.write(&Line::Outcome {
            id,
            applied: result.applied(),
            detail: result.describe(),
        })
    }

    /// Reads the journal at `path`. A last line cut short (a crash while
    /// writing it) is ignored; any other line that does not read is an error.
    pub fn read(path: &Path) -> Result<Vec<JournalEntry>, UpdateError> {
        let text = std::fs::read_to_string(path).map_err(|source| UpdateError::File {
            path: path.to_owned(),
            source,
        })?;
        let syntax = |line, message: String| UpdateError::Syntax {
            path: path.to_owned(),
            line,
            message,
        };
        let mut entries: BTreeMap<usize, JournalEntry> = BTreeMap::new();
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        for (i, raw) in lines.iter().enumerate() {
            let n = i + 1;
            let line = match serde_json::from_str::<Line>(raw.trim_end()) {
                Ok(line) => line,
                Err(_) if i + 1 == lines.len() && !raw.ends_with('\n') => break,
                Err(e) => return Err(syntax(n, format!("not a journal line: {e}"))),
            };
            match line {
                Line::Header { format, version } => {
                    if n != 1 || format != FORMAT || version != VERSION {
                        return Err(syntax(
                            n,
                            format!(
                                "not a journal this version reads (expected `{FORMAT}` version {VERSION} on line 1)"
                            ),
                        ));
                    }
                }
                _ if n == 1 => {
                    return Err(syntax(1, format!("not a journal: no `{FORMAT}` header")));
                }
                Line::Change {
                    id,
                    zone,
                    server,
                    change,
                } => {
                    let entry = JournalEntry {
                        zone,
                        server,
                        change,
                        applied: None,
                    };
                    if entries.insert(id, entry).is_some() {
                        return Err(syntax(n, format!("change {id} is journalled twice")));
                    }
                }
                Line::Outcome { id, applied, .. } => match entries.get_mut(&id) {
                    Some(e) => e.applied = applied,
                    None => {
                        return Err(syntax(
                            n,
                            format!("an outcome for change {id}, not journalled before"),
                        ));
                    }
                },
            }
        }
        if lines.is_empty() {
            return Err(syntax(0, "the journal is empty".to_owned()));
        }
        Ok(entries.into_values().collect())
    }
}

/// The plan that undoes a journal: every change that was applied or may
/// have been (its outcome unknown), reversed — the prerequisite is the set
/// the apply left, so a record changed since the apply is left alone — sent
/// to `routes`' server for the zone, else to the server the apply used.
pub fn rollback_plan(entries: &[JournalEntry], routes: &Routes) -> Plan {
    let mut zones: BTreeMap<String, ZoneChanges> = BTreeMap::new();
    // Latest first: a record changed twice is restored step by step.
    for e in entries.iter().rev().filter(|e| e.applied != Some(false)) {
        let server = routes.server_for(&e.zone).unwrap_or(e.server);
        zones
            .entry(e.zone.clone())
            .or_insert_with(|| ZoneChanges {
                zone: e.zone.clone(),
                server,
                serial: None,
                changes: Vec::new(),
            })
            .changes
            .push(e.change.reversed());
    }
    let mut plan = Plan::new();
    plan.zones = zones.into_values().collect();
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Rr, RrType};

    fn change(owner: &str) -> Change {
        Change {
            owner: owner.into(),
            rtype: RrType::Ptr,
            before: vec![],
            after: vec![Rr {
                ttl: 3600,
                data: "mail.example.".into(),
            }],
            addresses: vec!["203.0.113.10".parse().unwrap()],
        }
    }

    #[test]
    fn a_journal_reads_back_and_its_rollback_undoes_what_may_have_been_applied() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal");
        let server: SocketAddr = "127.0.0.1:5300".parse().unwrap();
        let zone = "113.0.203.in-addr.arpa.";
        let mut j = Journal::create(&path).unwrap();
        let a = j
            .begin(zone, server, &change("10.113.0.203.in-addr.arpa."))
            .unwrap();
        j.end(a, &ChangeResult::Applied).unwrap();
        let b = j
            .begin(zone, server, &change("11.113.0.203.in-addr.arpa."))
            .unwrap();
        j.end(
            b,
            &ChangeResult::Changed {
                rcode: "YXRRSET".into(),
            },
        )
        .unwrap();
        // The run stops after sending the third.
        j.begin(zone, server, &change("12.113.0.203.in-addr.arpa."))
            .unwrap();
        drop(j);
        assert!(
            Journal::create(&path).is_err(),
            "an existing journal is never replaced"
        );
        let entries = Journal::read(&path).unwrap();
        assert_eq!(
            entries.iter().map(|e| e.applied).collect::<Vec<_>>(),
            [Some(true), Some(false), None]
        );
        let plan = rollback_plan(&entries, &Routes::default());
        let owners: Vec<&str> = plan.zones[0]
            .changes
            .iter()
            .map(|c| c.owner.as_str())
            .collect();
        assert_eq!(
            owners,
            ["12.113.0.203.in-addr.arpa.", "10.113.0.203.in-addr.arpa."]
        );
        assert!(plan.zones[0].changes.iter().all(|c| c.after.is_empty()));
        assert_eq!(plan.zones[0].server, server);
        // A torn last line is ignored; a broken line before it is an error.
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("{\"line\":\"outc");
        std::fs::write(&path, &text).unwrap();
        assert_eq!(Journal::read(&path).unwrap().len(), 3);
        text.push('\n');
        std::fs::write(&path, &text).unwrap();
        let e = Journal::read(&path).unwrap_err().to_string();
        assert!(e.contains(":7:"), "{e}");
    }
}
