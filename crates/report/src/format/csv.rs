//! `csv`: one row per address (RFC 4180, CRLF line ends), every cell escaped
//! against formula injection; the last columns are the `iprev` result and one
//! verdict per receiver.

use std::io::{self, Write};

use ptr_audit_model::{AddressRecord, ReceiverId};

use super::{ptr_text, worst};
use crate::escape::csv;
use crate::{AddressJudgement, ReportEnd, Sink};

const HEADER: [&str; 14] = [
    "ip",
    "datacenter",
    "block",
    "policy",
    "status",
    "severity",
    "ptr",
    "expected",
    "result",
    "rcode",
    "attempts",
    "findings",
    "message",
    "iprev",
];

pub(crate) struct CsvSink {
    out: Box<dyn Write + Send>,
}

fn row(out: &mut dyn Write, cells: &[&str]) -> io::Result<()> {
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        out.write_all(csv(c).as_bytes())?;
    }
    out.write_all(b"\r\n")
}

impl CsvSink {
    pub(crate) fn new(mut out: Box<dyn Write + Send>) -> io::Result<Self> {
        // Then one column per receiver, named by its id, holding its verdict.
        let mut header: Vec<&str> = HEADER.to_vec();
        header.extend(ReceiverId::ALL.map(ReceiverId::as_str));
        row(&mut out, &header)?;
        Ok(Self { out })
    }
}

impl Sink for CsvSink {
    fn record(&mut self, rec: &AddressRecord, _judgement: &AddressJudgement) -> io::Result<()> {
        let block = &rec.target.block;
        let w = worst(rec);
        let codes: Vec<&str> = rec.findings.iter().map(|f| f.code.as_str()).collect();
        let rcode = rec.lookup.rcode.map(|r| r.as_str());
        let (ip, cidr, ptr, attempts) = (
            rec.target.ip.to_string(),
            block.cidr.to_string(),
            ptr_text(rec),
            rec.lookup.attempts.to_string(),
        );
        let codes = codes.join(" ");
        let mut cells: Vec<&str> = vec![
            &ip,
            &block.datacenter,
            &cidr,
            block.policy.as_str(),
            rec.status.as_str(),
            w.map_or("", |f| f.severity.as_str()),
            &ptr,
            rec.target.expected_ptr.as_deref().unwrap_or(""),
            rec.lookup.answer.result().as_str(),
            rcode.as_deref().unwrap_or(""),
            &attempts,
            &codes,
            w.map_or("", |f| f.message.as_str()),
            rec.iprev.as_str(),
        ];
        cells.extend(ReceiverId::ALL.map(|id| rec.receivers.verdict(id).as_str()));
        row(&mut self.out, &cells)
    }

    fn finish(&mut self, _end: &ReportEnd<'_>) -> io::Result<()> {
        self.out.flush()
    }
}
