//! The SSRF guard's rules: which URLs and addresses a user-supplied outbound URL may reach.
//! Only `http`/`https`, no credentials in the URL, and no address outside the public internet
//! (loopback, private, link-local and cloud metadata, CGNAT, multicast, reserved, documentation,
//! and the IPv6 forms that embed such an IPv4 address) unless an admin allow-listed it
//! (`OUTBOUND_ALLOW`): a range with any port (`10.0.0.0/8`) or one address and port
//! (`127.0.0.1:8000`, `[::1]:8000`), so that opening one local model server does not open every
//! other loopback service (Redis, PostgreSQL, this server).
//! URL parsing follows the WHATWG rules browsers use, so `http://2130706433/`, `http://0x7f.1/`
//! and `http://127.1/` are all read as 127.0.0.1 before the check.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use url::{Host, Url};

/// Why an outbound URL or address was refused. The text is safe to show to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SsrfError {
    /// Not a URL.
    #[error("not a valid URL: {0}")]
    Invalid(String),
    /// Not http or https.
    #[error("only http and https URLs are allowed")]
    Scheme,
    /// `user:pass@` in the URL.
    #[error("credentials in the URL are not allowed")]
    Credentials,
    /// A name that always means this machine.
    #[error("{0} points at this server; not allowed")]
    LocalName(String),
    /// The address is in a refused range.
    #[error("{0} is a private, loopback, link-local or reserved address; not allowed")]
    Forbidden(IpAddr),
    /// The name did not resolve.
    #[error("{0} could not be resolved")]
    Unresolvable(String),
}

/// One `OUTBOUND_ALLOW` entry: addresses, and the one port they are open on (any without).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AllowEntry {
    /// The addresses.
    pub net: IpNet,
    /// The port, or any.
    pub port: Option<u16>,
}

impl AllowEntry {
    /// Whether `ip:port` is open.
    pub fn covers(&self, ip: IpAddr, port: u16) -> bool {
        self.net.contains(&ip) && self.port.is_none_or(|p| p == port)
    }
}

impl std::str::FromStr for AllowEntry {
    type Err = String;

    /// `10.0.0.0/8`, `10.1.2.3`, `10.1.2.3:8000`, `::1`, `[::1]:8000`.
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Ok(net) = s.parse::<IpNet>() {
            return Ok(Self { net, port: None });
        }
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(Self {
                net: IpNet::from(ip),
                port: None,
            });
        }
        match s.parse::<std::net::SocketAddr>() {
            Ok(addr) if addr.port() != 0 => Ok(Self {
                net: IpNet::from(addr.ip()),
                port: Some(addr.port()),
            }),
            _ => Err(format!(
                "`{s}` is not a CIDR range, an IP address or an address:port (names are not accepted: the address is what is checked)"
            )),
        }
    }
}

impl std::fmt::Display for AllowEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (
            self.port,
            self.net.prefix_len() == self.net.max_prefix_len(),
        ) {
            (Some(port), _) => write!(f, "{}", std::net::SocketAddr::new(self.net.addr(), port)),
            (None, true) => write!(f, "{}", self.net.addr()),
            (None, false) => write!(f, "{}", self.net),
        }
    }
}

/// Parses and checks a URL's form (scheme, credentials, literal addresses, local names). Names
/// are checked again when they are resolved, at connection time.
pub fn check_url(raw: &str, allow: &[AllowEntry]) -> Result<Url, SsrfError> {
    let url = Url::parse(raw.trim()).map_err(|e| SsrfError::Invalid(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(SsrfError::Scheme);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(SsrfError::Credentials);
    }
    let port = url.port_or_known_default().unwrap_or(80);
    match url.host() {
        None => return Err(SsrfError::Invalid("no host".to_owned())),
        Some(Host::Ipv4(ip)) => check_ip(IpAddr::V4(ip), port, allow)?,
        Some(Host::Ipv6(ip)) => check_ip(IpAddr::V6(ip), port, allow)?,
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if name == "localhost" || name.ends_with(".localhost") || name.is_empty() {
                return Err(SsrfError::LocalName(name));
            }
        }
    }
    Ok(url)
}

/// Refuses an address outside the public internet unless `allow` covers it on `port`.
pub fn check_ip(ip: IpAddr, port: u16, allow: &[AllowEntry]) -> Result<(), SsrfError> {
    if allow.iter().any(|entry| entry.covers(ip, port)) {
        return Ok(());
    }
    if is_public(ip) {
        Ok(())
    } else {
        Err(SsrfError::Forbidden(ip))
    }
}

