//! Checks the fixture itself, without the code under test: the stock servers
//! serve the zones the way `expected.tsv` assumes (the PTR names, the CNAME
//! chains, forward confirmation holding or failing, SERVFAIL and REFUSED where
//! the delegations are broken). If this test fails, the zones and the expected
//! results disagree, and a scan test failing beside it says nothing about the
//! scanner.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::dns;
use crate::expected::{self, Check, Row, Via};
use crate::servers::StockServers;

const WAIT: Duration = Duration::from_secs(3);

/// Response code SERVFAIL.
const SERVFAIL: u8 = 2;
/// Response code REFUSED.
const REFUSED: u8 = 5;

fn check_row(server: SocketAddr, via: Via, ip: IpAddr, row: &Row, problems: &mut String) {
    let mut problem = |what: String| {
        let _ = writeln!(
            problems,
            "{ip} (expected.tsv:{}, via {via:?}): {what}",
            row.line
        );
    };
    if row.status == "lookup-failed" {
        // A lame server is checked by the scans only: asserting that nothing
        // answers would be a timed assertion.
        let want = match (&row.reason, &row.chain) {
            (Check::Is(r), _) if r == "servfail" => SERVFAIL,
            (Check::Is(r), Check::Is(c)) if r == "refused" && c.is_empty() => REFUSED,
            _ => return,
        };
        match dns::query(server, &dns::reverse_name(ip), dns::PTR, WAIT) {
            Ok(reply) if reply.rcode == want => {}
            Ok(reply) => problem(format!("rcode {} instead of {want}", reply.rcode)),
            Err(e) => problem(format!("no reply: {e}")),
        }
        return;
    }
    let reply = match dns::query(server, &dns::reverse_name(ip), dns::PTR, WAIT) {
        Ok(reply) => reply,
        Err(e) => return problem(format!("no reply to the PTR query: {e}")),
    };
    if reply.rcode != dns::NOERROR && reply.rcode != dns::NXDOMAIN {
        problem(format!("PTR query answered rcode {}", reply.rcode));
    }
    let ptrs: BTreeSet<String> = reply.data_of(dns::PTR).into_iter().collect();
    if let Check::Is(want) = &row.ptr
        && &ptrs != want
    {
        problem(format!("PTR {ptrs:?}, expected {want:?}"));
    }
    if let Some(count) = row.ptr_count
        && ptrs.len() != count
    {
        problem(format!("{} PTR names, expected {count}", ptrs.len()));
    }
    if row.status == "ptr-missing" {
        if !ptrs.is_empty() {
            problem(format!("has PTR {ptrs:?} but is expected missing"));
        }
        let want_rcode = match &row.reason {
            Check::Is(r) if r == "nxdomain" => Some(dns::NXDOMAIN),
            Check::Is(r) if r == "nodata" => Some(dns::NOERROR),
            _ => None,
        };
        if let Some(want) = want_rcode
            && reply.rcode != want
        {
            problem(format!("rcode {} instead of {want}", reply.rcode));
        }
    }
    if let Check::Is(chain) = &row.chain {
        let got = reply.data_of(dns::CNAME);
        if &got != chain {
            problem(format!("CNAME chain {got:?}, expected {chain:?}"));
        }
    }
    if ptrs.is_empty() {
        return;
    }
    // Forward confirmation, the way the audit defines it: some A (IPv4) or
    // AAAA (IPv6) record of some PTR name equals the address.
    let qtype = if ip.is_ipv4() { dns::A } else { dns::AAAA };
    let mut confirmed_by = Vec::new();
    for name in &ptrs {
        match dns::query(server, name, qtype, WAIT) {
            Ok(reply) => {
                if reply
                    .data_of(qtype)
                    .iter()
                    .any(|a| a.parse::<IpAddr>().is_ok_and(|a| a == ip))
                {
                    confirmed_by.push(name.clone());
                }
            }
            Err(e) => problem(format!("no reply to the forward query for {name}: {e}")),
        }
    }
    let want_fcrdns_failed = row.codes.contains("fcrdns-failed");
    if want_fcrdns_failed && !confirmed_by.is_empty() {
        problem(format!(
            "expected fcrdns-failed but {confirmed_by:?} confirm it"
        ));
    }
    if !want_fcrdns_failed && confirmed_by.len() != ptrs.len() {
        problem(format!(
            "expected forward-confirmed, but only {confirmed_by:?} of {ptrs:?} confirm it"
        ));
    }
}

#[test]
fn stock_servers_serve_what_expected_tsv_assumes() {
    let Some(mut servers) =
        StockServers::start_or_skip("stock_servers_serve_what_expected_tsv_assumes")
    else {
        return;
    };
    let mut problems = String::new();
    let mut checked = 0;
    for (via, server) in [(Via::Unbound, servers.unbound), (Via::Nsd, servers.nsd)] {
        for (ip, row) in expected::load(via) {
            check_row(server, via, ip, &row, &mut problems);
            checked += 1;
        }
    }
    assert!(checked > 300, "only {checked} rows checked");
    assert!(
        problems.is_empty(),
        "the zones and expected.tsv disagree:\n{problems}\n{}",
        servers.logs()
    );
}
