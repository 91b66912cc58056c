//! The receiver behaviours a finding trips, from what each is publicly
//! documented to do (sources in `docs/classification.md`).

/// A mail receiver behaviour that reacts to a PTR problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Receiver {
    /// Postfix `reject_unknown_reverse_client_hostname`: the client address
    /// has no PTR (or no usable one).
    PostfixUnknownReverseClient,
    /// Postfix `reject_unknown_client_hostname`: no PTR, or the PTR name does
    /// not resolve back to the client address.
    PostfixUnknownClient,
    /// SpamAssassin `RDNS_NONE`: the relay has no verified reverse name.
    SpamAssassinRdnsNone,
    /// SpamAssassin `RDNS_DYNAMIC`: the reverse name looks dynamic or generic.
    SpamAssassinRdnsDynamic,
    /// rspamd `RDNS_NONE`: no reverse name.
    RspamdRdnsNone,
    /// rspamd hfilter `HFILTER_HOSTNAME_UNKNOWN`: no verified host name.
    RspamdHostnameUnknown,
    /// rspamd hfilter `HFILTER_HOSTNAME_1..5`: the host name matches its
    /// dynamic-looking patterns.
    RspamdHostnameDynamic,
    /// Gmail's sender guidelines: a PTR whose name resolves back to the address.
    Gmail,
    /// Yahoo's sender requirements: valid forward and reverse DNS.
    Yahoo,
    /// GMX, web.de and 1&1 (United Internet): refuse senders without a
    /// proper, non-generic reverse name ("554 ... PTR" rejections).
    UnitedInternet,
}

impl Receiver {
    /// Every receiver, in report order.
    pub const ALL: [Receiver; 10] = [
        Receiver::PostfixUnknownReverseClient,
        Receiver::PostfixUnknownClient,
        Receiver::SpamAssassinRdnsNone,
        Receiver::SpamAssassinRdnsDynamic,
        Receiver::RspamdRdnsNone,
        Receiver::RspamdHostnameUnknown,
        Receiver::RspamdHostnameDynamic,
        Receiver::Gmail,
        Receiver::Yahoo,
        Receiver::UnitedInternet,
    ];

    /// The identifier written in reports (`postfix:reject_unknown_client_hostname`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Receiver::PostfixUnknownReverseClient => {
                "postfix:reject_unknown_reverse_client_hostname"
            }
            Receiver::PostfixUnknownClient => "postfix:reject_unknown_client_hostname",
            Receiver::SpamAssassinRdnsNone => "spamassassin:RDNS_NONE",
            Receiver::SpamAssassinRdnsDynamic => "spamassassin:RDNS_DYNAMIC",
            Receiver::RspamdRdnsNone => "rspamd:RDNS_NONE",
            Receiver::RspamdHostnameUnknown => "rspamd:HFILTER_HOSTNAME_UNKNOWN",
            Receiver::RspamdHostnameDynamic => "rspamd:HFILTER_HOSTNAME_1..5",
            Receiver::Gmail => "gmail:sender-guidelines",
            Receiver::Yahoo => "yahoo:sender-requirements",
            Receiver::UnitedInternet => "gmx-webde-1and1:rdns-policy",
        }
    }

    /// What the receiver does, in one lowercase phrase.
    pub fn describe(self) -> &'static str {
        match self {
            Receiver::PostfixUnknownReverseClient => {
                "postfix rejects clients whose address has no usable ptr"
            }
            Receiver::PostfixUnknownClient => {
                "postfix rejects clients whose ptr name does not resolve back to the address"
            }
            Receiver::SpamAssassinRdnsNone => "spamassassin scores relays without reverse dns",
            Receiver::SpamAssassinRdnsDynamic => {
                "spamassassin scores relays whose reverse name looks dynamic"
            }
            Receiver::RspamdRdnsNone => "rspamd scores senders without reverse dns",
            Receiver::RspamdHostnameUnknown => "rspamd scores senders with no verified host name",
            Receiver::RspamdHostnameDynamic => {
                "rspamd's hfilter scores host names that look dynamic or generic"
            }
            Receiver::Gmail => "gmail requires a ptr that resolves back to the sending address",
            Receiver::Yahoo => "yahoo requires valid forward and reverse dns for senders",
            Receiver::UnitedInternet => {
                "gmx, web.de and 1&1 refuse senders without a proper, non-generic ptr"
            }
        }
    }
}

