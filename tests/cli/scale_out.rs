//! The Kubernetes manifests of `docs/scale-out.md` parse, and their shard
//! arguments agree with the Indexed Job's size (no cluster needed).

use serde_json::Value;

fn documents(path: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    serde_saphyr::from_multiple::<Value>(&text)
        .unwrap_or_else(|e| panic!("`{path}` is not valid YAML: {e}"))
}

fn find_job<'a>(docs: &'a [Value], name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == "Job" && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no Job `{name}`"))
}

#[test]
fn the_indexed_job_runs_one_shard_per_completion_index() {
    let docs = documents("docs/k8s/ptr-audit-shards.yaml");
    let job = find_job(&docs, "ptr-audit-shards");
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"], "Indexed");
    let completions = spec["completions"].as_u64().unwrap();
    assert!(spec["parallelism"].as_u64().unwrap() <= completions);
    let container = &spec["template"]["spec"]["containers"][0];
    let command: Vec<String> = container["command"]
        .as_array()
        .unwrap()
        .iter()
        .chain(container["args"].as_array().unwrap())
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    let script = command.join(" ");
    let expected = format!("--shard $((JOB_COMPLETION_INDEX + 1))/{completions}");
    assert!(script.contains(&expected), "`{script}` lacks `{expected}`");
    assert!(
        script.contains("--output json=/reports/shard-$((JOB_COMPLETION_INDEX + 1)).json"),
        "shards must write json for merge, with --output (a shell `>` truncates the old report)"
    );
    assert!(
        !script.contains('>'),
        "a shell redirect truncates the report first"
    );
    assert!(
        script.contains("--fail-on never"),
        "a shard with findings must not fail its pod"
    );
    let requests = &container["resources"]["requests"];
    assert!(requests["cpu"].is_string() && requests["memory"].is_string());

    // The volume the shards write to is the one the merge step reads.
    let merge_docs = documents("docs/k8s/ptr-audit-merge.yaml");
    let merge = find_job(&merge_docs, "ptr-audit-merge");
    let claim = |job: &Value| {
        job["spec"]["template"]["spec"]["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .find_map(|v| v["persistentVolumeClaim"]["claimName"].as_str())
            .map(str::to_owned)
    };
    assert_eq!(claim(job), claim(merge));
    let merge_args = merge["spec"]["template"]["spec"]["containers"][0]["args"][0]
        .as_str()
        .unwrap();
    assert!(merge_args.contains("ptr-audit merge /reports/shard-*.json"));
}

#[test]
fn a_failed_merge_gate_is_not_retried_and_the_pods_match_the_dockerfile() {
    let docs = documents("docs/k8s/ptr-audit-merge.yaml");
    let merge = find_job(&docs, "ptr-audit-merge");
    let spec = &merge["spec"];
    // podFailurePolicy needs restartPolicy Never; exit 1 (gate) and 2 (bad
    // shard set) fail the Job at once.
    assert_eq!(spec["template"]["spec"]["restartPolicy"], "Never");
    let container = spec["template"]["spec"]["containers"][0]["name"].clone();
    let rules = spec["podFailurePolicy"]["rules"].as_array().unwrap();
    let fail_job = rules
        .iter()
        .find(|r| r["action"] == "FailJob")
        .expect("a FailJob rule");
    assert_eq!(fail_job["onExitCodes"]["containerName"], container);
    assert_eq!(fail_job["onExitCodes"]["operator"], "In");
    let codes: Vec<u64> = fail_job["onExitCodes"]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(codes, [1, 2]);

    // Both Jobs run as the Dockerfile's user and use the paths it prepares.
    let dockerfile = std::fs::read_to_string("Dockerfile").unwrap();
    let shards = documents("docs/k8s/ptr-audit-shards.yaml");
    for job in [merge, find_job(&shards, "ptr-audit-shards")] {
        let pod = &job["spec"]["template"]["spec"];
        let uid = pod["securityContext"]["runAsUser"].as_u64().unwrap();
        assert!(dockerfile.contains(&format!("USER {uid}:")), "uid {uid}");
        for mount in pod["containers"][0]["volumeMounts"].as_array().unwrap() {
            let path = mount["mountPath"].as_str().unwrap();
            assert!(
                dockerfile.contains(path),
                "the Dockerfile does not prepare `{path}`"
            );
        }
    }
}

/// Shard reports of a scan of two blocks, one of them with a placeholder
/// name (so the merge recomputes a block finding).
mod merge {
    use std::path::{Path, PathBuf};

    use ptr_audit_dnsserver::{ZoneServer, ZoneSet};
    use serde_json::Value;

    use crate::ptr_audit_process as ptr_audit;

    /// 10.30.0.0/24: even addresses share `hosted.place.example.`, odd ones
    /// have their own name; 10.30.1.0/24 has no zone (lookup-failed or missing).
    fn zones() -> ZoneSet {
        let head =
            "$TTL 300\n@ IN SOA ns.example. h.example. 1 3600 600 86400 300\n@ IN NS ns.example.\n";
        let mut rev = String::from(head);
        let mut fwd = String::from(head);
        fwd.push_str("hosted IN A 10.30.0.2\n");
        for last in 0..256u32 {
            if last % 2 == 0 {
                rev.push_str(&format!("{last} IN PTR hosted.place.example.\n"));
            } else {
                rev.push_str(&format!("{last} IN PTR h-{last}.place.example.\n"));
                fwd.push_str(&format!("h-{last} IN A 10.30.0.{last}\n"));
            }
        }
        let mut zones = ZoneSet::new();
        zones.add_text("0.30.10.in-addr.arpa", &rev).unwrap();
        zones.add_text("place.example", &fwd).unwrap();
        zones
    }

    fn scan(resolver: &str, shard: &str, out: &Path) {
        let status = ptr_audit()
            .args([
                "scan",
                "10.30.0.0/24",
                "10.30.1.0/25",
                "--resolver",
                resolver,
            ])
            .args([
                "--qps",
                "0",
                "--timeout",
                "5s",
                "--quiet",
                "--format",
                "json",
            ])
            .args(["--fail-on", "never", "--shard", shard])
            .stdout(std::fs::File::create(out).unwrap())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(0));
    }

    /// Scans the scope as three shards into `dir`.
    fn scan_shards(resolver: &str, dir: &Path) -> Vec<PathBuf> {
        (1..=3)
            .map(|k| {
                let path = dir.join(format!("shard{k}.json"));
                scan(resolver, &format!("{k}/3"), &path);
                path
            })
            .collect()
    }

    /// Merges `files` without a gate (these tests are about the merged
    /// report; `merge_gates_like_scan` is about the gate).
    fn merge(files: &[PathBuf], extra: &[&str]) -> std::process::Output {
        merge_gated(files, &[&["--fail-on", "never"], extra].concat())
    }

    fn merge_gated(files: &[PathBuf], extra: &[&str]) -> std::process::Output {
        ptr_audit()
            .arg("merge")
            .args(files)
            .args(extra)
            .output()
            .unwrap()
    }

    fn without_attempts(records: &Value) -> Vec<Value> {
        records
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let mut r = r.clone();
                r.as_object_mut().unwrap().remove("attempts");
                r
            })
            .collect()
    }

    #[test]
    fn merge_copies_records_through_and_refuses_bad_sets() {
        let server = ZoneServer::spawn(zones()).unwrap();
        let resolver = server.addr().to_string();
        let dir = tempfile::tempdir().unwrap();
        let single = dir.path().join("single.json");
        scan(&resolver, "1/1", &single);
        let shards = scan_shards(&resolver, dir.path());

        // The copying merge (json to stdout) and the streaming one (forced
        // by an extra output) write the same bytes, and the report of one scan.
        let fast = merge(&shards, &[]);
        assert_eq!(
            fast.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&fast.stderr)
        );
        let extra = dir.path().join("extra.json");
        let full = merge(
            &shards,
            &[
                "--format",
                "json",
                "--output",
                &format!("json={}", extra.display()),
            ],
        );
        assert_eq!(full.status.code(), Some(0));
        assert_eq!(
            String::from_utf8_lossy(&fast.stdout),
            String::from_utf8_lossy(&full.stdout)
        );
        let single: Value = serde_json::from_slice(&std::fs::read(&single).unwrap()).unwrap();
        let merged: Value = serde_json::from_slice(&fast.stdout).unwrap();
        assert_eq!(merged["summary"], single["summary"]);
        assert_eq!(merged["blocks"], single["blocks"]);
        assert_eq!(merged["block_findings"], single["block_findings"]);
        assert_eq!(
            merged["block_findings"][0]["finding"]["name"],
            "hosted.place.example"
        );
        assert_eq!(
            without_attempts(&merged["records"]),
            without_attempts(&single["records"])
        );
        assert_eq!(merged["inventory"]["shard"], Value::Null);
        assert_eq!(merged["settings"]["authoritative"], false);

        // A shard reformatted by another tool is merged by the full reader.
        let pretty = dir.path().join("pretty.json");
        let text = std::fs::read(&shards[1]).unwrap();
        let value: Value = serde_json::from_slice(&text).unwrap();
        std::fs::write(&pretty, serde_json::to_string_pretty(&value).unwrap()).unwrap();
        let mixed = [shards[0].clone(), pretty, shards[2].clone()];
        let out = merge(&mixed, &[]);
        crate::assert_exit(&out, 0);
        let again: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(again["summary"], single["summary"]);
        assert_eq!(again["block_findings"], single["block_findings"]);

        let edited = |from: &str, to: &str, name: &str| {
            let text = std::fs::read_to_string(&shards[0]).unwrap();
            assert!(text.contains(from), "{from}");
            let path = dir.path().join(name);
            std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
            path
        };
        // Shard 1's records presented as shard 2: an address in two shards.
        let twin = edited("\"shard\":\"1/3\"", "\"shard\":\"2/3\"", "twin.json");
        let out = merge(&[shards[0].clone(), twin, shards[2].clone()], &[]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("appears in more than one shard report"),
            "{err}"
        );

        // Authoritative and plain shards do not mix.
        let auth = edited(
            "\"authoritative\":false",
            "\"authoritative\":true",
            "auth.json",
        );
        let out = merge(&[auth, shards[1].clone(), shards[2].clone()], &[]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--authoritative"), "{err}");
    }

    /// `merge` gates the merged report with `scan`'s options and exit codes,
    /// on both merge paths (this version's json shards streamed, others read
    /// whole).
    #[test]
    fn merge_gates_like_scan() {
        let server = ZoneServer::spawn(zones()).unwrap();
        let resolver = server.addr().to_string();
        let dir = tempfile::tempdir().unwrap();
        let single = dir.path().join("single.json");
        scan(&resolver, "1/1", &single);
        let shards = scan_shards(&resolver, dir.path());
        let pretty = dir.path().join("pretty.json");
        let value: Value = serde_json::from_slice(&std::fs::read(&shards[1]).unwrap()).unwrap();
        std::fs::write(&pretty, serde_json::to_string_pretty(&value).unwrap()).unwrap();
        let reformatted = [shards[0].clone(), pretty, shards[2].clone()];
        let single_report: Value =
            serde_json::from_slice(&std::fs::read(&single).unwrap()).unwrap();
        assert_eq!(
            single_report["gate"]["failed"], true,
            "the scope has errors"
        );

        for set in [&shards[..], &reformatted[..]] {
            // The default gate (--fail-on error, --max-unknown 1%) fails:
            // exit 1, the reasons on stderr, the merged report written whole.
            let out = merge_gated(set, &[]);
            crate::assert_exit(&out, 1);
            let merged: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(merged["gate"], single_report["gate"]);
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains("findings at or above `error`"), "{err}");
            assert!(err.contains("above --max-unknown 1%"), "{err}");
            // Without the unknown share, only the findings fail it.
            let out = merge_gated(set, &["--max-unknown", "50%"]);
            crate::assert_exit(&out, 1);
            assert!(!String::from_utf8_lossy(&out.stderr).contains("--max-unknown"));

            let sarif = dir.path().join("gated.sarif");
            let out = merge_gated(set, &["--output", &format!("sarif={}", sarif.display())]);
            crate::assert_exit(&out, 1);
            assert!(std::fs::metadata(&sarif).unwrap().len() > 0);

            // Every finding is in the baseline: nothing new, and the unknown
            // share (not a finding) allowed: exit 0.
            let baseline = ["--baseline", single.to_str().unwrap()];
            let out = merge_gated(set, &[&baseline[..], &["--max-unknown", "50%"]].concat());
            crate::assert_exit(&out, 0);
            let out = merge_gated(set, &baseline);
            crate::assert_exit(&out, 1);
            // --fail-on never reports the gate but exits 0.
            let out = merge_gated(set, &["--fail-on", "never"]);
            crate::assert_exit(&out, 0);
            let merged: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(merged["gate"]["failed"], true);
            // A bad gate option is bad input.
            let out = merge_gated(set, &["--max-unknown", "120%"]);
            crate::assert_exit(&out, 2);
        }
    }

    /// Other formats and `--output` files are written by streaming the
    /// shards' record lines one at a time; they must be byte for byte what
    /// the reader that holds every record writes (forced here by shards
    /// reformatted by another tool), and refusals must come before any output.
    #[test]
    fn streamed_merge_writes_what_the_full_reader_writes() {
        let server = ZoneServer::spawn(zones()).unwrap();
        let resolver = server.addr().to_string();
        let dir = tempfile::tempdir().unwrap();
        let shards = scan_shards(&resolver, dir.path());
        // The same documents indented differently (keys kept in their
        // order): not this version's layout, so read by the full reader.
        let reindented: Vec<PathBuf> = shards
            .iter()
            .enumerate()
            .map(|(k, shard)| {
                let text = std::fs::read_to_string(shard).unwrap();
                let moved = text.replace("\n    {\"ip\"", "\n      {\"ip\"");
                assert_ne!(moved, text);
                serde_json::from_str::<Value>(&moved).unwrap();
                let path = dir.path().join(format!("reindented{k}.json"));
                std::fs::write(&path, moved).unwrap();
                path
            })
            .collect();

        // Runs a merge writing `format` on stdout plus sarif and markdown
        // files; returns (stdout, sarif, markdown).
        let outputs = |files: &[PathBuf], format: &str, tag: &str| {
            let sarif = dir.path().join(format!("{tag}.sarif"));
            let md = dir.path().join(format!("{tag}.md"));
            let out = merge(
                files,
                &[
                    "--format",
                    format,
                    "--output",
                    &format!("sarif={}", sarif.display()),
                    "--output",
                    &format!("markdown={}", md.display()),
                ],
            );
            crate::assert_exit(&out, 0);
            (
                String::from_utf8(out.stdout).unwrap(),
                std::fs::read_to_string(sarif).unwrap(),
                std::fs::read_to_string(md).unwrap(),
            )
        };
        for format in ["json", "csv", "jsonl"] {
            let streamed = outputs(&shards, format, &format!("streamed-{format}"));
            let full = outputs(&reindented, format, &format!("full-{format}"));
            assert_eq!(streamed.0, full.0, "stdout in {format}");
            assert_eq!(streamed.1, full.1, "sarif with {format}");
            assert_eq!(streamed.2, full.2, "markdown with {format}");
            assert!(streamed.1.contains("\"results\""), "{}", streamed.1);
        }
        // The streamed json is also what the copying merge writes.
        let streamed = outputs(&shards, "json", "again");
        let copied = merge(&shards, &[]);
        assert_eq!(String::from_utf8_lossy(&copied.stdout), streamed.0);
        let csv = outputs(&shards, "csv", "count").0;
        // A header line, then one line per address of the scope.
        assert_eq!(csv.lines().count(), 1 + 256 + 128);

        // Shard 1's records presented as shard 2: refused before anything
        // is written, on stdout or to the output file.
        let text = std::fs::read_to_string(&shards[0]).unwrap();
        assert!(text.contains("\"shard\":\"1/3\""));
        let twin = dir.path().join("twin.json");
        std::fs::write(
            &twin,
            text.replacen("\"shard\":\"1/3\"", "\"shard\":\"2/3\"", 1),
        )
        .unwrap();
        let sarif = dir.path().join("refused.sarif");
        let out = merge(
            &[shards[0].clone(), twin, shards[2].clone()],
            &[
                "--format",
                "csv",
                "--output",
                &format!("sarif={}", sarif.display()),
            ],
        );
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("appears in more than one shard report"),
            "{err}"
        );
        assert!(out.stdout.is_empty());
        assert!(!sarif.exists());

        // A shard missing: refused, naming it.
        let out = merge(&shards[..2], &["--format", "csv"]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("missing 3/3"), "{err}");
        assert!(out.stdout.is_empty());
    }
}
