//! Any name judged by `classify` (`Classifier::judge_in`). The input is one
//! line `ip<TAB>name[<TAB>default_ptr template[<TAB>datacenter]]`, like
//! `tests/corpus/names.tsv` (an address that does not parse becomes
//! 203.0.113.5). Every reason's byte span lies in the name, the label agrees with
//! the reasons, and letter case does not change the verdict.
#![no_main]

use std::net::IpAddr;

use ptr_audit_classify::{Classifier, Label};
use ptr_audit_model::Provider;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let line = text.split('\n').next().unwrap_or("");
    let mut fields = line.split('\t');
    let ip: IpAddr = fields
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(IpAddr::from([203, 0, 113, 5]));
    let name = fields.next().unwrap_or("");
    let provider = Provider {
        default_ptr: fields.next().map(str::to_owned).into_iter().collect(),
        ..Provider::default()
    };
    let datacenter = fields.next();
    let Ok(classifier) = Classifier::new(&provider) else {
        return;
    };
    let verdict = classifier.judge_in(ip, name, datacenter);
    // Spans are byte ranges (names from DNS are ASCII; `explain` highlights bytes).
    for r in &verdict.reasons {
        assert!(
            r.span.start <= r.span.end && r.span.end <= name.len(),
            "span {:?} of {:?} lies in {name:?}",
            r.span,
            r.rule
        );
    }
    match verdict.label {
        Label::Custom => assert!(verdict.reasons.is_empty(), "a custom name has no reasons"),
        label => {
            assert!(!verdict.reasons.is_empty(), "a {label:?} name has reasons");
            assert!(
                verdict.reasons.iter().any(|r| r.rule.label() == label),
                "a {label:?} name has a reason of its label: {:?}",
                verdict.reasons
            );
        }
    }
    for other in [name.to_ascii_uppercase(), name.to_ascii_lowercase()] {
        let again = classifier.judge_in(ip, &other, datacenter);
        assert_eq!(
            again.label, verdict.label,
            "{other:?} is judged like {name:?}: {:?} vs {:?}",
            again.reasons, verdict.reasons
        );
    }
});
