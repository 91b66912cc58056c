//! Resolver addresses as inventories (`resolvers:`) and the command line
//! (`--resolver`) write them: `IP`, `IP:PORT`, `[IPv6]` or `[IPv6]:PORT`,
//! port 53 when none is given.

use std::net::{IpAddr, SocketAddr};

/// The resolver port when none is written.
pub const DNS_PORT: u16 = 53;

/// Parses `IP`, `IP:PORT`, `[IPv6]` or `[IPv6]:PORT`; `None` for anything
/// else (names are not resolved).
pub fn parse_resolver(text: &str) -> Option<SocketAddr> {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Some(addr);
    }
    let bare = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    let ip: IpAddr = bare.parse().ok()?;
    Some(SocketAddr::new(ip, DNS_PORT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolvers_default_to_port_53_and_take_brackets() {
        let ok = [
            ("127.0.0.1", "127.0.0.1:53"),
            ("127.0.0.1:5353", "127.0.0.1:5353"),
            ("::1", "[::1]:53"),
            ("[::1]", "[::1]:53"),
            ("[::1]:5353", "[::1]:5353"),
        ];
        for (text, want) in ok {
            assert_eq!(parse_resolver(text), Some(want.parse().unwrap()), "{text}");
        }
        for bad in [
            "dns.example",
            "localhost",
            "[::1",
            "::1]",
            "127.0.0.1:",
            "",
            "[]",
        ] {
            assert_eq!(parse_resolver(bad), None, "{bad}");
        }
    }
}
