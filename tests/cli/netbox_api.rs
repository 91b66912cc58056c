//! A NetBox REST API on loopback, for `import netbox`: plain HTTP or TLS
//! (rustls, with a CA and a server certificate made by Debian's `openssl` at
//! test time), token checks, limit/offset pagination, an HTTP CONNECT proxy
//! mode, and canned failures.
//!
//! The JSON follows NetBox's own serializers field by field, as read in
//! netbox-community/netbox at tags v4.1.0 and v4.2.0 (and unchanged in the
//! parts used here at v4.6.8):
//! - lists: `OptionalLimitOffsetPagination` (netbox/api/pagination.py) over
//!   DRF's `LimitOffsetPagination`: `{"count", "next", "previous", "results"}`,
//!   `next`/`previous` absolute URLs built from the request's Host with
//!   `limit` and `offset`, `null` at the ends; `limit` capped by MAX_PAGE_SIZE.
//! - `PrefixSerializer` (ipam/api/serializers_/ip.py) fields, in order:
//!   4.1: id, url, display_url, display, family, prefix, site, vrf, tenant,
//!   vlan, status, role, is_pool, mark_utilized, description, comments, tags,
//!   custom_fields, created, last_updated, children, _depth;
//!   4.2: the same with `site` replaced by vrf, scope_type, scope_id, scope
//!   (scope_type a `ContentTypeField`, "dcim.site"; scope the scope's nested
//!   serializer from `get_serializer_for_model`).
//! - `IPAddressSerializer`: id, url, display_url, display, family, address
//!   ("ip/len"), vrf, tenant, status, role, assigned_object_type,
//!   assigned_object_id, assigned_object, nat_inside, nat_outside, dns_name
//!   ("" when unset), description, comments, tags, custom_fields, created,
//!   last_updated.
//! - `ChoiceField` (netbox/api/fields.py): `{"value", "label"}`.
//! - nested (brief_fields): site id, url, display, name, description, slug;
//!   region/location id, url, display, name, slug, description,
//!   site_count/rack_count, _depth; VRF id, url, display, name, rd,
//!   description, prefix_count; tenant id, url, display, name, slug,
//!   description; role id, url, display, name, slug, description,
//!   prefix_count, vlan_count; tag (NestedTagSerializer) id, url,
//!   display_url, display, name, slug, color.
//! - errors: DRF's `{"detail": "…"}` (401 "Invalid v1 token", 403, 404 "Not found.").

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

/// Which NetBox release's serializers to imitate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// `site` on prefixes.
    V4_1,
    /// `scope_type`, `scope_id`, `scope` on prefixes.
    V4_2,
}

/// A prefix's scope (4.2) or site (4.1, where a location scope is its site).
#[derive(Clone, Debug)]
pub enum Scope {
    Site(u64),
    Location(u64),
    Region(u64),
}

#[derive(Clone, Debug)]
pub struct Prefix {
    pub id: u64,
    pub prefix: String,
    pub vrf: Option<u64>,
    pub scope: Option<Scope>,
    pub tenant: Option<u64>,
    pub status: &'static str,
    pub role: Option<u64>,
    pub tags: Vec<&'static str>,
    pub custom_fields: Value,
    pub description: String,
}

#[derive(Clone, Debug)]
pub struct Address {
    pub id: u64,
    pub address: String,
    pub vrf: Option<u64>,
    pub status: &'static str,
    pub dns_name: String,
}

