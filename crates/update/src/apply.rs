//! Sending a plan: one TSIG-signed UPDATE per change, guarded by the record
//! set the plan saw (RFC 2136 §2.4), journalled before it is sent.

use std::net::SocketAddr;

use hickory_proto::op::{Message, ResponseCode, UpdateMessage};
use hickory_proto::rr::{DNSClass, Record};
use ptr_audit_tsig::TsigKey;

use crate::UpdateError;
use crate::exchange::{exchange, rcode_name, rdata, to_name, update_for};
use crate::journal::Journal;
use crate::plan::{Change, Plan, ZoneProblem, serial};

/// What became of one change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChangeResult {
    /// The server applied it.
    Applied,
    /// A prerequisite failed (`NXRRSET`, `YXRRSET`, …): the record set
    /// changed since the plan was made, and was left alone.
    Changed {
        /// The response code.
        rcode: String,
    },
    /// The server refused or failed the update (`REFUSED`, `NOTAUTH`,
    /// `SERVFAIL`, …), or the update could not be sent.
    Failed {
        /// What the server answered, or what went wrong.
        why: String,
    },
    /// The exchange broke off after the update was sent: whether it was
    /// applied is unknown (the journal keeps it for a rollback).
    Unknown {
        /// What went wrong.
        why: String,
    },
    /// Not sent (the zone changed since the plan, its primary failed on an
    /// earlier change, or the key was refused).
    NotSent {
        /// Why.
        why: String,
    },
}

impl ChangeResult {
    /// `Some(true)` applied, `Some(false)` not applied, `None` unknown.
    pub fn applied(&self) -> Option<bool> {
        match self {
            ChangeResult::Applied => Some(true),
            ChangeResult::Unknown { .. } => None,
            _ => Some(false),
        }
    }

    /// A short description.
    pub fn describe(&self) -> String {
        match self {
            ChangeResult::Applied => "applied".into(),
            ChangeResult::Changed { rcode } => format!(
                "not applied: the record set changed since the plan ({rcode}), left as it is"
            ),
            ChangeResult::Failed { why } => format!("not applied: {why}"),
            ChangeResult::Unknown { why } => format!("unknown whether applied: {why}"),
            ChangeResult::NotSent { why } => format!("not sent: {why}"),
        }
    }
}

/// One change and what became of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The zone.
    pub zone: String,
    /// Its primary.
    pub server: SocketAddr,
    /// The change.
    pub change: Change,
    /// What became of it.
    pub result: ChangeResult,
}

/// What an apply did.
#[derive(Debug, Default)]
pub struct ApplyReport {
    /// Every change of the plan, in its order.
    pub outcomes: Vec<Outcome>,
    /// Zones whose primary failed (unreachable, REFUSED, NOTAUTH): errors.
    pub errors: Vec<ZoneProblem>,
    /// What stopped the whole apply (a refused key, a journal that cannot
    /// be written); the changes after it were not sent.
    pub fatal: Option<UpdateError>,
}

impl ApplyReport {
    /// True when every change was applied.
    pub fn all_applied(&self) -> bool {
        self.outcomes
            .iter()
            .all(|o| o.result == ChangeResult::Applied)
    }
}

/// The UPDATE that turns `change.before` into `change.after` in `zone`:
/// prerequisites "the record set is exactly `before`" (value-dependent, RFC
/// 2136 §2.4.2) or "no such record set" (§2.4.3), then the set deleted and
/// `after` added.
pub(crate) fn update_message(zone: &str, change: &Change) -> Result<Message, UpdateError> {
    let mut message = update_for(zone)?;
    let owner = to_name(&change.owner)?;
    let rtype = change.rtype.record_type();
    if change.before.is_empty() {
        let mut none = Record::update0(owner.clone(), 0, rtype);
        none.dns_class = DNSClass::NONE;
        message.add_pre_requisite(none);
    }
    for rr in &change.before {
        message.add_pre_requisite(Record::from_rdata(
            owner.clone(),
            0,
            rdata(change.rtype, rr)?,
        ));
    }
    let mut delete = Record::update0(owner.clone(), 0, rtype);
    delete.dns_class = DNSClass::ANY;
    message.add_update(delete);
    for rr in &change.after {
        message.add_update(Record::from_rdata(
            owner.clone(),
            rr.ttl,
            rdata(change.rtype, rr)?,
        ));
    }
    Ok(message)
}

/// Sends every change of `plan` to its zone's primary, signed with `key`,
/// each written to `journal` (when given) before it is sent and its outcome
/// after. With `check_serials`, a zone whose SOA serial moved since the plan
/// is not touched (a saved plan applied later).
pub fn apply(
    plan: &Plan,
    key: &TsigKey,
    mut journal: Option<&mut Journal>,
    check_serials: bool,
) -> ApplyReport {
    let mut report = ApplyReport::default();
    for zc in &plan.zones {
        let mut stop: Option<String> = report
            .fatal
            .as_ref()
            .map(|e| format!("the apply stopped: {e}"));
        if let (None, true, Some(planned)) = (&stop, check_serials, zc.serial) {
            match serial(zc.server, &zc.zone) {
                Ok(now) if now == planned => {}
                Ok(now) => {
                    stop = Some(format!(
                        "the zone changed since the plan (SOA serial {planned}, now {now}): make a new plan"
                    ))
                }
                Err(message) => {
                    stop = Some(format!("the zone's primary failed: {message}"));
                    report.errors.push(ZoneProblem {
                        zone: zc.zone.clone(),
                        server: Some(zc.server),
                        message,
                    });
                }
            }
        }
        for change in &zc.changes {
            let result = match &stop {
                Some(why) => ChangeResult::NotSent { why: why.clone() },
                None => {
                    let (result, halt) = send(zc, change, key, journal.as_deref_mut(), &mut report);
                    if let Some(h) = halt {
                        stop = Some(h);
                    }
                    result
                }
            };
            report.outcomes.push(Outcome {
                zone: zc.zone.clone(),
                server: zc.server,
                change: change.clone(),
                result,
            });
        }
    }
    report
}