/// Receivers that treat the address as having no PTR at all (missing or invalid name).
pub const NO_PTR: &[Receiver] = &NO_PTR_ALL;
const NO_PTR_ALL: [Receiver; 8] = [
    Receiver::PostfixUnknownReverseClient,
    Receiver::PostfixUnknownClient,
    Receiver::SpamAssassinRdnsNone,
    Receiver::RspamdRdnsNone,
    Receiver::RspamdHostnameUnknown,
    Receiver::Gmail,
    Receiver::Yahoo,
    Receiver::UnitedInternet,
];

/// Receivers that check forward confirmation.
pub const NO_FCRDNS: &[Receiver] = &NO_FCRDNS_ALL;
const NO_FCRDNS_ALL: [Receiver; 5] = [
    Receiver::PostfixUnknownClient,
    Receiver::SpamAssassinRdnsNone,
    Receiver::RspamdHostnameUnknown,
    Receiver::Gmail,
    Receiver::Yahoo,
];

/// Receivers that score or reject generic names.
pub const GENERIC: &[Receiver] = &GENERIC_ALL;
const GENERIC_ALL: [Receiver; 3] = [
    Receiver::SpamAssassinRdnsDynamic,
    Receiver::RspamdHostnameDynamic,
    Receiver::UnitedInternet,
];

/// Receivers that defer (4xx) while the PTR cannot be looked up.
pub const LOOKUP_FAILED: &[Receiver] = &LOOKUP_FAILED_ALL;
const LOOKUP_FAILED_ALL: [Receiver; 2] = [
    Receiver::PostfixUnknownReverseClient,
    Receiver::PostfixUnknownClient,
];

/// The identifiers of `receivers`, as a list for a finding detail.
pub fn ids(receivers: &[Receiver]) -> Vec<String> {
    receivers.iter().map(|r| r.as_str().to_owned()).collect()
}

const fn ids_of<const N: usize>(receivers: [Receiver; N]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = receivers[i].as_str();
        i += 1;
    }
    out
}

// The identifier lists as statics (one address each, so report writers can
// keep their JSON text): a finding's `receivers` detail without allocating.
static NO_PTR_IDS_ALL: [&str; 8] = ids_of(NO_PTR_ALL);
static NO_FCRDNS_IDS_ALL: [&str; 5] = ids_of(NO_FCRDNS_ALL);
static GENERIC_IDS_ALL: [&str; 3] = ids_of(GENERIC_ALL);
static LOOKUP_FAILED_IDS_ALL: [&str; 2] = ids_of(LOOKUP_FAILED_ALL);

/// [`ids`] of [`NO_PTR`].
pub static NO_PTR_IDS: &[&str] = &NO_PTR_IDS_ALL;
/// [`ids`] of [`NO_FCRDNS`].
pub static NO_FCRDNS_IDS: &[&str] = &NO_FCRDNS_IDS_ALL;
/// [`ids`] of [`GENERIC`].
pub static GENERIC_IDS: &[&str] = &GENERIC_IDS_ALL;
/// [`ids`] of [`LOOKUP_FAILED`].
pub static LOOKUP_FAILED_IDS: &[&str] = &LOOKUP_FAILED_IDS_ALL;

/// The identifiers of `receivers` when it is one of this module's lists,
/// without allocating.
pub fn static_ids(receivers: &[Receiver]) -> Option<&'static [&'static str]> {
    [
        (NO_PTR, NO_PTR_IDS),
        (NO_FCRDNS, NO_FCRDNS_IDS),
        (GENERIC, GENERIC_IDS),
        (LOOKUP_FAILED, LOOKUP_FAILED_IDS),
    ]
    .into_iter()
    .find(|(r, _)| *r == receivers)
    .map(|(_, ids)| ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_ids_are_the_ids() {
        for list in [NO_PTR, NO_FCRDNS, GENERIC, LOOKUP_FAILED] {
            let fixed = static_ids(list).unwrap();
            assert_eq!(ids(list), fixed.to_vec());
        }
        assert_eq!(static_ids(&[Receiver::Gmail]), None);
    }
}
