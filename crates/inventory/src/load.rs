//! Reading inputs (inventory YAML files, directories of them, CIDR lists,
//! command-line CIDRs, standard input) into the raw parts of `raw.rs`: YAML
//! files through the schema reader of `schema.rs`, CIDR lists here. Checks
//! that span files live in `check.rs`.

use std::io::Read;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use ptr_audit_model::{DatacenterStatus, Policy};

use crate::LoadError;
use crate::raw::{Loc, Raw, RawBlock, RawDatacenter};
use crate::schema::read_yaml;

/// The datacenter name given to plain CIDR input.
pub const PLAIN_DATACENTER: &str = "-";

/// Reads every input into a [`Raw`].
pub(crate) fn read_inputs(inputs: &[String]) -> Result<Raw, LoadError> {
    let mut raw = Raw::default();
    let mut args: Vec<(String, usize)> = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        if input == "-" {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|source| LoadError::Read {
                    path: "-".into(),
                    source,
                })?;
            read_text(&mut raw, PathBuf::from("-"), text, false);
            continue;
        }
        let path = Path::new(input);
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => read_dir(&mut raw, path)?,
            Ok(_) => {
                let text = read_file(path)?;
                let yaml_ext = has_yaml_ext(path);
                read_text(&mut raw, path.to_owned(), text, yaml_ext);
            }
            Err(source) => {
                if parse_net(input).is_ok() || looks_like_net(input) {
                    args.push((input.clone(), i));
                } else {
                    return Err(LoadError::Read {
                        path: path.to_owned(),
                        source,
                    });
                }
            }
        }
    }
    if !args.is_empty() {
        let text = args
            .iter()
            .map(|(a, _)| a.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let file = raw.add_source("<args>".into(), text);
        for (arg, _) in &args {
            plain_entry(
                &mut raw,
                arg,
                Loc {
                    file,
                    line: 0,
                    col: 0,
                },
            );
        }
    }
    Ok(raw)
}

/// Reads texts already in memory (e.g. an inventory at a git revision).
pub(crate) fn read_texts(texts: Vec<(PathBuf, String)>) -> Raw {
    let mut raw = Raw::default();
    for (path, text) in texts {
        let yaml_ext = has_yaml_ext(&path);
        read_text(&mut raw, path, text, yaml_ext);
    }
    raw
}

/// A command-line argument that is meant as a CIDR or address even if it does
/// not parse (so the error says what is wrong with it rather than "no such file").
fn looks_like_net(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_hexdigit() || matches!(c, '.' | ':' | '/'))
        && s.chars().any(|c| matches!(c, '.' | ':' | '/'))
        && s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_hexdigit() || c == ':')
}

fn has_yaml_ext(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

fn read_file(path: &Path) -> Result<String, LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Read {
        path: path.to_owned(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|_| LoadError::NotUtf8 {
        path: path.to_owned(),
    })
}

fn read_dir(raw: &mut Raw, dir: &Path) -> Result<(), LoadError> {
    let entries = std::fs::read_dir(dir).map_err(|source| LoadError::Read {
        path: dir.to_owned(),
        source,
    })?;
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| LoadError::Read {
            path: dir.to_owned(),
            source,
        })?;
        let path = entry.path();
        if has_yaml_ext(&path) && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    if paths.is_empty() {
        let file = raw.add_source(dir.to_owned(), String::new());
        raw.error(
            Loc {
                file,
                line: 0,
                col: 0,
            },
            "directory has no `*.yaml` or `*.yml` inventory file",
        );
    }
    for path in paths {
        let text = read_file(&path)?;
        read_text(raw, path, text, true);
    }
    Ok(())
}

/// Reads one text: YAML, or a CIDR list when it is not marked as YAML and its
/// first entry is a CIDR or address.
fn read_text(raw: &mut Raw, path: PathBuf, text: String, yaml_ext: bool) {
    let first_entry = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .find(|l| !l.is_empty())
        .map(str::to_owned);
    let is_list = !yaml_ext
        && first_entry
            .as_deref()
            .is_some_and(|e| parse_net(e.split_whitespace().next().unwrap_or("")).is_ok());
    let file = raw.add_source(path, text);
    if is_list {
        read_list(raw, file);
    } else {
        read_yaml(raw, file);
    }
}

