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
        script.contains("--format json"),
        "shards must write json for merge"
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