/// Whether an address is ordinary public unicast.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let special = a == 0 // "this network"
        || a == 10
        || a == 127
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64/10
        || (a == 169 && b == 254) // link-local, cloud metadata
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // TEST-NET-1
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || (a == 192 && b == 168)
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // TEST-NET-2
        || (a == 203 && b == 0 && c == 113) // TEST-NET-3
        || a >= 224; // multicast 224/4, reserved 240/4, broadcast
    !special
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let seg = ip.segments();
    // Forms that carry an IPv4 address: judge by that address.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    if seg[..6] == [0, 0, 0, 0, 0, 0] {
        // ::/96 (IPv4-compatible, also :: and ::1).
        return false;
    }
    if seg[0] == 0x64 && seg[1] == 0xff9b {
        // NAT64 64:ff9b::/96 and the local-use 64:ff9b:1::/48.
        if seg[2..6] == [0, 0, 0, 0] {
            return is_public_v4(v4_from(seg[6], seg[7]));
        }
        return false;
    }
    if seg[0] == 0x2002 {
        // 6to4: the IPv4 address is in segments 1 and 2.
        return is_public_v4(v4_from(seg[1], seg[2]));
    }
    // Only global unicast 2000::/3 is public, minus its special blocks.
    if seg[0] & 0xe000 != 0x2000 {
        return false; // ULA fc00::/7, link-local fe80::/10, site-local, multicast ff00::/8, …
    }
    // 2001::/23 IETF assignments (Teredo, ORCHID, benchmarking…), 2001:db8::/32 and
    // 3fff::/20 documentation.
    let special = (seg[0] == 0x2001 && (seg[1] < 0x0200 || seg[1] == 0x0db8)) || seg[0] == 0x3fff;
    !special
}

fn v4_from(hi: u16, lo: u16) -> Ipv4Addr {
    let [a, b] = hi.to_be_bytes();
    let [c, d] = lo.to_be_bytes();
    Ipv4Addr::new(a, b, c, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str) -> bool {
        check_url(url, &[]).is_err()
    }

    #[test]
    fn every_spelling_of_loopback_and_private_is_refused() {
        for url in [
            "http://127.0.0.1/",
            "http://127.1/",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://0x7f.1/",
            "http://0177.0.0.1/",
            "http://localhost/",
            "http://LOCALHOST./",
            "http://api.localhost/",
            "http://[::1]/",
            "http://[::]/",
            "http://0.0.0.0/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://[::127.0.0.1]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://[2002:7f00:1::]/",
            "http://[fe80::1]/",
            "http://[fc00::1]/",
            "http://[fd12:3456::1]/",
            "http://[ff02::1]/",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://172.31.255.255/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://100.64.0.1/",
            "http://198.18.0.1/",
            "http://192.0.2.1/",
            "http://224.0.0.1/",
            "http://255.255.255.255/",
            "http://[2001:db8::1]/",
        ] {
            assert!(refused(url), "{url} must be refused");
        }
    }

    #[test]
    fn public_addresses_and_names_pass() {
        for url in [
            "https://api.openai.com/v1",
            "http://8.8.8.8/",
            "https://1.1.1.1:8443/x",
            "http://[2606:4700:4700::1111]/",
            "http://172.32.0.1/",
            "http://100.128.0.1/",
        ] {
            assert!(check_url(url, &[]).is_ok(), "{url} must pass");
        }
    }

    #[test]
    fn schemes_and_credentials_are_refused() {
        assert_eq!(check_url("ftp://example.com/", &[]), Err(SsrfError::Scheme));
        assert_eq!(check_url("file:///etc/passwd", &[]), Err(SsrfError::Scheme));
        assert_eq!(
            check_url("http://user:pw@example.com/", &[]),
            Err(SsrfError::Credentials)
        );
        assert!(matches!(
            check_url("not a url", &[]),
            Err(SsrfError::Invalid(_))
        ));
    }

    #[test]
    fn an_allow_list_opens_exactly_its_ranges() {
        let allow: Vec<AllowEntry> = vec!["10.0.0.0/8".parse().unwrap()];
        assert!(check_url("http://10.9.8.7/", &allow).is_ok());
        assert!(check_url("http://192.168.0.1/", &allow).is_err());
        assert!(check_ip("10.0.0.1".parse().unwrap(), 6379, &allow).is_ok());
    }

    #[test]
    fn an_address_and_port_opens_that_port_only() {
        let allow: Vec<AllowEntry> = ["127.0.0.1:8000", "[::1]:9000"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        assert!(check_url("http://127.0.0.1:8000/v1", &allow).is_ok());
        assert!(check_url("http://127.0.0.1:6379/", &allow).is_err());
        assert!(check_url("http://127.0.0.1/", &allow).is_err());
        assert!(check_url("http://[::1]:9000/", &allow).is_ok());
        assert!(check_ip("127.0.0.1".parse().unwrap(), 5432, &allow).is_err());
        assert_eq!(allow[0].to_string(), "127.0.0.1:8000");
        assert_eq!(allow[1].to_string(), "[::1]:9000");
        assert!("llm.internal:8000".parse::<AllowEntry>().is_err());
        assert!("127.0.0.1:0".parse::<AllowEntry>().is_err());
        let any: AllowEntry = "10.1.2.3".parse().unwrap();
        assert_eq!((any.to_string(), any.port), ("10.1.2.3".to_owned(), None));
    }
}