fn read_list(raw: &mut Raw, file: u32) {
    let text = raw.sources.files[file as usize].1.clone();
    for (i, line) in text.lines().enumerate() {
        let content = line.split('#').next().unwrap_or("");
        let mut words = content.split_whitespace();
        let Some(word) = words.next() else { continue };
        let column = |w: &str| {
            let byte = w.as_ptr() as usize - content.as_ptr() as usize;
            u32::try_from(content[..byte].chars().count() + 1).unwrap_or(u32::MAX)
        };
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let loc = Loc {
            file,
            line: line_no,
            col: column(word),
        };
        if let Some(extra) = words.next() {
            raw.error(
                Loc {
                    col: column(extra),
                    ..loc
                },
                format!("unexpected `{extra}`: expected one CIDR or address per line"),
            );
            continue;
        }
        plain_entry(raw, word, loc);
    }
}

/// Adds one plain CIDR or address as a `hosting` block of datacenter `-`.
fn plain_entry(raw: &mut Raw, text: &str, loc: Loc) {
    let Some(cidr) = checked_net(raw, text, loc, "block") else {
        return;
    };
    let datacenter = match raw.plain_dc {
        Some(dc) => dc,
        None => {
            raw.datacenters.push(RawDatacenter {
                name: PLAIN_DATACENTER.into(),
                status: DatacenterStatus::Active,
                migrated_from: None,
                migrated_at: None,
                expect_pbl: false,
                severities: Vec::new(),
                note: None,
                loc,
                plain: true,
            });
            raw.plain_dc = Some(raw.datacenters.len() - 1);
            raw.datacenters.len() - 1
        }
    };
    raw.blocks.push(RawBlock {
        cidr,
        policy: Policy::Hosting,
        expect_ptr: None,
        expect_pbl: None,
        excludes: Vec::new(),
        sample: None,
        severities: Vec::new(),
        name: None,
        note: None,
        datacenter,
        loc,
        cidr_loc: loc,
    });
}

/// Parses a CIDR or a bare address (as a /32 or /128).
pub(crate) fn parse_net(text: &str) -> Result<IpNet, String> {
    if text.contains('/') {
        let (addr, len) = text.split_once('/').unwrap_or((text, ""));
        let ip: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{text}` is not a CIDR block: `{addr}` is not an address"))?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let len: u8 = len.parse().ok().filter(|l| *l <= max).ok_or_else(|| {
            format!("`{text}` is not a CIDR block: prefix length must be 0 to {max}")
        })?;
        IpNet::new(ip, len).map_err(|_| format!("`{text}` is not a CIDR block"))
    } else {
        let ip: IpAddr = text
            .parse()
            .map_err(|_| format!("`{text}` is not a CIDR block or an address"))?;
        Ok(IpNet::from(ip))
    }
}

/// Parses a CIDR, reporting unparseable text and host bits.
pub(crate) fn checked_net(raw: &mut Raw, text: &str, loc: Loc, what: &str) -> Option<IpNet> {
    match parse_net(text) {
        Ok(net) if net.trunc() != net => {
            raw.error_help(
                loc,
                format!("host bits set in {what} `{text}`"),
                Some(format!("did you mean `{}`?", net.trunc())),
            );
            None
        }
        Ok(net) => Some(net),
        Err(message) => {
            raw.error(loc, message);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nets_parse_with_clear_errors() {
        assert_eq!(
            parse_net("203.0.113.7").unwrap().to_string(),
            "203.0.113.7/32"
        );
        assert_eq!(parse_net("2001:db8::/32").unwrap().prefix_len(), 32);
        assert!(parse_net("203.0.113.0/33").unwrap_err().contains("0 to 32"));
        assert!(
            parse_net("203.0.113/24")
                .unwrap_err()
                .contains("not an address")
        );
        assert!(parse_net("fra1").is_err());
    }
}
