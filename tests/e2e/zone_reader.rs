//! The zone reader against BIND: every zone file of the tests, zones made of
//! generated `$GENERATE` lines and zones signed at test time with
//! `dnssec-keygen`/`dnssec-signzone` must load into the same record set in
//! our reader as in `named-checkzone -D` (BIND's own dump of what it
//! loaded). The signed zones are then served by the embedded server and read
//! back with `dig`, whose BIND decoder must print the DNSSEC records we
//! encoded exactly as `named-checkzone` printed them.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use ptr_audit_dnsserver::{ZoneServer, ZoneSet};

use crate::servers::binaries_or_skip;

/// The directories of zone files the tests use.
fn zone_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    vec![
        root.join("tests/e2e-zones/zones"),
        root.join("inventories/example/zones"),
        root.join("tests/zone-reader"),
    ]
}

/// `named-checkzone -D` of one zone: BIND's dump of the records it loaded,
/// its checks of names and glue off (we compare data, not policy).
fn named_dump(checkzone: &Path, dir: &Path, origin: &str, file: &Path) -> String {
    let out = Command::new(checkzone)
        .current_dir(dir)
        .args([
            "-i", "none", "-k", "ignore", "-n", "ignore", "-D", "-o", "-",
        ])
        .arg(origin)
        .arg(file)
        .output()
        .expect("run named-checkzone");
    let stdout = String::from_utf8(out.stdout).expect("named-checkzone prints UTF-8");
    assert!(
        out.status.success(),
        "named-checkzone refused {}:\n{stdout}{}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Loads `dir` with our reader and with BIND, and compares the record sets.
fn assert_same_as_bind(checkzone: &Path, dir: &Path) -> ZoneSet {
    let ours = ZoneSet::load_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut bind = ZoneSet::new();
    for (origin, file) in ours.sources() {
        let dump = named_dump(checkzone, dir, &origin, file);
        bind.add_text(&origin, &dump)
            .unwrap_or_else(|e| panic!("BIND's dump of `{origin}`: {e}\n{dump}"));
    }
    // BIND's dump is plain data: the reader must take all of it but the
    // types it skips by design (LOC, whose text form it does not encode)
    let skipped: Vec<String> = bind
        .warnings()
        .iter()
        .map(ToString::to_string)
        .filter(|w| !w.contains(" LOC record "))
        .collect();
    assert!(skipped.is_empty(), "{}: {skipped:#?}", dir.display());
    let (ours_lines, bind_lines) = (ours.canonical_lines(), bind.canonical_lines());
    let only_ours: Vec<&String> = ours_lines
        .iter()
        .filter(|l| bind_lines.binary_search(l).is_err())
        .collect();
    let only_bind: Vec<&String> = bind_lines
        .iter()
        .filter(|l| ours_lines.binary_search(l).is_err())
        .collect();
    assert!(
        only_ours.is_empty() && only_bind.is_empty() && ours_lines.len() == bind_lines.len(),
        "{}: our reader and named-checkzone differ\nonly ours: {only_ours:#?}\nonly BIND's: {only_bind:#?}",
        dir.display()
    );
    ours
}

#[test]
fn every_zone_file_of_the_tests_reads_as_bind_reads_it() {
    let Some(bins) = binaries_or_skip("zone reader vs named-checkzone", &["named-checkzone"])
    else {
        return;
    };
    for dir in zone_dirs() {
        let zones = assert_same_as_bind(&bins[0], &dir);
        assert!(zones.len() >= 5, "{}: {:?}", dir.display(), zones.origins());
        if dir.ends_with("zone-reader") {
            // what the reader skipped or changed, each with its file and line
            let warnings: Vec<String> = zones.warnings().iter().map(ToString::to_string).collect();
            for needle in [
                "duplicates.example.zone:11: TTL 900 differs",
                "outside.example.zone:7: `glue.elsewhere.example.` is outside the zone",
                "outside.example.zone:9: `stray.elsewhere.example.` is outside the zone",
                "unknown-types.example.zone:16: ",
            ] {
                assert!(
                    warnings.iter().any(|w| w.contains(needle)),
                    "no warning `{needle}` in {warnings:#?}"
                );
            }
            assert!(zones.origins().contains(&"example.com.".to_owned()));
        }
    }
}

/// A small deterministic generator (xorshift) for the `$GENERATE` zones.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// One random `$GENERATE` line: its range, step, modifiers and record type.
fn generate_line(rng: &mut Rng, n: usize) -> String {
    let start = rng.below(300);
    let stop = start + rng.below(400);
    let step = 1 + rng.below(9);
    let base = ["d", "o", "x", "X", "n", "N"][rng.below(6) as usize];
    let owner_mod = match rng.below(4) {
        0 => "$".to_owned(),
        1 => format!("${{{}}}", rng.below(50)),
        2 => format!("${{{},{}}}", rng.below(50), rng.below(6)),
        _ => format!("${{{},{},{base}}}", rng.below(50), rng.below(8)),
    };
    let ttl = if rng.below(2) == 0 {
        format!(" {}", 60 + rng.below(3600))
    } else {
        String::new()
    };
    let (data, start, stop) = match rng.below(4) {
        0 => (
            format!("PTR host-${{0,{},x}}.gen{n}.example.", rng.below(5)),
            start,
            stop,
        ),
        // an IPv4 address's last octet stays below 256
        1 => (
            "A 192.0.2.${0,0,d}".to_owned(),
            start % 100,
            start % 100 + stop % 150,
        ),
        2 => (format!("TXT \"item $ of {n} \\$ $$\""), start, stop),
        _ => ("CNAME target-$".to_owned(), start, stop),
    };
    format!("$GENERATE {start}-{stop}/{step} g{n}-{owner_mod}.sub{n}{ttl} {data}\n")
}

#[test]
fn generated_generate_zones_read_as_bind_reads_them() {
    let Some(bins) = binaries_or_skip("$GENERATE vs named-checkzone", &["named-checkzone"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for zone in 0..12 {
        let mut text = format!(
            "$TTL 300\n@ IN SOA ns1 hostmaster {zone} 3600 600 86400 300\n@ IN NS ns1\nns1 IN A 192.0.2.53\n"
        );
        for n in 0..4 {
            text.push_str(&generate_line(&mut rng, zone * 10 + n));
        }
        fs::write(dir.path().join(format!("gen{zone}.example.zone")), text).unwrap();
    }
    let zones = assert_same_as_bind(&bins[0], dir.path());
    assert_eq!(zones.len(), 12);
    assert!(
        zones.record_count() > 12 * 4 * 10,
        "{}",
        zones.record_count()
    );
}

/// Signs `zone` (origin, text) in `dir` with a fresh KSK and ZSK; `nsec3`
/// makes an NSEC3 chain instead of NSEC. Returns the signed file.
fn sign(bins: &[PathBuf], dir: &Path, origin: &str, text: &str, nsec3: bool) -> PathBuf {
    let (keygen, signzone) = (&bins[1], &bins[2]);
    let unsigned = dir.join(format!("{origin}unsigned"));
    fs::write(&unsigned, text).unwrap();
    for ksk in [true, false] {
        let mut cmd = Command::new(keygen);
        cmd.current_dir(dir)
            .args(["-q", "-a", "ECDSAP256SHA256", "-K"])
            .arg(dir);
        if ksk {
            cmd.args(["-f", "KSK"]);
        }
        let out = cmd.arg(origin).output().expect("run dnssec-keygen");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let signed = dir.join(format!("{origin}zone"));
    let mut cmd = Command::new(signzone);
    cmd.current_dir(dir).args(["-q", "-S", "-K"]).arg(dir);
    if nsec3 {
        cmd.args(["-3", "-"]);
    }
    let out = cmd
        .arg("-o")
        .arg(origin)
        .arg("-f")
        .arg(&signed)
        .arg(&unsigned)
        .output()
        .expect("run dnssec-signzone");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    fs::remove_file(&unsigned).unwrap();
    signed
}

/// A line of BIND's presentation (`dig` answers, `named-checkzone -D`) with
/// the spacing, case and base64 chunking made uniform.
fn normalized(line: &str) -> Option<String> {
    let mut fields = line.split_whitespace();
    let (owner, ttl, class, rtype) = (
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
    );
    let data: String = fields.collect();
    Some(format!("{owner} {ttl} {class} {rtype} {data}").to_ascii_lowercase())
}

#[test]
fn signed_zones_read_as_bind_reads_them_and_dig_decodes_what_we_serve() {
    let Some(bins) = binaries_or_skip(
        "signed zones vs named-checkzone and dig",
        &["named-checkzone", "dnssec-keygen", "dnssec-signzone", "dig"],
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let keys = tempfile::tempdir().unwrap();
    let reverse = "113.0.203.in-addr.arpa.";
    let body = "$TTL 300\n\
        @ IN SOA ns1.examplehost.net. hostmaster.examplehost.net. 1 3600 600 86400 300\n\
        @ IN NS ns1.examplehost.net.\n\
        $GENERATE 1-40 $ PTR host-$.fra1.examplehost.net.\n\
        41 IN CNAME 41.0/26\n\
        0/26 IN NS ns1.customer-b.example.\n\
        50 IN TXT \"reserved\"\n";
    fs::copy(
        sign(&bins, keys.path(), reverse, body, false),
        dir.path().join("113.0.203.in-addr.arpa.zone"),
    )
    .unwrap();
    let forward = "signed3.example.";
    let body3 = "$TTL 300\n\
        @ IN SOA ns1 hostmaster 1 3600 600 86400 300\n\
        @ IN NS ns1\n\
        ns1 IN A 192.0.2.53\n\
        $GENERATE 1-20 host-$ A 192.0.2.$\n\
        www IN CNAME host-1\n";
    fs::copy(
        sign(&bins, keys.path(), forward, body3, true),
        dir.path().join("signed3.example.zone"),
    )
    .unwrap();
    let zones = assert_same_as_bind(&bins[0], dir.path());
    assert!(zones.warnings().is_empty(), "{:?}", zones.warnings());

    // BIND's dump, normalized, is what dig must read back from our server
    // (RRSIG and NSEC at a CNAME's name excepted: hickory-server serves
    // nothing beside a CNAME; and names under a delegation).
    let mut expected = BTreeSet::new();
    let mut queries = BTreeSet::new();
    for (origin, file) in zones.sources() {
        let dump = named_dump(&bins[0], dir.path(), &origin, file);
        let cnames: BTreeSet<String> = dump
            .lines()
            .filter_map(normalized)
            .filter(|l| l.split(' ').nth(3) == Some("cname"))
            .map(|l| l.split(' ').next().unwrap().to_owned())
            .collect();
        // names at or below a delegation are REFUSED by design (their
        // PTR is unknown offline)
        let cuts: Vec<String> = dump
            .lines()
            .filter_map(normalized)
            .filter(|l| l.split(' ').nth(3) == Some("ns"))
            .map(|l| l.split(' ').next().unwrap().to_owned())
            .filter(|owner| *owner != origin.to_ascii_lowercase())
            .collect();
        for line in dump.lines().filter_map(normalized) {
            let f: Vec<&str> = line.split(' ').collect();
            if cnames.contains(f[0]) && matches!(f[3], "rrsig" | "nsec") {
                continue;
            }
            if cuts
                .iter()
                .any(|cut| f[0] == cut || f[0].ends_with(&format!(".{cut}")))
            {
                continue;
            }
            // the DNSSEC data and the records that carry the zone
            if matches!(
                f[3],
                "rrsig" | "dnskey" | "nsec" | "nsec3" | "nsec3param" | "soa" | "ptr" | "a"
            ) {
                queries.insert(format!("{} {}", f[0], f[3].to_ascii_uppercase()));
                expected.insert(line);
            }
        }
    }
    assert!(expected.iter().any(|l| l.contains(" nsec3 ")));
    assert!(expected.iter().any(|l| l.contains(" nsec ")));
    let server = ZoneServer::spawn(zones).unwrap();
    let batch = dir.path().join("dig.batch");
    fs::write(
        &batch,
        queries.iter().map(|q| format!("{q}\n")).collect::<String>(),
    )
    .unwrap();
    let out = Command::new(&bins[3])
        .args([
            "+tcp",
            "+norec",
            "+noall",
            "+answer",
            "+nocookie",
            "+noedns",
        ])
        .arg(format!("@{}", server.addr().ip()))
        .args(["-p", &server.addr().port().to_string(), "-f"])
        .arg(&batch)
        .output()
        .expect("run dig");
    let answered: BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with(';'))
        .filter_map(normalized)
        .collect();
    let missing: Vec<&String> = expected.difference(&answered).collect();
    let extra: Vec<&String> = answered.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "dig read back other data than BIND loaded\nmissing: {missing:#?}\nextra: {extra:#?}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(answered.len() > 100, "{}", answered.len());
}
