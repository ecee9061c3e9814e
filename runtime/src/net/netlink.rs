//! A minimal rtnetlink client, enough for linux.netDevices: look a link up, list its
//! addresses, move (and rename) it into another network namespace, add an address, set it up.
//!
//! Hand-rolled over a `NETLINK_ROUTE` socket with libc (through nix) rather than
//! `netlink-packet-route` + `netlink-sys`: the handful of fixed-layout messages below cost no
//! dependency at all, where those crates bring half a dozen (with their proc-macro and
//! byte-order helpers) for a few hundred lines of use. Layouts are the kernel's
//! (`linux/netlink.h`, `linux/rtnetlink.h`, `linux/if_link.h`, `linux/if_addr.h`).

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use nix::errno::Errno;
use nix::libc;

/// `struct nlmsghdr`: length, type, flags, sequence number, port id.
const NLMSG_HDRLEN: usize = 16;
/// `struct ifinfomsg`: family, pad, type, index, flags, change.
const IFINFOMSG_LEN: usize = 16;
/// `struct ifaddrmsg`: family, prefix length, flags, scope, index.
const IFADDRMSG_LEN: usize = 8;
/// `struct rtattr`: length, type.
const RTA_HDRLEN: usize = 4;
/// `struct nlmsgerr` starts with the (negated) errno.
const NLMSGERR_ERRNO_LEN: usize = 4;
/// Replies are read in chunks of this size (a dump of a few links and addresses fits).
const RECV_BUF: usize = 64 * 1024;
/// Address attributes carried over when an address is added again: the address, the local
/// address (IPv4) and the broadcast address.
const KEPT_ADDRESS_ATTRS: [u16; 3] = [libc::IFA_ADDRESS, libc::IFA_LOCAL, libc::IFA_BROADCAST];
/// Address flags (`IFA_F_*`) that describe how an address was configured, kept when it is
/// added again (the others describe its state, which the kernel sets).
const KEPT_ADDRESS_FLAGS: u32 =
    libc::IFA_F_NODAD | libc::IFA_F_NOPREFIXROUTE | libc::IFA_F_MANAGETEMPADDR;

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// A network interface as RTM_NEWLINK describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub index: i32,
    /// `IFF_*` flags.
    pub flags: u32,
    pub name: String,
    /// The hardware address (empty when the link has none).
    pub mac: Vec<u8>,
}

/// An interface address as RTM_NEWADDR describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    pub family: u8,
    pub prefix_len: u8,
    pub scope: u8,
    /// `IFA_F_*` flags (the 32-bit IFA_FLAGS attribute when present).
    pub flags: u32,
    /// The attributes of [`KEPT_ADDRESS_ATTRS`] it has.
    pub attrs: Vec<(u16, Vec<u8>)>,
}

impl Address {
    /// Permanent (configured, not learned) and of global scope: what linux.netDevices keeps.
    pub fn permanent_global(&self) -> bool {
        self.flags & libc::IFA_F_PERMANENT != 0 && self.scope == libc::RT_SCOPE_UNIVERSE
    }
}

/// A netlink message being built.
struct Request {
    buf: Vec<u8>,
}

impl Request {
    fn new(kind: u16, flags: u16) -> Request {
        let mut buf = vec![0u8; NLMSG_HDRLEN];
        buf[4..6].copy_from_slice(&kind.to_ne_bytes());
        buf[6..8].copy_from_slice(&flags.to_ne_bytes());
        Request { buf }
    }

    fn body(mut self, bytes: &[u8]) -> Request {
        self.buf.extend_from_slice(bytes);
        self.buf.resize(align4(self.buf.len()), 0);
        self
    }

