//! Which primary takes the updates of which zone: `--apply SERVER[:PORT]`
//! for every zone, `--apply ZONE=SERVER[:PORT]` (repeatable) for one zone
//! and the zones below it.

use std::net::SocketAddr;

use crate::UpdateError;

/// The primaries updates go to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Routes {
    default: Option<SocketAddr>,
    /// (zone, absolute and lowercase; server), longest zone first.
    zones: Vec<(String, SocketAddr)>,
}

/// A server: an IP address with an optional port (53), the one parser of
/// `--resolver` ([`ptr_audit_inventory::parse_resolver`]); port 0 refused.
fn server(text: &str) -> Option<SocketAddr> {
    ptr_audit_inventory::parse_resolver(text).filter(|s| s.port() != 0)
}

/// A zone name, absolute and lowercase.
pub(crate) fn absolute(zone: &str) -> String {
    format!("{}.", zone.trim_end_matches('.').to_ascii_lowercase())
}

/// Whether `name` is `zone` or below it (both absolute; case ignored).
pub(crate) fn within(name: &str, zone: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let zone = zone.to_ascii_lowercase();
    zone == "." || name == zone || name.ends_with(&format!(".{zone}"))
}

impl Routes {
    /// Reads `--apply` values: at most one `SERVER[:PORT]` (every zone) and
    /// any number of `ZONE=SERVER[:PORT]`.
    pub fn parse(values: &[String]) -> Result<Routes, UpdateError> {
        let mut routes = Routes::default();
        for text in values {
            let bad = |reason| UpdateError::BadRoute {
                text: text.clone(),
                reason,
            };
            match text.split_once('=') {
                Some((zone, addr)) => {
                    let zone = zone.trim();
                    let ok = !zone.is_empty()
                        && zone.len() <= 254
                        && zone.trim_end_matches('.').split('.').all(|l| {
                            !l.is_empty()
                                && l.len() <= 63
                                && l.bytes().all(|b| {
                                    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'/')
                                })
                        });
                    if !ok {
                        return Err(bad("the zone is not a domain name"));
                    }
                    let addr = server(addr.trim()).ok_or_else(|| {
                        bad("the server is not an IP address with an optional port")
                    })?;
                    let zone = absolute(zone);
                    if routes.zones.iter().any(|(z, _)| *z == zone) {
                        return Err(bad("the zone is routed twice"));
                    }
                    routes.zones.push((zone, addr));
                }
                None => {
                    let addr = server(text.trim()).ok_or_else(|| {
                        bad("not `SERVER[:PORT]` or `ZONE=SERVER[:PORT]` (SERVER: an IP address)")
                    })?;
                    if routes.default.replace(addr).is_some() {
                        return Err(bad("a second server for every zone"));
                    }
                }
            }
        }
        routes
            .zones
            .sort_by_key(|(z, _)| std::cmp::Reverse(z.len()));
        Ok(routes)
    }

    /// A route for every zone to `server` (a plan or journal read back).
    pub fn single(server: SocketAddr) -> Routes {
        Routes {
            default: Some(server),
            zones: Vec::new(),
        }
    }

    /// Routes `zone` to `server` unless a route names that zone already.
    pub fn add_zone(&mut self, zone: &str, server: SocketAddr) {
        let zone = absolute(zone);
        if !self.zones.iter().any(|(z, _)| *z == zone) {
            self.zones.push((zone, server));
            self.zones.sort_by_key(|(z, _)| std::cmp::Reverse(z.len()));
        }
    }

    /// True when no server was given.
    pub fn is_empty(&self) -> bool {
        self.default.is_none() && self.zones.is_empty()
    }

    /// The primary for `name` (absolute): the route of the longest zone that
    /// holds it, else the server for every zone.
    pub fn server_for(&self, name: &str) -> Option<SocketAddr> {
        self.zones
            .iter()
            .find(|(z, _)| within(name, z))
            .map(|(_, s)| *s)
            .or(self.default)
    }

    /// Every server named, distinct.
    pub fn servers(&self) -> Vec<SocketAddr> {
        let mut all: Vec<SocketAddr> = self
            .default
            .iter()
            .copied()
            .chain(self.zones.iter().map(|(_, s)| *s))
            .collect();
        all.sort();
        all.dedup();
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_routed_zone_wins_and_the_default_takes_the_rest() {
        let routes = Routes::parse(&[
            "127.0.0.1:5300".into(),
            "examplehost.net=127.0.0.2".into(),
            "FRA1.examplehost.net.=[::1]:5301".into(),
        ])
        .unwrap();
        let at = |n: &str| routes.server_for(n).map(|s| s.to_string());
        assert_eq!(
            at("mail.fra1.examplehost.net.").as_deref(),
            Some("[::1]:5301")
        );
        assert_eq!(at("www.examplehost.net.").as_deref(), Some("127.0.0.2:53"));
        assert_eq!(
            at("x.notexamplehost.net.").as_deref(),
            Some("127.0.0.1:5300"),
            "suffixes match on label boundaries only"
        );
        assert_eq!(routes.servers().len(), 3);
        assert_eq!(
            Routes::parse(&["examplehost.net=127.0.0.2".into()])
                .unwrap()
                .server_for("x.example."),
            None
        );
    }

    #[test]
    fn bad_routes_say_what_is_wrong() {
        for (bad, why) in [
            ("primary.example", "SERVER"),
            ("127.0.0.1:0", "SERVER"),
            ("a..b=127.0.0.1", "zone"),
            ("x=y", "server"),
            ("x y=127.0.0.1", "zone"),
        ] {
            let e = Routes::parse(&[bad.into()]).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
        let e = Routes::parse(&["127.0.0.1".into(), "127.0.0.2".into()]).unwrap_err();
        assert!(e.to_string().contains("second"), "{e}");
        let e = Routes::parse(&["a.=127.0.0.1".into(), "A=127.0.0.2".into()]).unwrap_err();
        assert!(e.to_string().contains("twice"), "{e}");
    }
}
