//! [`NetboxError`]: everything that stops an import, with the URL, file or
//! record it concerns. No variant holds the API token.

use std::path::PathBuf;

use ipnet::IpNet;

/// Why an import failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetboxError {
    /// `--url` is not an `http://` or `https://` address of a host.
    #[error("`{url}` is not a NetBox address ({reason}): give it as `https://netbox.example.net`")]
    Url {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The token file could not be read.
    #[error("cannot read the token file `{}`", path.display())]
    TokenFile {
        /// The file.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// The token file holds no token, or more than one word.
    #[error("the token file `{}` {reason}", path.display())]
    TokenInvalid {
        /// The file.
        path: PathBuf,
        /// What is wrong (never the token itself).
        reason: &'static str,
    },
    /// `--ca-file` could not be read or holds no certificate.
    #[error("cannot use `{}` as CA certificates: {reason}", path.display())]
    CaFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The request failed before an HTTP answer (connection, TLS, timeout, proxy).
    #[error("cannot reach NetBox at `{url}`")]
    Transport {
        /// The URL requested.
        url: String,
        /// The client's error.
        #[source]
        source: ureq::Error,
    },
    /// 401: NetBox did not accept the token.
    #[error(
        "NetBox refused the token from `{}` (401 Unauthorized at `{url}`{detail}): check the token, its expiry and its allowed IPs",
        token_file.display()
    )]
    Unauthorized {
        /// The URL requested.
        url: String,
        /// The token file (never its content).
        token_file: PathBuf,
        /// `: ` and the server's explanation, when it gave one.
        detail: String,
    },
    /// 403: the token may not read this list.
    #[error(
        "the token may not read `{url}` (403 Forbidden{detail}): give its user the `view` permission on prefixes, IP addresses, sites and locations"
    )]
    Forbidden {
        /// The URL requested.
        url: String,
        /// `: ` and the server's explanation.
        detail: String,
    },
    /// 404: no such API endpoint.
    #[error(
        "`{url}` was not found (404{detail}): is `--url` the address NetBox's pages are under (without `/api`)?"
    )]
    NotFound {
        /// The URL requested.
        url: String,
        /// `: ` and the server's explanation.
        detail: String,
    },
    /// A redirect: not followed, so the token goes nowhere but `--url`.
    #[error(
        "`{url}` redirects ({status}) to `{location}`: give NetBox's address as it is served with `--url` (redirects are not followed, so the token goes only there)"
    )]
    Redirect {
        /// The URL requested.
        url: String,
        /// The HTTP status.
        status: u16,
        /// Where it points (`Location`).
        location: String,
    },
    /// Any other status that is not success.
    #[error("NetBox answered {status} at `{url}`{detail}")]
    Status {
        /// The URL requested.
        url: String,
        /// The HTTP status.
        status: u16,
        /// `: ` and the server's explanation.
        detail: String,
    },
    /// The body is not JSON.
    #[error("the answer from `{url}` is not JSON ({content_type}): {source}")]
    Json {
        /// The URL requested.
        url: String,
        /// The Content-Type the server gave.
        content_type: String,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// JSON, but not shaped as NetBox's serializers shape it.
    #[error("{what} from `{url}` is not shaped as NetBox writes it: {reason}")]
    Shape {
        /// The URL of the page.
        url: String,
        /// Which part (`the page`, `result 3`).
        what: String,
        /// What is wrong.
        reason: String,
    },
    /// Pagination does not end (a `next` link seen before, or too many pages).
    #[error("the pages of `{url}` do not end: {reason}")]
    Pagination {
        /// The first URL of the list.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// Two selected prefixes are the same network: the inventory holds each block once.
    #[error(
        "prefix `{cidr}` is in NetBox twice (id {first} in {first_vrf}, id {second} in {second_vrf}); an inventory holds each block once: choose the VRFs to import with `--vrf`"
    )]
    Overlap {
        /// The network.
        cidr: IpNet,
        /// The first prefix's id.
        first: u64,
        /// Its VRF (`the global table` or `VRF \`name\``).
        first_vrf: String,
        /// The second prefix's id.
        second: u64,
        /// Its VRF.
        second_vrf: String,
    },
    /// One address has two different DNS names in NetBox.
    #[error(
        "address `{ip}` is in NetBox twice with different DNS names (id {first}: `{first_name}`, id {second}: `{second_name}`): choose the VRFs to import with `--vrf`, or fix NetBox"
    )]
    DuplicateAddress {
        /// The address.
        ip: std::net::IpAddr,
        /// The first IP address object's id.
        first: u64,
        /// Its DNS name.
        first_name: String,
        /// The second one's id.
        second: u64,
        /// Its DNS name.
        second_name: String,
    },
    /// A `--policy-from` rule is malformed.
    #[error("bad `--policy-from` rule `{rule}`: {reason}")]
    PolicyRule {
        /// The rule as given.
        rule: String,
        /// What is wrong.
        reason: String,
    },
    /// A custom field named by `cf:NAME` holds something that is not a policy.
    #[error(
        "prefix `{cidr}` (id {id}): custom field `{field}` holds `{value}`, not a policy (`mail`, `hosting` or `reserved`)"
    )]
    PolicyValue {
        /// The prefix.
        cidr: IpNet,
        /// Its id.
        id: u64,
        /// The custom field.
        field: String,
        /// Its value, as JSON.
        value: String,
    },
    /// `--into`: the inventory to merge into cannot be used.
    #[error("cannot merge into `{}`: {reason}", path.display())]
    Into {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}