/// Sends one change; the result, and why the zone's further changes are
/// not sent, if they are not.
fn send(
    zc: &crate::plan::ZoneChanges,
    change: &Change,
    key: &TsigKey,
    journal: Option<&mut Journal>,
    report: &mut ApplyReport,
) -> (ChangeResult, Option<String>) {
    let message = match update_message(&zc.zone, change) {
        Ok(m) => m,
        Err(e) => return (ChangeResult::Failed { why: e.to_string() }, None),
    };
    let mut journal = journal;
    let id = match journal
        .as_deref_mut()
        .map(|j| j.begin(&zc.zone, zc.server, change))
    {
        None => None,
        Some(Ok(id)) => Some(id),
        Some(Err(e)) => {
            let why = format!("the journal cannot be written: {e}");
            report.fatal = Some(e);
            return (ChangeResult::NotSent { why: why.clone() }, Some(why));
        }
    };
    let zone_problem = |report: &mut ApplyReport, message: String| {
        report.errors.push(ZoneProblem {
            zone: zc.zone.clone(),
            server: Some(zc.server),
            message: message.clone(),
        });
        Some(format!("the zone's primary failed: {message}"))
    };
    let (result, halt) = match exchange(zc.server, &message, Some(key)) {
        Ok(reply) => match reply.metadata.response_code {
            ResponseCode::NoError => (ChangeResult::Applied, None),
            rc @ (ResponseCode::YXDomain
            | ResponseCode::YXRRSet
            | ResponseCode::NXRRSet
            | ResponseCode::NXDomain) => (
                ChangeResult::Changed {
                    rcode: rcode_name(rc),
                },
                None,
            ),
            rc @ (ResponseCode::Refused | ResponseCode::NotAuth) => {
                let why = format!(
                    "the server answered {} (the key may not update this zone, or the zone is not served there)",
                    rcode_name(rc)
                );
                let halt = zone_problem(report, why.clone());
                (ChangeResult::Failed { why }, halt)
            }
            rc => (
                ChangeResult::Failed {
                    why: format!("the server answered {}", rcode_name(rc)),
                },
                None,
            ),
        },
        Err(e @ UpdateError::Tsig { .. }) => {
            let why = e.to_string();
            report.fatal = Some(e);
            (ChangeResult::Failed { why: why.clone() }, Some(why))
        }
        Err(e @ UpdateError::Unreachable { .. }) => {
            let why = e.to_string();
            let halt = zone_problem(report, why.clone());
            (ChangeResult::Unknown { why }, halt)
        }
        Err(e) => {
            let why = e.to_string();
            let halt = zone_problem(report, why.clone());
            (ChangeResult::Failed { why }, halt)
        }
    };
    if let (Some(j), Some(id)) = (journal, id)
        && let Err(e) = j.end(id, &result)
    {
        let why = format!("the journal cannot be written: {e}");
        report.fatal = Some(e);
        return (result, Some(why));
    }
    (result, halt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Rr, RrType};

    #[test]
    fn an_update_carries_the_set_seen_as_its_prerequisite() {
        let change = Change {
            owner: "10.8/29.113.0.203.in-addr.arpa.".into(),
            rtype: RrType::Ptr,
            before: vec![Rr {
                ttl: 300,
                data: "old.example.".into(),
            }],
            after: vec![Rr {
                ttl: 3600,
                data: "mail10.example.".into(),
            }],
            addresses: vec!["203.0.113.10".parse().unwrap()],
        };
        let m = update_message("8/29.113.0.203.in-addr.arpa.", &change).unwrap();
        assert_eq!(m.zones().len(), 1);
        let pre = m.prerequisites();
        assert_eq!(pre.len(), 1);
        assert_eq!(pre[0].dns_class, DNSClass::IN);
        assert_eq!(pre[0].ttl, 0);
        let up = m.updates();
        assert_eq!(up.len(), 2);
        assert_eq!(up[0].dns_class, DNSClass::ANY, "the set is deleted first");
        assert_eq!(up[1].ttl, 3600);
        // Nothing before: "no such record set" (class NONE).
        let reversed = Change {
            before: vec![],
            ..change.clone()
        };
        let m = update_message("8/29.113.0.203.in-addr.arpa.", &reversed).unwrap();
        assert_eq!(m.prerequisites()[0].dns_class, DNSClass::NONE);
        // Undoing a change leaves the set that was there.
        let back = change.reversed();
        assert_eq!(back.after, change.before);
        assert_eq!(back.before, change.after);
    }
}
