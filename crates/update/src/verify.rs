//! Asking again after an apply: every touched address's PTR and the
//! forward records of its expected name, each name asked at its own primary
//! (no cache in between) or through a resolver (`--verify-resolver`); and,
//! after a rollback, every record set against the one it should be again.

use std::net::{IpAddr, SocketAddr};

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RData;
use ptr_audit_model::reverse_name;

use crate::exchange::{data_of, from_name, query, rcode_name};
use crate::plan::{Check, Plan, RrType};
use crate::route::Routes;

/// Aliases followed before giving up.
const MAX_HOPS: usize = 8;

/// Whom to ask.
#[derive(Clone, Debug)]
pub enum Via {
    /// Each name at the primary of its zone, without recursion.
    Primaries(Routes),
    /// Everything through this resolver, with recursion.
    Resolver(SocketAddr),
}

/// One address (or, after a rollback, one record set) asked about again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recheck {
    /// The address.
    pub ip: IpAddr,
    /// The name checked (the expected name; after a rollback, the owner).
    pub name: String,
    /// Fixed (after a rollback: restored).
    pub ok: bool,
    /// What DNS holds now (names from DNS, to be escaped for output).
    pub detail: String,
}

/// The records of `rtype` for `name`, following aliases; `Err` with why
/// no answer counts.
fn resolve(via: &Via, name: &str, rtype: RrType) -> Result<Vec<String>, String> {
    let mut current = name.to_ascii_lowercase();
    for _ in 0..MAX_HOPS {
        let (server, recurse) = match via {
            Via::Primaries(routes) => (
                routes
                    .server_for(&current)
                    .ok_or_else(|| format!("no server for `{current}`"))?,
                false,
            ),
            Via::Resolver(r) => (*r, true),
        };
        let reply =
            query(server, &current, rtype.record_type(), recurse).map_err(|e| e.to_string())?;
        let rcode = reply.metadata.response_code;
        if rcode == ResponseCode::NXDomain {
            return Ok(Vec::new());
        }
        if rcode != ResponseCode::NoError {
            return Err(format!(
                "`{server}` answered {} for {current} {}",
                rcode_name(rcode),
                rtype.as_str()
            ));
        }
        // Walk the aliases the answer holds.
        let asked = current.clone();
        for _ in 0..MAX_HOPS {
            let alias = reply.answers.iter().find_map(|r| match &r.data {
                RData::CNAME(c) if from_name(&r.name).eq_ignore_ascii_case(&current) => {
                    Some(from_name(&c.0).to_ascii_lowercase())
                }
                _ => None,
            });
            match alias {
                Some(next) => current = next,
                None => break,
            }
        }
        let found: Vec<String> = reply
            .answers
            .iter()
            .filter(|r| from_name(&r.name).eq_ignore_ascii_case(&current))
            .filter_map(|r| data_of(r, rtype))
            .collect();
        if !found.is_empty() || current == asked {
            return Ok(found);
        }
        // The answer stopped at an alias whose target it does not hold:
        // ask for the target (at its own primary).
    }
    Err(format!("more than {MAX_HOPS} aliases"))
}

/// Asks again for every check of `plan`: fixed when the address's PTR set
/// is exactly its expected name and that name's A/AAAA records hold it.
pub fn verify(plan: &Plan, touched: &[IpAddr], via: &Via) -> Vec<Recheck> {
    plan.checks
        .iter()
        .filter(|c| touched.contains(&c.ip))
        .map(|c| check(c, via))
        .collect()
}

fn check(c: &Check, via: &Via) -> Recheck {
    let start = c.ptr_owner.clone().unwrap_or_else(|| reverse_name(c.ip));
    let forward = if c.ip.is_ipv4() {
        RrType::A
    } else {
        RrType::Aaaa
    };
    let ptr = resolve(via, &start, RrType::Ptr);
    let addrs = resolve(via, &c.name, forward);
    let ptr_ok =
        matches!(&ptr, Ok(names) if names.len() == 1 && names[0].eq_ignore_ascii_case(&c.name));
    let fwd_ok =
        matches!(&addrs, Ok(a) if a.iter().any(|a| a.parse::<IpAddr>().ok() == Some(c.ip)));
    let show = |r: &Result<Vec<String>, String>, what: &str| match r {
        Ok(v) if v.is_empty() => format!("no {what}"),
        Ok(v) => format!("{what} {}", v.join(" ")),
        Err(e) => format!("{what} unknown ({e})"),
    };
    Recheck {
        ip: c.ip,
        name: c.name.clone(),
        ok: ptr_ok && fwd_ok,
        detail: format!(
            "{}; {} {}",
            show(&ptr, "PTR"),
            c.name,
            show(&addrs, forward.as_str())
        ),
    }
}

/// After a rollback: asks each changed owner's primary whether its record
/// set is the one the rollback leaves (`after`), ignoring TTLs.
pub fn verify_changes(plan: &Plan) -> Vec<Recheck> {
    let mut out = Vec::new();
    for zc in &plan.zones {
        let via = Via::Primaries(Routes::single(zc.server));
        for change in &zc.changes {
            let now = resolve(&via, &change.owner, change.rtype);
            let mut want: Vec<String> = change
                .after
                .iter()
                .map(|r| r.data.to_ascii_lowercase())
                .collect();
            want.sort();
            let ok = matches!(&now, Ok(v) if {
                let mut v: Vec<String> = v.iter().map(|d| d.to_ascii_lowercase()).collect();
                v.sort();
                v.dedup();
                v == want
            });
            let detail = match &now {
                Ok(v) if v.is_empty() => format!("no {}", change.rtype.as_str()),
                Ok(v) => format!("{} {}", change.rtype.as_str(), v.join(" ")),
                Err(e) => format!("unknown ({e})"),
            };
            for ip in &change.addresses {
                out.push(Recheck {
                    ip: *ip,
                    name: change.owner.clone(),
                    ok,
                    detail: detail.clone(),
                });
            }
        }
    }
    out
}
