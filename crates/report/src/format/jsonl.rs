//! `jsonl`: one record per line, written as it arrives (also the
//! `--checkpoint` format).

use std::io::{self, Write};

use ptr_audit_model::AddressRecord;

use crate::record::write::RecordWriter;
use crate::{AddressJudgement, ReportEnd, Sink, SinkOptions};

pub(crate) struct JsonlSink {
    out: Box<dyn Write + Send>,
    flush_each: bool,
    line: String,
    writer: RecordWriter,
}

impl JsonlSink {
    pub(crate) fn new(out: Box<dyn Write + Send>, options: &SinkOptions) -> Self {
        Self {
            out,
            flush_each: options.flush_each_record,
            line: String::with_capacity(1024),
            writer: RecordWriter::new(),
        }
    }
}

impl Sink for JsonlSink {
    fn record(&mut self, rec: &AddressRecord, _judgement: &AddressJudgement) -> io::Result<()> {
        // One write per line, so a crash leaves at most a torn last line.
        self.line.clear();
        self.writer.write(&mut self.line, rec);
        self.line.push('\n');
        self.out.write_all(self.line.as_bytes())?;
        if self.flush_each {
            self.out.flush()?;
        }
        Ok(())
    }

    fn finish(&mut self, _end: &ReportEnd<'_>) -> io::Result<()> {
        self.out.flush()
    }
}