/// Sites (id, slug, region id), regions (id, slug), locations (id, slug, site id),
/// VRFs (id, name, rd), tenants and roles (id, slug).
#[derive(Clone, Debug, Default)]
pub struct Data {
    pub sites: Vec<(u64, &'static str, Option<u64>)>,
    pub regions: Vec<(u64, &'static str)>,
    pub locations: Vec<(u64, &'static str, u64)>,
    pub vrfs: Vec<(u64, &'static str, Option<&'static str>)>,
    pub tenants: Vec<(u64, &'static str)>,
    pub roles: Vec<(u64, &'static str)>,
    pub prefixes: Vec<Prefix>,
    pub addresses: Vec<Address>,
}

const STAMP: &str = "2026-11-20T09:14:03.421907Z";

fn choice(value: &str) -> Value {
    let mut label = value.to_owned();
    label[..1].make_ascii_uppercase();
    json!({"value": value, "label": label})
}

impl Data {
    fn site(&self, base: &str, id: u64) -> Value {
        let (_, slug, _) = self.sites.iter().find(|s| s.0 == id).expect("site");
        json!({"id": id, "url": format!("{base}/api/dcim/sites/{id}/"), "display": slug.to_uppercase(),
               "name": slug.to_uppercase(), "description": "", "slug": slug})
    }
    fn region(&self, base: &str, id: u64) -> Value {
        let (_, slug) = self.regions.iter().find(|r| r.0 == id).expect("region");
        json!({"id": id, "url": format!("{base}/api/dcim/regions/{id}/"), "display": slug, "name": slug,
               "slug": slug, "description": "", "site_count": 0, "_depth": 0})
    }
    fn location(&self, base: &str, id: u64) -> Value {
        let (_, slug, _) = self.locations.iter().find(|l| l.0 == id).expect("location");
        json!({"id": id, "url": format!("{base}/api/dcim/locations/{id}/"), "display": slug, "name": slug,
               "slug": slug, "description": "", "rack_count": 0, "_depth": 0})
    }
    fn vrf(&self, base: &str, id: Option<u64>) -> Value {
        let Some(id) = id else { return Value::Null };
        let (_, name, rd) = self.vrfs.iter().find(|v| v.0 == id).expect("vrf");
        json!({"id": id, "url": format!("{base}/api/ipam/vrfs/{id}/"), "display": name, "name": name,
               "rd": rd, "description": "", "prefix_count": 1})
    }
    fn slugged(list: &[(u64, &str)], kind: &str, base: &str, id: Option<u64>) -> Value {
        let Some(id) = id else { return Value::Null };
        let (_, slug) = list.iter().find(|t| t.0 == id).expect("slugged object");
        let mut v = json!({"id": id, "url": format!("{base}/api/{kind}/{id}/"), "display": slug,
                           "name": slug, "slug": slug, "description": ""});
        if kind == "ipam/roles" {
            v["prefix_count"] = json!(1);
            v["vlan_count"] = json!(0);
        }
        v
    }

    fn prefix_json(&self, base: &str, version: Version, p: &Prefix) -> Value {
        let family = if p.prefix.contains(':') { 6 } else { 4 };
        let mut m = serde_json::Map::new();
        m.insert("id".into(), json!(p.id));
        m.insert(
            "url".into(),
            json!(format!("{base}/api/ipam/prefixes/{}/", p.id)),
        );
        m.insert(
            "display_url".into(),
            json!(format!("{base}/ipam/prefixes/{}/", p.id)),
        );
        m.insert("display".into(), json!(p.prefix));
        m.insert(
            "family".into(),
            json!({"value": family, "label": format!("IPv{family}")}),
        );
        m.insert("prefix".into(), json!(p.prefix));
        match version {
            Version::V4_1 => {
                let site = match &p.scope {
                    Some(Scope::Site(id)) => self.site(base, *id),
                    Some(Scope::Location(l)) => {
                        let site = self
                            .locations
                            .iter()
                            .find(|x| x.0 == *l)
                            .expect("location")
                            .2;
                        self.site(base, site)
                    }
                    Some(Scope::Region(_)) | None => Value::Null,
                };
                m.insert("site".into(), site);
                m.insert("vrf".into(), self.vrf(base, p.vrf));
            }
            Version::V4_2 => {
                m.insert("vrf".into(), self.vrf(base, p.vrf));
                let (ty, id, scope) = match &p.scope {
                    None => (Value::Null, Value::Null, Value::Null),
                    Some(Scope::Site(id)) => (json!("dcim.site"), json!(id), self.site(base, *id)),
                    Some(Scope::Location(id)) => {
                        (json!("dcim.location"), json!(id), self.location(base, *id))
                    }
                    Some(Scope::Region(id)) => {
                        (json!("dcim.region"), json!(id), self.region(base, *id))
                    }
                };
                m.insert("scope_type".into(), ty);
                m.insert("scope_id".into(), id);
                m.insert("scope".into(), scope);
            }
        }
        m.insert(
            "tenant".into(),
            Self::slugged(&self.tenants, "tenancy/tenants", base, p.tenant),
        );
        m.insert("vlan".into(), Value::Null);
        m.insert("status".into(), choice(p.status));
        m.insert(
            "role".into(),
            Self::slugged(&self.roles, "ipam/roles", base, p.role),
        );
        m.insert("is_pool".into(), json!(false));
        m.insert("mark_utilized".into(), json!(false));
        m.insert("description".into(), json!(p.description));
        m.insert("comments".into(), json!(""));
        m.insert(
            "tags".into(),
            Value::Array(
                p.tags
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        json!({"id": i + 1, "url": format!("{base}/api/extras/tags/{}/", i + 1),
                               "display_url": format!("{base}/extras/tags/{}/", i + 1),
                               "display": t, "name": t, "slug": t, "color": "9e9e9e"})
                    })
                    .collect(),
            ),
        );
        m.insert("custom_fields".into(), p.custom_fields.clone());
        m.insert("created".into(), json!(STAMP));
        m.insert("last_updated".into(), json!(STAMP));
        let children = self
            .prefixes
            .iter()
            .filter(|c| c.id != p.id && inside(&c.prefix, &p.prefix))
            .count();
        m.insert("children".into(), json!(children));
        m.insert("_depth".into(), json!(0));
        Value::Object(m)
    }

    fn address_json(&self, base: &str, a: &Address) -> Value {
        let family = if a.address.contains(':') { 6 } else { 4 };
        json!({
            "id": a.id,
            "url": format!("{base}/api/ipam/ip-addresses/{}/", a.id),
            "display_url": format!("{base}/ipam/ip-addresses/{}/", a.id),
            "display": a.address,
            "family": {"value": family, "label": format!("IPv{family}")},
            "address": a.address,
            "vrf": self.vrf(base, a.vrf),
            "tenant": null,
            "status": choice(a.status),
            "role": null,
            "assigned_object_type": null,
            "assigned_object_id": null,
            "assigned_object": null,
            "nat_inside": null,
            "nat_outside": [],
            "dns_name": a.dns_name,
            "description": "",
            "comments": "",
            "tags": [],
            "custom_fields": {},
            "created": STAMP,
            "last_updated": STAMP,
        })
    }

    fn list(&self, base: &str, version: Version, endpoint: &str) -> Option<Vec<Value>> {
        Some(match endpoint {
            "ipam/prefixes" => self
                .prefixes
                .iter()
                .map(|p| self.prefix_json(base, version, p))
                .collect(),
            "ipam/ip-addresses" => self
                .addresses
                .iter()
                .map(|a| self.address_json(base, a))
                .collect(),
            "dcim/sites" => self
                .sites
                .iter()
                .map(|(id, _, region)| {
                    let mut s = self.site(base, *id);
                    s["display_url"] = json!(format!("{base}/dcim/sites/{id}/"));
                    s["status"] = choice("active");
                    s["region"] = region.map_or(Value::Null, |r| self.region(base, r));
                    s["group"] = Value::Null;
                    s["tenant"] = Value::Null;
                    s
                })
                .collect(),
            "dcim/locations" => self
                .locations
                .iter()
                .map(|(id, _, site)| {
                    let mut l = self.location(base, *id);
                    l["site"] = self.site(base, *site);
                    l["parent"] = Value::Null;
                    l["status"] = choice("active");
                    l
                })
                .collect(),
            _ => return None,
        })
    }
}

/// True when network `inner` lies inside `outer` (text CIDRs).
fn inside(inner: &str, outer: &str) -> bool {
    let (Ok(i), Ok(o)) = (inner.parse::<ipnet::IpNet>(), outer.parse::<ipnet::IpNet>()) else {
        return false;
    };
    o.contains(&i) && i != o
}

/// A canned answer for every request (errors, garbage).
#[derive(Clone, Debug)]
pub struct Canned {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

/// The server's state, shared with its thread.
pub struct State {
    pub data: Data,
    pub version: Version,
    /// `MAX_PAGE_SIZE`.
    pub max_page: usize,
    /// The accepted `Authorization` header.
    pub authorization: String,
    pub canned: Option<Canned>,
    /// Every request: (request line, Authorization header).
    pub log: Vec<(String, String)>,
    /// CONNECT targets seen (proxy mode).
    pub connects: Vec<String>,
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    pub state: Arc<Mutex<State>>,
    pub scheme: &'static str,
}

impl Server {
    /// Serves `data` on 127.0.0.1:0, over TLS when `tls` is given.
    pub fn spawn(
        data: Data,
        version: Version,
        authorization: &str,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State {
            data,
            version,
            max_page: 50,
            authorization: authorization.to_owned(),
            canned: None,
            log: Vec::new(),
            connects: Vec::new(),
        }));
        let scheme = if tls.is_some() { "https" } else { "http" };
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let state = Arc::clone(&shared);
                let tls = tls.clone();
                std::thread::spawn(move || {
                    let _ = match tls {
                        None => serve(stream, &state, scheme),
                        Some(config) => {
                            let conn = rustls::ServerConnection::new(config).unwrap();
                            serve(rustls::StreamOwned::new(conn, stream), &state, scheme)
                        }
                    };
                });
            }
        });
        Server {
            addr,
            state,
            scheme,
        }
    }

    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }
}