    fn attr(mut self, kind: u16, data: &[u8]) -> Request {
        let len = u16::try_from(RTA_HDRLEN + data.len()).unwrap_or(u16::MAX);
        self.buf.extend_from_slice(&len.to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        self.buf.extend_from_slice(data);
        self.buf.resize(align4(self.buf.len()), 0);
        self
    }

    fn finish(mut self, seq: u32) -> Vec<u8> {
        let len = u32::try_from(self.buf.len()).unwrap_or(u32::MAX);
        self.buf[0..4].copy_from_slice(&len.to_ne_bytes());
        self.buf[8..12].copy_from_slice(&seq.to_ne_bytes());
        self.buf
    }
}

fn ifinfomsg(index: i32, flags: u32, change: u32) -> [u8; IFINFOMSG_LEN] {
    let mut b = [0u8; IFINFOMSG_LEN];
    b[0] = libc::AF_UNSPEC as u8;
    b[4..8].copy_from_slice(&index.to_ne_bytes());
    b[8..12].copy_from_slice(&flags.to_ne_bytes());
    b[12..16].copy_from_slice(&change.to_ne_bytes());
    b
}

/// A name as IFLA_IFNAME carries it: NUL-terminated.
fn c_name(name: &str) -> Vec<u8> {
    let mut v = name.as_bytes().to_vec();
    v.push(0);
    v
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The attributes of a message body after its fixed header.
fn attrs(mut b: &[u8]) -> Vec<(u16, &[u8])> {
    let mut out = Vec::new();
    while let (Some(len), Some(kind)) = (u16_at(b, 0), u16_at(b, 2)) {
        let len = usize::from(len);
        if len < RTA_HDRLEN || len > b.len() {
            break;
        }
        out.push((kind, &b[RTA_HDRLEN..len]));
        b = b.get(align4(len)..).unwrap_or_default();
    }
    out
}

/// Parses an RTM_NEWLINK body.
pub fn parse_link(body: &[u8]) -> Option<Link> {
    let index = i32::try_from(u32_at(body, 4)?).ok()?;
    let flags = u32_at(body, 8)?;
    let mut link = Link {
        index,
        flags,
        name: String::new(),
        mac: Vec::new(),
    };
    for (kind, data) in attrs(body.get(IFINFOMSG_LEN..)?) {
        match kind {
            libc::IFLA_IFNAME => {
                let end = data.iter().position(|c| *c == 0).unwrap_or(data.len());
                link.name = String::from_utf8_lossy(&data[..end]).into_owned();
            }
            libc::IFLA_ADDRESS => link.mac = data.to_vec(),
            _ => {}
        }
    }
    Some(link)
}

/// Parses an RTM_NEWADDR body; `None` when it is not of interface `index`.
pub fn parse_address(body: &[u8], index: i32) -> Option<Address> {
    let of = i32::try_from(u32_at(body, 4)?).ok()?;
    if of != index {
        return None;
    }
    let mut a = Address {
        family: *body.first()?,
        prefix_len: *body.get(1)?,
        flags: u32::from(*body.get(2)?),
        scope: *body.get(3)?,
        attrs: Vec::new(),
    };
    for (kind, data) in attrs(body.get(IFADDRMSG_LEN..)?) {
        if kind == libc::IFA_FLAGS {
            a.flags = u32_at(data, 0).unwrap_or(a.flags);
        } else if KEPT_ADDRESS_ATTRS.contains(&kind) {
            a.attrs.push((kind, data.to_vec()));
        }
    }
    Some(a)
}

/// A `NETLINK_ROUTE` socket, in the network namespace it was opened in.
pub struct Socket {
    fd: OwnedFd,
    seq: u32,
}

impl Socket {
    /// Opens a socket in the calling thread's network namespace.
    pub fn open() -> Result<Socket, Errno> {
        // SAFETY: socket(2) with constant arguments; the result is checked and then owned.
        let raw = unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                libc::NETLINK_ROUTE,
            )
        };
        if raw < 0 {
            return Err(Errno::last());
        }
        // SAFETY: a descriptor socket(2) just returned, owned here only.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: sockaddr_nl is plain data; all zeroes (port 0: the kernel assigns one) is valid.
        let mut addr: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        // SAFETY: bind(2) reads a sockaddr_nl of the size given.
        let rc = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                std::ptr::addr_of!(addr).cast(),
                std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        };
        if rc < 0 {
            return Err(Errno::last());
        }
        Ok(Socket { fd, seq: 0 })
    }

    /// Sends `req` and collects the bodies of the replies, until the acknowledgement (or the
    /// error), the end of a dump, or the one reply to a plain request.
    fn exchange(&mut self, req: Request, dump: bool) -> Result<Vec<Vec<u8>>, Errno> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let msg = req.finish(seq);
        // SAFETY: send(2) reads `msg.len()` bytes of a buffer we own.
        let sent = unsafe { libc::send(self.fd.as_raw_fd(), msg.as_ptr().cast(), msg.len(), 0) };
        if sent < 0 {
            return Err(Errno::last());
        }
        let mut bodies = Vec::new();
        let mut buf = vec![0u8; RECV_BUF];
        loop {
            // SAFETY: recv(2) writes at most `buf.len()` bytes into a buffer we own.
            let n =
                unsafe { libc::recv(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
            let n = usize::try_from(n).map_err(|_| Errno::last())?;
            if n == 0 {
                return Err(Errno::EBADMSG);
            }
            let mut at = 0;
            while at + NLMSG_HDRLEN <= n {
                let len = u32_at(&buf, at).map_or(0, |l| l as usize);
                let kind = u16_at(&buf, at + 4).unwrap_or(0);
                let of = u32_at(&buf, at + 8).unwrap_or(0);
                if len < NLMSG_HDRLEN || at + len > n {
                    return Err(Errno::EBADMSG);
                }
                let body = &buf[at + NLMSG_HDRLEN..at + len];
                at += align4(len);
                if of != seq {
                    continue;
                }
                match i32::from(kind) {
                    libc::NLMSG_ERROR => {
                        let code = body
                            .get(..NLMSGERR_ERRNO_LEN)
                            .and_then(|b| b.try_into().ok())
                            .map_or(-libc::EBADMSG, i32::from_ne_bytes);
                        return if code == 0 {
                            Ok(bodies)
                        } else {
                            Err(Errno::from_raw(-code))
                        };
                    }
                    libc::NLMSG_DONE => return Ok(bodies),
                    _ => {
                        bodies.push(body.to_vec());
                        if !dump {
                            return Ok(bodies);
                        }
                    }
                }
            }
        }
    }

    fn request(kind: u16, extra: u16) -> Request {
        Request::new(kind, (libc::NLM_F_REQUEST as u16) | extra)
    }

    /// The link called `name`, if there is one.
    pub fn link_by_name(&mut self, name: &str) -> Result<Option<Link>, Errno> {
        let req = Self::request(libc::RTM_GETLINK, 0)
            .body(&ifinfomsg(0, 0, 0))
            .attr(libc::IFLA_IFNAME, &c_name(name));
        self.one_link(req)
    }

    /// The link of index `index`, if there is one.
    pub fn link_by_index(&mut self, index: i32) -> Result<Option<Link>, Errno> {
        let req = Self::request(libc::RTM_GETLINK, 0).body(&ifinfomsg(index, 0, 0));
        self.one_link(req)
    }

    fn one_link(&mut self, req: Request) -> Result<Option<Link>, Errno> {
        match self.exchange(req, false) {
            Ok(bodies) => Ok(bodies.first().and_then(|b| parse_link(b))),
            Err(Errno::ENODEV) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every address of the link of index `index`, of every family.
    pub fn addresses(&mut self, index: i32) -> Result<Vec<Address>, Errno> {
        let mut ifa = [0u8; IFADDRMSG_LEN];
        ifa[0] = libc::AF_UNSPEC as u8;
        let req = Self::request(libc::RTM_GETADDR, libc::NLM_F_DUMP as u16).body(&ifa);
        let bodies = self.exchange(req, true)?;
        Ok(bodies
            .iter()
            .filter_map(|b| parse_address(b, index))
            .collect())
    }

    /// Moves the link of index `index` into the network namespace `netns`, naming it `name`
    /// there (a name ending in `%d` is a template the kernel fills with a free number). Fails
    /// with EEXIST when the name is taken there.
    pub fn move_to(&mut self, index: i32, netns: RawFd, name: &str) -> Result<(), Errno> {
        let fd = u32::try_from(netns).map_err(|_| Errno::EBADF)?;
        let req = Self::request(libc::RTM_NEWLINK, libc::NLM_F_ACK as u16)
            .body(&ifinfomsg(index, 0, 0))
            .attr(libc::IFLA_NET_NS_FD, &fd.to_ne_bytes())
            .attr(libc::IFLA_IFNAME, &c_name(name));
        self.exchange(req, false).map(drop)
    }

    /// Adds `a` to the link of index `index` (an address it already has is no error).
    pub fn add_address(&mut self, index: i32, a: &Address) -> Result<(), Errno> {
        let mut ifa = [0u8; IFADDRMSG_LEN];
        ifa[0] = a.family;
        ifa[1] = a.prefix_len;
        // The 8-bit flags field holds the low bits; IFA_FLAGS carries them all.
        let flags = a.flags & KEPT_ADDRESS_FLAGS;
        ifa[2] = (flags & 0xff) as u8;
        ifa[3] = a.scope;
        ifa[4..8].copy_from_slice(&index.to_ne_bytes());
        let mut req = Self::request(
            libc::RTM_NEWADDR,
            (libc::NLM_F_ACK | libc::NLM_F_CREATE | libc::NLM_F_EXCL) as u16,
        )
        .body(&ifa);
        for (kind, data) in &a.attrs {
            req = req.attr(*kind, data);
        }
        req = req.attr(libc::IFA_FLAGS, &flags.to_ne_bytes());
        match self.exchange(req, false) {
            Ok(_) | Err(Errno::EEXIST) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Sets the link of index `index` administratively up.
    pub fn set_up(&mut self, index: i32) -> Result<(), Errno> {
        let up = libc::IFF_UP as u32;
        let req = Self::request(libc::RTM_NEWLINK, libc::NLM_F_ACK as u16)
            .body(&ifinfomsg(index, up, up));
        self.exchange(req, false).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_has_its_length_sequence_and_padded_attributes() {
        let msg = Request::new(libc::RTM_GETLINK, libc::NLM_F_REQUEST as u16)
            .body(&ifinfomsg(7, 0, 0))
            .attr(libc::IFLA_IFNAME, &c_name("eth0"))
            .finish(42);
        // Header, ifinfomsg, then a 9-byte attribute padded to 12.
        assert_eq!(msg.len(), NLMSG_HDRLEN + IFINFOMSG_LEN + 12);
        assert_eq!(u32_at(&msg, 0), Some(msg.len() as u32));
        assert_eq!(u32_at(&msg, 8), Some(42));
        assert_eq!(u32_at(&msg, NLMSG_HDRLEN + 4), Some(7));
        let a = attrs(&msg[NLMSG_HDRLEN + IFINFOMSG_LEN..]);
        assert_eq!(a, [(libc::IFLA_IFNAME, &b"eth0\0"[..])]);
    }

    #[test]
    fn links_and_addresses_are_parsed_from_their_bodies() {
        let body = Request::new(0, 0)
            .body(&ifinfomsg(3, libc::IFF_UP as u32, 0))
            .attr(libc::IFLA_IFNAME, &c_name("oc1"))
            .attr(libc::IFLA_ADDRESS, &[1, 2, 3, 4, 5, 6])
            .finish(0);
        let link = parse_link(&body[NLMSG_HDRLEN..]).expect("parsed"); // ok: test code
        assert_eq!(link.index, 3);
        assert_eq!(link.name, "oc1");
        assert_eq!(link.mac, [1, 2, 3, 4, 5, 6]);

        let mut ifa = [0u8; IFADDRMSG_LEN];
        ifa[0] = libc::AF_INET as u8;
        ifa[1] = 24;
        ifa[2] = 0;
        ifa[4..8].copy_from_slice(&3i32.to_ne_bytes());
        let body = Request::new(0, 0)
            .body(&ifa)
            .attr(libc::IFA_LOCAL, &[192, 0, 2, 77])
            .attr(libc::IFA_FLAGS, &libc::IFA_F_PERMANENT.to_ne_bytes())
            .finish(0);
        let a = parse_address(&body[NLMSG_HDRLEN..], 3).expect("parsed"); // ok: test code
        assert!(a.permanent_global());
        assert_eq!(a.prefix_len, 24);
        assert_eq!(a.attrs, [(libc::IFA_LOCAL, vec![192, 0, 2, 77])]);
        assert!(parse_address(&body[NLMSG_HDRLEN..], 4).is_none());
    }
}
