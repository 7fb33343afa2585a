//! libpq's multi-host URLs (layer 4, PostgreSQL): `h1:5432,h2:5433` in the
//! authority, or `host=` and `port=` lists in the query; which server to
//! keep (`target_session_attrs`) and whether to shuffle them
//! (`load_balance_hosts`). The rules are libpq's (`fe-connect.c`): a port
//! list has one entry (for every host) or one per host; an empty entry is
//! the default port.
//!
//! The layers then check a single-host form of the URL (the first host), and
//! layer 5 builds the options of each host from it.

use crate::resolution::{Rejection, SessionAttrs};

/// The hosts of a PostgreSQL URL and what to do with them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostList {
    /// Each host (a name, an address without brackets, or a socket
    /// directory) with its port, when one was given.
    pub(crate) hosts: Vec<(String, Option<u16>)>,
    /// Which server to keep.
    pub(crate) attrs: SessionAttrs,
    /// `load_balance_hosts=random`: try the hosts in a random order.
    pub(crate) random: bool,
    /// The URL with the first host only and without the parameters read
    /// here: what the other layers and the driver check.
    pub(crate) single: String,
}

/// The query parameters this module reads and the driver never sees.
const OWN_PARAMS: &[&str] = &["target_session_attrs", "load_balance_hosts"];

/// Splits a PostgreSQL URL's hosts. A URL with one host and none of the
/// parameters read here is returned as is, in a one-host list.
pub(crate) fn split(url: &str) -> Result<HostList, Rejection> {
    let Some(start) = url.find("://").map(|i| i + 3) else {
        return Ok(one(url));
    };
    let rest = &url[start..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let (userinfo, hostlist) = match authority.rfind('@') {
        Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
        None => (None, authority),
    };
    let after = &rest[authority_end..];
    let (path, query) = match after.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (after, None),
    };
    let listed = |p: &&str| {
        (p.starts_with("host=") || p.starts_with("port=")) && (p.contains(',') || p.contains("%2C"))
    };
    let lists = hostlist.contains(',') || query.is_some_and(|q| q.split('&').any(|p| listed(&p)));
    if (!lists && query.is_none_or(|q| !own(q))) || after.contains('@') {
        // One host and nothing of ours, or an `@` past the host that the
        // parse layer explains: unchanged.
        return Ok(one(url));
    }

    let mut attrs = SessionAttrs::Any;
    let mut random = false;
    let mut query_hosts: Option<Vec<String>> = None;
    let mut query_ports: Option<Vec<String>> = None;
    let mut kept: Vec<&str> = Vec::new();
    for pair in query.into_iter().flat_map(|q| q.split('&')) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        // libpq percent-decodes every value (`read%2Dwrite` is `read-write`).
        let decoded = || percent_encoding::percent_decode_str(value).decode_utf8_lossy();
        match key {
            "target_session_attrs" => {
                attrs = SessionAttrs::parse(&decoded()).ok_or(Rejection::SessionAttrs)?;
            }
            "load_balance_hosts" => {
                random = match &*decoded() {
                    "disable" => false,
                    "random" => true,
                    _ => return Err(Rejection::LoadBalanceHosts),
                };
            }
            "host" if value.contains(',') || value.contains("%2C") => {
                query_hosts = Some(list(value));
            }
            "port" if value.contains(',') || value.contains("%2C") => {
                query_ports = Some(list(value));
            }
            _ => kept.push(pair),
        }
    }

    let authority_hosts = split_authority(hostlist)?;
    let (names, ports): (Vec<String>, Vec<String>) = match query_hosts {
        Some(hosts) => {
            // `host=` in the query wins over the authority (libpq), which
            // then holds at most a placeholder.
            let ports = query_ports.unwrap_or_else(|| {
                kept.iter()
                    .find_map(|p| p.strip_prefix("port="))
                    .map_or_else(|| vec![String::new()], |p| vec![p.to_owned()])
            });
            kept.retain(|p| !p.starts_with("port="));
            (hosts, ports)
        }
        None => {
            let (names, mut ports): (Vec<String>, Vec<String>) =
                authority_hosts.into_iter().unzip();
            if let Some(list) = query_ports {
                ports = list;
            }
            (names, ports)
        }
    };
    if ports.len() != 1 && ports.len() != names.len() {
        return Err(Rejection::PortList {
            hosts: names.len(),
            ports: ports.len(),
        });
    }
    let mut hosts = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let port = &ports[if ports.len() == 1 { 0 } else { i }];
        let port = if port.is_empty() {
            None
        } else {
            Some(
                port.parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or(Rejection::InvalidPort)?,
            )
        };
        hosts.push((name.clone(), port));
    }

    let single = single_host(url, start, userinfo, &hosts, path, &kept);
    Ok(HostList {
        hosts,
        attrs,
        random,
        single,
    })
}

