//! `scan --dnsbl ZONE[=KIND]`, `--dnsbl-key-file` and `--dnsbl-resolver`:
//! the blocklists to ask, with the DQS key put into the zones that name it
//! (`{key}`) and kept out of everything shown.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use ptr_audit_model::{Dnsbl, DnsblKind};
use ptr_audit_scan::DnsblZone;

/// Where a zone takes the key of `--dnsbl-key-file`.
const KEY: &str = "{key}";

/// The blocklist options of `scan`.
#[derive(clap::Args, Debug, Default)]
pub struct DnsblArgs {
    /// Also look every address up in the DNS blocklist ZONE (repeatable). KIND says how to read
    /// its answers: `spamhaus-zen`, `spamhaus-pbl`, or `generic` (any 127.0.0.0/8 answer is a
    /// listing; the default). Write `{key}` where a Spamhaus DQS zone takes the key of
    /// `--dnsbl-key-file`: `--dnsbl '{key}.zen.dq.spamhaus.net=spamhaus-zen'`.
    #[arg(long = "dnsbl", value_name = "ZONE[=KIND]")]
    #[arg(help_heading = "Blocklists")]
    pub dnsbl_lists: Vec<String>,
    /// Read the DQS key for `{key}` in `--dnsbl` zones from FILE (one line). The key is never
    /// printed or written into a report: they show `{key}`.
    #[arg(long, value_name = "FILE")]
    #[arg(help_heading = "Blocklists")]
    pub dnsbl_key_file: Option<PathBuf>,
    /// The DNS server to ask the blocklists through (repeatable). Default: the scan's resolvers;
    /// required with `--zones`, whose embedded server knows only the zones it serves. Spamhaus
    /// refuses queries through public resolvers: name your own.
    #[arg(long = "dnsbl-resolver", value_name = "IP[:PORT]")]
    #[arg(help_heading = "Blocklists")]
    pub dnsbl_resolvers: Vec<String>,
}

impl DnsblArgs {
    /// The lists to ask and their servers (empty: the scan's); `with_zones`
    /// is true for a `--zones` scan.
    pub fn config(
        &self,
        with_zones: bool,
    ) -> anyhow::Result<(Vec<DnsblZone>, Vec<std::net::SocketAddr>)> {
        if self.dnsbl_lists.is_empty() {
            if self.dnsbl_key_file.is_some() || !self.dnsbl_resolvers.is_empty() {
                bail!("`--dnsbl-key-file` and `--dnsbl-resolver` need a `--dnsbl` list");
            }
            return Ok((Vec::new(), Vec::new()));
        }
        let key = self.dnsbl_key_file.as_deref().map(read_key).transpose()?;
        let mut zones = Vec::with_capacity(self.dnsbl_lists.len());
        let mut key_used = false;
        for spec in &self.dnsbl_lists {
            let (zone, kind) = parse_spec(spec, key.as_deref())?;
            let shown = match &key {
                // a key written out in a zone is hidden too
                Some(k) => zone.replace(k.as_str(), KEY),
                None => zone.clone(),
            };
            let queried = if zone.contains(KEY) {
                let Some(k) = &key else {
                    bail!("`--dnsbl {shown}` names `{KEY}`: give the key with `--dnsbl-key-file`");
                };
                key_used = true;
                zone.replace(KEY, k)
            } else {
                zone
            };
            let list = Arc::new(Dnsbl {
                name: shown.to_ascii_lowercase(),
                kind,
            });
            if zones.iter().any(|z: &DnsblZone| z.list().name == list.name) {
                bail!("`--dnsbl {}` is given twice", list.name);
            }
            zones.push(
                DnsblZone::new(list, &queried)
                    .with_context(|| "cannot use a `--dnsbl` zone".to_string())?,
            );
        }
        if key.is_some() && !key_used {
            bail!("`--dnsbl-key-file` is given but no `--dnsbl` zone names `{KEY}`");
        }
        let servers = self
            .dnsbl_resolvers
            .iter()
            .map(|r| super::scan::parse_resolver(r))
            .collect::<anyhow::Result<Vec<_>>>()?;
        if with_zones && servers.is_empty() {
            bail!(
                "`--dnsbl` with `--zones` needs `--dnsbl-resolver`: the embedded server knows only the zones it serves"
            );
        }
        Ok((zones, servers))
    }
}

