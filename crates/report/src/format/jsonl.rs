//! `jsonl`: one record per line, written as it arrives (also the
//! `--checkpoint` format).

use std::io::{self, Write};

use ptr_audit_model::AddressRecord;

use crate::wire::RecordOut;
use crate::{ReportEnd, Sink, SinkOptions};

pub(crate) struct JsonlSink {
    out: Box<dyn Write + Send>,
    flush_each: bool,
    line: Vec<u8>,
}

impl JsonlSink {
    pub(crate) fn new(out: Box<dyn Write + Send>, options: &SinkOptions) -> Self {
        Self {
            out,
            flush_each: options.flush_each_record,
            line: Vec::with_capacity(1024),
        }
    }
}

impl Sink for JsonlSink {
    fn record(&mut self, rec: &AddressRecord) -> io::Result<()> {
        // One write per line, so a crash leaves at most a torn last line.
        self.line.clear();
        serde_json::to_writer(&mut self.line, &RecordOut(rec))?;
        self.line.push(b'\n');
        self.out.write_all(&self.line)?;
        if self.flush_each {
            self.out.flush()?;
        }
        Ok(())
    }

    fn finish(&mut self, _end: &ReportEnd<'_>) -> io::Result<()> {
        self.out.flush()
    }
}