/// The single-host form of a multi-host URL: the first host in the
/// authority, the same user, database and other parameters (`kept`).
fn single_host(
    url: &str,
    start: usize,
    userinfo: Option<&str>,
    hosts: &[(String, Option<u16>)],
    path: &str,
    kept: &[&str],
) -> String {
    let (first, first_port) = hosts.first().cloned().unwrap_or_default();
    let mut single = String::with_capacity(url.len());
    single.push_str(&url[..start]);
    if let Some(u) = userinfo {
        single.push_str(u);
        single.push('@');
    }
    if first.starts_with('/') {
        // A socket directory goes in the query, as libpq writes it.
        single.push_str("localhost");
    } else if first.contains(':') {
        single.push('[');
        single.push_str(&first);
        single.push(']');
    } else {
        single.push_str(&first);
    }
    if let Some(p) = first_port {
        single.push(':');
        single.push_str(&p.to_string());
    }
    single.push_str(path);
    let socket = first.starts_with('/').then(|| format!("host={first}"));
    let params: Vec<&str> = kept
        .iter()
        .copied()
        .filter(|p| !p.is_empty())
        .chain(socket.as_deref())
        .collect();
    if !params.is_empty() {
        single.push('?');
        single.push_str(&params.join("&"));
    }
    single
}

/// A one-host URL, unchanged.
fn one(url: &str) -> HostList {
    HostList {
        hosts: Vec::new(),
        attrs: SessionAttrs::Any,
        random: false,
        single: url.to_owned(),
    }
}

fn own(query: &str) -> bool {
    query
        .split('&')
        .any(|p| OWN_PARAMS.contains(&p.split_once('=').map_or(p, |(k, _)| k)))
}

/// A comma-separated list, percent-decoded (`%2C` is a comma too).
fn list(value: &str) -> Vec<String> {
    let decoded = percent_encoding::percent_decode_str(value).decode_utf8_lossy();
    decoded.split(',').map(str::to_owned).collect()
}

/// `h1:5432,[::1]:5433,h3` into hosts and ports (empty when not given).
fn split_authority(hostlist: &str) -> Result<Vec<(String, String)>, Rejection> {
    let mut out = Vec::new();
    for entry in hostlist.split(',') {
        if let Some(v6) = entry.strip_prefix('[') {
            let (addr, tail) = v6.split_once(']').ok_or(Rejection::InvalidHost)?;
            let port = match tail.strip_prefix(':') {
                Some(p) => p.to_owned(),
                None if tail.is_empty() => String::new(),
                None => return Err(Rejection::InvalidHost),
            };
            out.push((addr.to_owned(), port));
        } else {
            match entry.rsplit_once(':') {
                Some((h, p)) => out.push((h.to_owned(), p.to_owned())),
                None => out.push((entry.to_owned(), String::new())),
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(url: &str) -> Vec<(String, Option<u16>)> {
        split(url).unwrap().hosts
    }

    #[test]
    fn authority_lists() {
        assert_eq!(
            hosts("postgresql://u:p@h1:5432,h2,[::1]:6000/db"),
            vec![
                ("h1".into(), Some(5432)),
                ("h2".into(), None),
                ("::1".into(), Some(6000))
            ]
        );
        let l = split(
            "postgresql://u:p@h1:5432,h2:5433/db?sslmode=disable&target_session_attrs=read-write",
        )
        .unwrap();
        assert_eq!(l.attrs, SessionAttrs::ReadWrite);
        assert_eq!(l.single, "postgresql://u:p@h1:5432/db?sslmode=disable");
    }

    #[test]
    fn query_lists_and_port_rules() {
        assert_eq!(
            hosts("postgresql://u@/db?host=a,b&port=1,2"),
            vec![("a".into(), Some(1)), ("b".into(), Some(2))]
        );
        assert_eq!(
            hosts("postgresql://u@/db?host=a,b&port=7"),
            vec![("a".into(), Some(7)), ("b".into(), Some(7))]
        );
        assert_eq!(
            split("postgresql://u@/db?host=a,b,c&port=1,2").unwrap_err(),
            Rejection::PortList { hosts: 3, ports: 2 }
        );
        assert_eq!(
            split("postgresql://u@h1:1,h2/db?port=1,2,3").unwrap_err(),
            Rejection::PortList { hosts: 2, ports: 3 }
        );
        assert_eq!(
            split("postgresql://u@h1:0,h2/db").unwrap_err(),
            Rejection::InvalidPort
        );
    }

    #[test]
    fn attributes_are_checked() {
        assert_eq!(
            split("postgresql://h/db?target_session_attrs=master").unwrap_err(),
            Rejection::SessionAttrs
        );
        assert_eq!(
            split("postgresql://h1,h2/db?load_balance_hosts=sometimes").unwrap_err(),
            Rejection::LoadBalanceHosts
        );
        let l = split("postgresql://h1,h2/db?load_balance_hosts=random").unwrap();
        assert!(l.random);
        // Percent-decoded, as libpq reads them.
        let l = split("postgresql://h1,h2/db?target_session_attrs=read%2Dwrite").unwrap();
        assert_eq!(l.attrs, SessionAttrs::ReadWrite);
        let l = split("postgresql://h1,h2/db?load_balance_hosts=%72andom").unwrap();
        assert!(l.random);
        // One host and nothing of ours: unchanged.
        let l = split("postgresql://u@h:1/db?sslmode=disable").unwrap();
        assert!(l.hosts.is_empty());
        assert_eq!(l.single, "postgresql://u@h:1/db?sslmode=disable");
    }
}
