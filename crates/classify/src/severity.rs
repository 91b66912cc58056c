//! Default severities per block policy, and the inventory's overrides.
//!
//! | code | `mail` | `hosting` |
//! |---|---|---|
//! | `lookup-failed` | warning | warning |
//! | `ptr-missing` | error | error |
//! | `ptr-invalid` | error | error |
//! | `fcrdns-failed` | error | error |
//! | `ptr-generic` | error | warning |
//! | `ptr-unexpected` | error | warning |
//! | `ptr-multiple` | warning | notice |
//! | `ptr-stale` | error | warning |
//! | `ptr-inconsistent` | error | warning |
//! | `ptr-unknown-tld` | warning | warning |
//! | `dnsbl-listed` | error | notice |
//! | `pbl-unlisted` | notice | notice |
//!
//! `reserved` blocks are not scanned; if one is classified anyway it is
//! treated as `hosting`. An `fcrdns-failed` whose forward lookups all failed
//! (no answer, not a negative answer) is always a notice.

use ptr_audit_model::{BlockInfo, FindingCode, Policy, Severity};

/// The severity of `code` under `policy`, before overrides.
pub fn default_for(policy: Policy, code: FindingCode) -> Severity {
    use FindingCode::*;
    use Severity::*;
    let mail = policy == Policy::Mail;
    match code {
        LookupFailed | PtrUnknownTld => Warning,
        PtrMissing | PtrInvalid | FcrdnsFailed => Error,
        PtrGeneric | PtrUnexpected | PtrStale | PtrInconsistent => {
            if mail {
                Error
            } else {
                Warning
            }
        }
        PtrMultiple => {
            if mail {
                Warning
            } else {
                Notice
            }
        }
        DnsblListed => {
            if mail {
                Error
            } else {
                Notice
            }
        }
        PblUnlisted => Notice,
    }
}

/// The severity of `code` for an address of `block`: the block's override if
/// it sets one, else the policy default.
pub fn for_block(block: &BlockInfo, code: FindingCode) -> Severity {
    block
        .severities
        .get(code)
        .unwrap_or_else(|| default_for(block.policy, code))
}
