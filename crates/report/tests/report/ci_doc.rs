//! The CI recipes in `docs/ci.md` parse as YAML and wire the scan to the
//! SARIF upload (no cluster or runner needed to check that much).

use serde_json::Value;

fn yaml_blocks() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/ci.md");
    let text = std::fs::read_to_string(path).unwrap();
    let mut blocks = Vec::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("```yaml\n") {
        let body = &rest[start + 8..];
        let end = body.find("\n```").unwrap();
        blocks.push(serde_saphyr::from_str::<Value>(&body[..end]).unwrap());
        rest = &body[end..];
    }
    blocks
}

/// The recipe among the YAML blocks that has `key` at its top level.
fn recipe(key: &str) -> Value {
    let found: Vec<Value> = yaml_blocks()
        .into_iter()
        .filter(|b| b.get(key).is_some())
        .collect();
    assert_eq!(found.len(), 1, "one YAML block with a top-level `{key}`");
    found.into_iter().next().unwrap()
}

/// The GitHub workflow among the YAML blocks that has the job `job`.
fn workflow(job: &str) -> Value {
    let found: Vec<Value> = yaml_blocks()
        .into_iter()
        .filter(|b| b.get("jobs").and_then(|j| j.get(job)).is_some())
        .collect();
    assert_eq!(found.len(), 1, "one workflow with a job `{job}`");
    found.into_iter().next().unwrap()
}

#[test]
fn github_workflow_validates_and_uploads_the_scans_sarif() {
    let gh = &workflow("scan-changes");
    let validate = gh["jobs"]["validate"]["steps"].as_array().unwrap();
    assert!(validate.iter().any(|s| {
        s["run"]
            .as_str()
            .is_some_and(|r| r.contains("ptr-audit validate"))
    }));
    let steps = gh["jobs"]["scan-changes"]["steps"].as_array().unwrap();
    let scan = steps
        .iter()
        .find_map(|s| s["run"].as_str().filter(|r| r.contains("ptr-audit scan")))
        .unwrap();
    assert!(scan.contains("--changed-since \"git:origin/${{ github.base_ref }}\""));
    assert!(scan.contains("--output sarif=ptr-audit.sarif"));
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))
        })
        .unwrap();
    assert_eq!(upload["with"]["sarif_file"], "ptr-audit.sarif");
    assert_eq!(
        gh["jobs"]["scan-changes"]["permissions"]["security-events"],
        "write"
    );
}

#[test]
fn gitlab_job_runs_a_change_only_scan_with_reports() {
    let gl = &recipe("ptr-audit-scan-changes");
    let job = &gl["ptr-audit-scan-changes"];
    let script = job["script"].as_array().unwrap();
    let scan = script
        .iter()
        .find_map(|s| s.as_str().filter(|r| r.contains("ptr-audit scan")))
        .unwrap();
    assert!(scan.contains("--changed-since \"git:origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME\""));
    assert!(scan.contains("--output sarif=ptr-audit.sarif"));
    assert!(scan.contains("--output junit=ptr-audit-junit.xml"));
    assert_eq!(job["artifacts"]["reports"]["junit"], "ptr-audit-junit.xml");
    assert!(
        job["artifacts"]["paths"]
            .as_array()
            .unwrap()
            .contains(&Value::from("ptr-audit.sarif"))
    );
    assert!(
        gl["ptr-audit-validate"]["script"][0]
            .as_str()
            .unwrap()
            .contains("ptr-audit validate")
    );
}

#[test]
fn reviewed_apply_plans_in_one_job_and_applies_that_plan_after_approval() {
    let gh = &workflow("apply");
    let run_of = |job: &str| -> String {
        gh["jobs"][job]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["run"].as_str())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let plan = run_of("plan");
    assert!(plan.contains("ptr-audit fix report.json --apply 192.0.2.53 --plan-out plan.json"));
    assert!(!plan.contains("--yes"), "the plan job changes nothing");
    let apply = &gh["jobs"]["apply"];
    assert_eq!(apply["needs"], "plan");
    assert!(
        apply["environment"].as_str().is_some(),
        "approval gates the apply"
    );
    let run = run_of("apply");
    assert!(run.contains("ptr-audit fix --plan plan.json --yes --journal fix.journal"));
    assert!(
        !run.contains("--tsig-key"),
        "the key is not on the command line"
    );
    let step = apply["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["run"].as_str().is_some_and(|r| r.contains("--yes")))
        .unwrap();
    assert!(
        step["env"]["PTR_AUDIT_TSIG_KEY"]
            .as_str()
            .is_some_and(|v| v.contains("secrets."))
    );
}
