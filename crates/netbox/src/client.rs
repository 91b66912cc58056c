//! [`Client`]: NetBox's REST API over a blocking HTTP client (ureq, rustls
//! with ring). TLS certificates are verified against the system's trust
//! store, or only against `--ca-file`'s; a proxy comes from the environment
//! (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`) except for
//! loopback hosts; every request has a deadline. Lists are followed page by
//! page through `next`, whose path and query are requested from the origin
//! of `--url` only, so the token never goes to another host. The token goes
//! in one header and nowhere else: [`Token`]'s `Debug` hides it and no
//! error quotes it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use ureq::http::Uri;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig, TlsProvider};

use crate::api::Page;
use crate::error::NetboxError;

/// Objects asked for per page (NetBox's default `MAX_PAGE_SIZE`; a server
/// with a lower one answers smaller pages and `next` links).
const PAGE_SIZE: u32 = 1000;
/// The largest body read for one page.
const MAX_BODY: u64 = 256 << 20;
/// The most pages one list may have.
const MAX_PAGES: usize = 100_000;

/// An API token, of either NetBox generation: a v1 token (40 hex digits, sent
/// as `Authorization: Token …`) or a v2 token (`nbt_KEY.SECRET`, NetBox ≥ 4.5,
/// sent as `Authorization: Bearer nbt_…`).
pub struct Token {
    header: String,
    path: PathBuf,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("path", &self.path)
            .field("value", &"<redacted>")
            .finish()
    }
}

impl Token {
    /// Reads the token from `path`: one word, surrounding whitespace ignored.
    pub fn from_file(path: &Path) -> Result<Token, NetboxError> {
        let text = std::fs::read(path).map_err(|source| NetboxError::TokenFile {
            path: path.to_owned(),
            source,
        })?;
        let invalid = |reason| NetboxError::TokenInvalid {
            path: path.to_owned(),
            reason,
        };
        let text = std::str::from_utf8(&text).map_err(|_| invalid("is not text"))?;
        let token = text.trim();
        if token.is_empty() {
            return Err(invalid("is empty"));
        }
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid(
                "holds more than one word or a control character: it should hold the token alone",
            ));
        }
        let scheme = if token.starts_with("nbt_") {
            "Bearer"
        } else {
            "Token"
        };
        Ok(Token {
            header: format!("{scheme} {token}"),
            path: path.to_owned(),
        })
    }
}

/// How to reach NetBox.
#[derive(Debug)]
pub struct ClientOptions {
    /// NetBox's address (`https://netbox.example.net`, optionally with a path).
    pub url: String,
    /// The API token.
    pub token: Token,
    /// PEM certificates to trust instead of the system's.
    pub ca_file: Option<PathBuf>,
    /// The deadline of each request, connection to last byte.
    pub timeout: Duration,
}

/// A NetBox API client.
pub struct Client {
    agent: ureq::Agent,
    /// `scheme://authority`.
    origin: String,
    /// The path NetBox is under, without a trailing slash (`""` at the root).
    base_path: String,
    token: Token,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("origin", &self.origin)
            .field("base_path", &self.base_path)
            .field("token", &self.token)
            .finish()
    }
}

