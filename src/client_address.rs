//! Who is asking from where: the client's address, behind the reverse proxies the
//! operator trusts (`--trusted-proxies`). The sign-in and token limits count per
//! client address; behind a proxy every socket comes from the proxy, so without this
//! all clients would share one allowance.

use actix_web::HttpRequest;
use actix_web::dev::ServiceRequest;
use actix_web::http::header::HeaderMap;
use ipnet::IpNet;
use std::net::IpAddr;

/// The proxies whose `X-Forwarded-For` is believed: addresses or networks.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parse `--trusted-proxies`: addresses or CIDR networks separated by commas.
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        format!("--trusted-proxies: {s:?} is not an IP address or network")
                    })
            })
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's address: the socket's peer, unless the peer is a trusted proxy;
    /// then the nearest address in `X-Forwarded-For` that is not a trusted proxy (read
    /// from the right: everything left of it could have been written by the client).
    pub fn client(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = peer?;
        if !self.trusts(peer) {
            return Some(peer);
        }
        let hops: Vec<Option<IpAddr>> = headers
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|hop| hop.trim().parse::<IpAddr>().ok())
            .collect();
        let mut farthest = peer;
        for hop in hops.iter().rev() {
            match hop {
                Some(ip) if self.trusts(*ip) => farthest = *ip,
                Some(ip) => return Some(*ip),
                // A hop that is not an address: nothing left of it can be believed.
                None => break,
            }
        }
        Some(farthest)
    }

    pub fn of_request(&self, req: &HttpRequest) -> Option<IpAddr> {
        self.client(req.peer_addr().map(|a| a.ip()), req.headers())
    }

    pub fn of_service_request(&self, req: &ServiceRequest) -> Option<IpAddr> {
        self.client(req.peer_addr().map(|a| a.ip()), req.headers())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(forwarded: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in forwarded {
            map.append(
                HeaderName::from_static("x-forwarded-for"),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let got = proxies.client(Some(ip("203.0.113.9")), &headers(&["198.51.100.1"]));
        assert_eq!(got, Some(ip("203.0.113.9")));
        let none = TrustedProxies::default();
        let got = none.client(Some(ip("127.0.0.1")), &headers(&["198.51.100.1"]));
        assert_eq!(got, Some(ip("127.0.0.1")));
    }

    #[test]
    fn behind_trusted_proxies_the_nearest_untrusted_hop_is_the_client() {
        let proxies = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").unwrap();
        // The client wrote a forged first hop; the proxies appended what they saw.
        let chain = headers(&["1.2.3.4, 198.51.100.7", "10.1.2.3"]);
        assert_eq!(
            proxies.client(Some(ip("127.0.0.1")), &chain),
            Some(ip("198.51.100.7"))
        );
        // Every hop trusted: the farthest one.
        let inside = headers(&["10.9.9.9, 10.1.1.1"]);
        assert_eq!(
            proxies.client(Some(ip("127.0.0.1")), &inside),
            Some(ip("10.9.9.9"))
        );
        // No header, or garbage: the proxy itself; garbage left of a real hop is
        // the client's own writing.
        assert_eq!(
            proxies.client(Some(ip("127.0.0.1")), &headers(&["not an address"])),
            Some(ip("127.0.0.1"))
        );
        assert_eq!(
            proxies.client(Some(ip("127.0.0.1")), &headers(&["junk, 198.51.100.7"])),
            Some(ip("198.51.100.7"))
        );
        assert_eq!(
            proxies.client(Some(ip("127.0.0.1")), &HeaderMap::new()),
            Some(ip("127.0.0.1"))
        );
    }

    #[test]
    fn a_bad_list_is_refused_with_its_entry() {
        let err = TrustedProxies::parse("10.0.0.1, proxy.local").unwrap_err();
        assert!(err.contains("proxy.local"), "{err}");
        assert!(TrustedProxies::parse("").unwrap().0.is_empty());
        assert!(TrustedProxies::parse("::1, fd00::/8").is_ok());
    }
}