/// A request line and its headers (names lowercased).
type Head = (String, Vec<(String, String)>);

fn read_head<R: BufRead>(r: &mut R) -> std::io::Result<Option<Head>> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let request = line.trim_end().to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 || h.trim_end().is_empty() {
            break;
        }
        if let Some((k, v)) = h.trim_end().split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    Ok(Some((request, headers)))
}

fn serve<S: Read + Write>(stream: S, state: &Mutex<State>, scheme: &str) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let Some((mut request, mut headers)) = read_head(&mut reader)? else {
        return Ok(());
    };
    if let Some(target) = request.strip_prefix("CONNECT ") {
        // Proxy mode: the tunnel carries plain HTTP to us.
        state
            .lock()
            .unwrap()
            .connects
            .push(target.split(' ').next().unwrap_or("").to_owned());
        reader
            .get_mut()
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
        reader.get_mut().flush()?;
        match read_head(&mut reader)? {
            Some((r, h)) => (request, headers) = (r, h),
            None => return Ok(()),
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (status, content_type, body) = respond(
        state,
        &request,
        &header("authorization"),
        &header("host"),
        scheme,
    );
    let reason = match status {
        200 => "OK",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        _ => "Error",
    };
    // A redirect (canned) points where an http-to-https rule would.
    let location = if (300..400).contains(&status) {
        "Location: https://127.0.0.1/api/ipam/prefixes/\r\n"
    } else {
        ""
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{location}Connection: close\r\n\r\n",
        body.len()
    );
    let stream = reader.get_mut();
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    stream.flush()
}

fn respond(
    state: &Mutex<State>,
    request: &str,
    auth: &str,
    host: &str,
    scheme: &str,
) -> (u16, &'static str, String) {
    let mut st = state.lock().unwrap();
    st.log.push((request.to_owned(), auth.to_owned()));
    if let Some(c) = &st.canned {
        return (c.status, c.content_type, c.body.clone());
    }
    if auth != st.authorization {
        let v = if auth.starts_with("Bearer") { 2 } else { 1 };
        return (
            401,
            "application/json",
            json!({"detail": format!("Invalid v{v} token")}).to_string(),
        );
    }
    let target = request.split(' ').nth(1).unwrap_or("/");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let param = |name: &str| {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(name).and_then(|r| r.strip_prefix('=')))
            .and_then(|v| v.parse::<usize>().ok())
    };
    let base = format!("{scheme}://{host}");
    let Some(endpoint) = path.strip_prefix("/api/").and_then(|p| p.strip_suffix('/')) else {
        return (
            404,
            "application/json",
            json!({"detail": "Not found."}).to_string(),
        );
    };
    let Some(all) = st.data.list(&base, st.version, endpoint) else {
        return (
            404,
            "application/json",
            json!({"detail": "Not found."}).to_string(),
        );
    };
    let limit = param("limit").unwrap_or(50).min(st.max_page).max(1);
    let offset = param("offset").unwrap_or(0);
    let count = all.len();
    let page: Vec<Value> = all.into_iter().skip(offset).take(limit).collect();
    let link = |o: usize| json!(format!("{base}{path}?limit={limit}&offset={o}"));
    let next = if offset + limit < count {
        link(offset + limit)
    } else {
        Value::Null
    };
    let previous = if offset == 0 {
        Value::Null
    } else {
        link(offset.saturating_sub(limit))
    };
    let body = json!({"count": count, "next": next, "previous": previous, "results": page});
    (200, "application/json", body.to_string())
}

/// A CA and a certificate for 127.0.0.1 signed by it, made with `openssl`
/// in `dir`; returns the server config and the CA file's path.
pub fn tls_config(dir: &Path) -> (Arc<rustls::ServerConfig>, std::path::PathBuf) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl (Debian package `openssl`, in .ci/apt-packages) runs");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    run(&[
        &["req", "-x509"][..],
        &ec,
        &[
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-subj",
            "/CN=ptr-audit test CA",
            "-days",
            "2",
        ],
    ]
    .concat());
    run(&[
        &["req"][..],
        &ec,
        &[
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    ]
    .concat());
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]);
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(dir.join("server.pem"))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(dir.join("server.key")).unwrap();
    #[allow(deprecated)] // ring, as the client uses
    let provider = rustls::crypto::ring::default_provider();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    (Arc::new(config), dir.join("ca.pem"))
}