impl Client {
    /// A client for `options.url`.
    pub fn new(options: ClientOptions) -> Result<Client, NetboxError> {
        let bad = |reason| NetboxError::Url {
            url: options.url.clone(),
            reason,
        };
        let uri: Uri = options.url.parse().map_err(|_| bad("not a URL"))?;
        let scheme = match uri.scheme_str() {
            Some(s @ ("http" | "https")) => s,
            Some(_) => return Err(bad("the scheme is neither `http` nor `https`")),
            None => return Err(bad("no `https://` or `http://`")),
        };
        let authority = uri.authority().ok_or_else(|| bad("no host"))?;
        if let Some((_, host)) = authority.as_str().rsplit_once('@') {
            // Never echo credentials.
            return Err(NetboxError::Url {
                url: format!("{scheme}://…@{host}"),
                reason: "credentials in the URL: give the token with `--token-file`",
            });
        }
        if uri.query().is_some() {
            return Err(bad("a query (`?…`)"));
        }
        let mut base_path = uri.path().trim_end_matches('/').to_owned();
        if base_path.ends_with("/api") {
            base_path.truncate(base_path.len() - 4);
        }
        let host = authority.host();
        let loopback = is_loopback(host);
        let roots = match &options.ca_file {
            None => RootCerts::PlatformVerifier,
            Some(path) => RootCerts::new_with_certs(&read_ca_file(path)?),
        };
        // ring, as TSIG uses: aws-lc-rs (whose provider has post-quantum key
        // exchange) would add a C and cmake build for a client that talks to
        // the operator's own IPAM.
        #[allow(deprecated)]
        let ring = rustls::crypto::ring::default_provider();
        let tls = TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .root_certs(roots)
            .unversioned_rustls_crypto_provider(Arc::new(ring))
            .build();
        let config = ureq::Agent::config_builder()
            .tls_config(tls)
            .proxy(if loopback {
                None
            } else {
                ureq::Proxy::try_from_env()
            })
            .http_status_as_error(false)
            .timeout_global(Some(options.timeout))
            .max_redirects(0)
            .user_agent(concat!("ptr-audit/", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(Client {
            agent: config.into(),
            origin: format!("{scheme}://{authority}"),
            base_path,
            token: options.token,
        })
    }

    /// The address NetBox is at, as requests name it.
    pub fn base_url(&self) -> String {
        format!("{}{}/", self.origin, self.base_path)
    }

    /// Hands every object of the list at `endpoint` (`ipam/prefixes`) to
    /// `each`, page by page, following `next` until the last page (only one
    /// page's JSON is held at a time).
    pub(crate) fn list(
        &self,
        endpoint: &str,
        mut each: impl FnMut(&str, Value) -> Result<(), NetboxError>,
    ) -> Result<(), NetboxError> {
        let first = format!(
            "{}{}/api/{endpoint}/?limit={PAGE_SIZE}",
            self.origin, self.base_path
        );
        let mut url = first.clone();
        let mut seen = HashSet::new();
        let mut read: u64 = 0;
        loop {
            if !seen.insert(url.clone()) || seen.len() > MAX_PAGES {
                return Err(NetboxError::Pagination {
                    url: first,
                    reason: format!("`next` leads back to `{url}` or past {MAX_PAGES} pages"),
                });
            }
            let body = self.get(&url)?;
            let page: Page = serde_json::from_value(body).map_err(|e| NetboxError::Shape {
                url: url.clone(),
                what: "the page".into(),
                reason: format!("{e} (a list has `count`, `next`, `previous` and `results`)"),
            })?;
            read += page.results.len() as u64;
            if read > page.count {
                return Err(NetboxError::Pagination {
                    url: first,
                    reason: format!("more results than the `count` of {}", page.count),
                });
            }
            for value in page.results {
                each(&url, value)?;
            }
            match page.next {
                None => return Ok(()),
                Some(next) => url = self.follow(&next, &url)?,
            }
        }
    }

    /// The URL to request for a `next` link: its path and query on our origin.
    fn follow(&self, next: &str, current: &str) -> Result<String, NetboxError> {
        let shape = |reason: String| NetboxError::Shape {
            url: current.to_owned(),
            what: "the `next` link".into(),
            reason,
        };
        let uri: Uri = next
            .parse()
            .map_err(|_| shape(format!("`{next}` is not a URL")))?;
        let pq = uri
            .path_and_query()
            .ok_or_else(|| shape(format!("`{next}` has no path")))?;
        let api = format!("{}/api/", self.base_path);
        if !pq.path().starts_with(&api) {
            return Err(shape(format!(
                "`{next}` is not under `{}{api}`",
                self.origin
            )));
        }
        Ok(format!("{}{}", self.origin, pq.as_str()))
    }

    /// One GET, as JSON, with NetBox's statuses made into errors.
    fn get(&self, url: &str) -> Result<Value, NetboxError> {
        let mut response = self
            .agent
            .get(url)
            .header("Authorization", &self.token.header)
            .header("Accept", "application/json")
            .call()
            .map_err(|source| NetboxError::Transport {
                url: url.to_owned(),
                source,
            })?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("no Content-Type")
            .to_owned();
        if (300..400).contains(&status) {
            let location = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("nowhere")
                .chars()
                .take(300)
                .collect();
            return Err(NetboxError::Redirect {
                url: url.to_owned(),
                status,
                location,
            });
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_string()
            .map_err(|source| NetboxError::Transport {
                url: url.to_owned(),
                source,
            })?;
        let url = url.to_owned();
        if (200..300).contains(&status) {
            return serde_json::from_str(&body).map_err(|source| NetboxError::Json {
                url,
                content_type,
                source,
            });
        }
        let detail = detail(&body);
        Err(match status {
            401 => NetboxError::Unauthorized {
                url,
                token_file: self.token.path.clone(),
                detail,
            },
            403 => NetboxError::Forbidden { url, detail },
            404 => NetboxError::NotFound { url, detail },
            status => NetboxError::Status {
                url,
                status,
                detail,
            },
        })
    }
}

/// `: ` and DRF's `{"detail": "…"}`, else nothing (an html error page says
/// nothing useful in one line). At most 200 characters.
fn detail(body: &str) -> String {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(body) else {
        return String::new();
    };
    match map.get("detail") {
        Some(Value::String(d)) if !d.is_empty() => {
            let d: String = d.chars().take(200).collect();
            format!(": {d}")
        }
        _ => String::new(),
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn read_ca_file(path: &Path) -> Result<Vec<Certificate<'static>>, NetboxError> {
    let err = |reason: String| NetboxError::CaFile {
        path: path.to_owned(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item.map_err(|e| err(e.to_string()))? {
            PemItem::Certificate(c) => certs.push(c),
            _ => continue,
        }
    }
    if certs.is_empty() {
        return Err(err("no PEM certificate in it".into()));
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(text: &str) -> Result<Token, NetboxError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, text).unwrap();
        Token::from_file(&path)
    }

    #[test]
    fn tokens_of_both_generations_and_never_in_debug() {
        let v1 = token("0123456789abcdef0123456789abcdef01234567\n").unwrap();
        assert_eq!(v1.header, "Token 0123456789abcdef0123456789abcdef01234567");
        let v2 = token("  nbt_abc123.s3cr3t  \n").unwrap();
        assert_eq!(v2.header, "Bearer nbt_abc123.s3cr3t");
        assert!(!format!("{v2:?}").contains("s3cr3t"));
        let e = token("two words").unwrap_err().to_string();
        assert!(
            e.contains("more than one word") && !e.contains("two"),
            "{e}"
        );
        assert!(token(" \n").unwrap_err().to_string().contains("is empty"));
    }

    #[test]
    fn urls_are_checked_and_api_suffix_dropped() {
        let c = |url: &str| {
            Client::new(ClientOptions {
                url: url.into(),
                token: token("abc").unwrap(),
                ca_file: None,
                timeout: Duration::from_secs(1),
            })
        };
        assert_eq!(
            c("https://nb.example.net").unwrap().base_url(),
            "https://nb.example.net/"
        );
        assert_eq!(
            c("http://127.0.0.1:8000/netbox/api/").unwrap().base_url(),
            "http://127.0.0.1:8000/netbox/"
        );
        for bad in [
            "nb.example.net",
            "ftp://nb.example.net",
            "https://user:pw@nb.example.net",
            "https://nb/?x=1",
        ] {
            let e = c(bad).unwrap_err().to_string();
            assert!(e.contains("is not a NetBox address"), "{bad}: {e}");
            assert!(!e.contains("pw"), "{e}");
        }
        let client = c("https://nb.example.net/nb").unwrap();
        assert_eq!(
            client
                .follow(
                    "http://internal:8000/nb/api/ipam/prefixes/?limit=50&offset=50",
                    "x"
                )
                .unwrap(),
            "https://nb.example.net/nb/api/ipam/prefixes/?limit=50&offset=50"
        );
        assert!(client.follow("https://evil.example/steal", "x").is_err());
    }

    #[test]
    fn loopback_hosts_bypass_proxies() {
        for h in ["127.0.0.1", "127.3.2.1", "[::1]", "localhost", "LOCALHOST"] {
            assert!(is_loopback(h), "{h}");
        }
        for h in ["netbox.example.net", "192.0.2.1", "[2001:db8::1]"] {
            assert!(!is_loopback(h), "{h}");
        }
    }
}