/// `ZONE[=KIND]` → (zone, kind). Errors show the spec with the key hidden.
fn parse_spec(spec: &str, key: Option<&str>) -> anyhow::Result<(String, DnsblKind)> {
    let shown = match key {
        Some(k) => spec.replace(k, KEY),
        None => spec.to_owned(),
    };
    let (zone, kind) = match spec.rsplit_once('=') {
        Some((zone, kind)) => {
            let Some(kind) = DnsblKind::parse(kind) else {
                let kinds: Vec<&str> = DnsblKind::ALL.iter().map(|k| k.as_str()).collect();
                bail!(
                    "`--dnsbl {shown}`: unknown kind; expected one of `{}`",
                    kinds.join("`, `")
                );
            };
            (zone, kind)
        }
        None => (spec, DnsblKind::Generic),
    };
    let zone = zone.trim().trim_end_matches('.');
    if zone.is_empty() {
        bail!("`--dnsbl {shown}`: the zone is empty");
    }
    Ok((zone.to_owned(), kind))
}

/// The key of a key file: its one non-empty line, a DNS label of letters and
/// digits. Errors never quote it.
fn read_key(path: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the DNSBL key file `{}`", path.display()))?;
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let (Some(key), None) = (lines.next(), lines.next()) else {
        bail!(
            "the DNSBL key file `{}` must hold exactly one line, the key",
            path.display()
        );
    };
    if key.len() > 63 || !key.bytes().all(|b| b.is_ascii_alphanumeric()) {
        bail!(
            "the DNSBL key file `{}` does not hold a key (letters and digits, at most 63)",
            path.display()
        );
    }
    Ok(key.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(lists: &[&str], key: Option<&Path>, resolvers: &[&str]) -> DnsblArgs {
        DnsblArgs {
            dnsbl_lists: lists.iter().map(|s| s.to_string()).collect(),
            dnsbl_key_file: key.map(Path::to_path_buf),
            dnsbl_resolvers: resolvers.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn the_key_goes_into_the_zone_and_nowhere_else() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("dqs.key");
        std::fs::write(&file, "s3cr3tkey0123456789abcdefg\n").unwrap();
        let (zones, servers) = args(
            &["{key}.zen.dq.spamhaus.net=spamhaus-zen", "bl.example"],
            Some(&file),
            &[],
        )
        .config(false)
        .unwrap();
        assert!(servers.is_empty());
        assert_eq!(zones[0].list().name, "{key}.zen.dq.spamhaus.net");
        assert_eq!(zones[0].list().kind, DnsblKind::SpamhausZen);
        assert_eq!(zones[1].list().kind, DnsblKind::Generic);
        assert!(!format!("{zones:?}").contains("s3cr3tkey"));
        // written out literally: hidden in the name as well
        let (zones, _) = args(
            &[
                "s3cr3tkey0123456789abcdefg.zen.dq.spamhaus.net=spamhaus-zen",
                "{key}.x.example",
            ],
            Some(&file),
            &[],
        )
        .config(false)
        .unwrap();
        assert_eq!(zones[0].list().name, "{key}.zen.dq.spamhaus.net");
        // errors never quote it
        for bad in [
            args(&["s3cr3tkey0123456789abcdefg.zen=nope"], Some(&file), &[]),
            args(&["{key}..zen"], Some(&file), &[]),
            args(&["zen.example"], Some(&file), &[]),
        ] {
            let e = format!("{:#}", bad.config(false).unwrap_err());
            assert!(!e.contains("s3cr3tkey"), "{e}");
        }
    }

    #[test]
    fn options_that_cannot_work_are_refused() {
        let e = |a: DnsblArgs, zones| format!("{:#}", a.config(zones).unwrap_err());
        assert!(e(args(&["{key}.zen"], None, &[]), false).contains("--dnsbl-key-file"));
        assert!(e(args(&["zen.example"], None, &[]), true).contains("--dnsbl-resolver"));
        assert!(e(args(&[], None, &["127.0.0.1"]), false).contains("need a `--dnsbl`"));
        assert!(e(args(&["a.example", "A.example."], None, &[]), false).contains("twice"));
        assert!(e(args(&["a.example=zen"], None, &[]), false).contains("spamhaus-zen"));
        let (_, servers) = args(&["a.example"], None, &["127.0.0.1:5300"])
            .config(true)
            .unwrap();
        assert_eq!(servers, vec!["127.0.0.1:5300".parse().unwrap()]);
    }
}
