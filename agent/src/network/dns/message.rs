//! Just enough of the DNS wire format (RFC 1035) for cluster DNS: read a query's question,
//! write an answer with A records, an empty answer or NXDOMAIN. Pure, so every edge is tested
//! without sockets; a malformed packet is an error, never a panic.

/// Record types the agent answers (others get an empty answer).
pub const TYPE_A: u16 = 1;
pub const TYPE_AAAA: u16 = 28;
const CLASS_IN: u16 = 1;
const HEADER_LEN: usize = 12;
/// A name may not be longer than this on the wire.
const MAX_NAME: usize = 255;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DnsError {
    #[error("the packet ends inside the {0}")]
    Truncated(&'static str),
    #[error("the packet is a response, not a query")]
    NotAQuery,
    #[error("the query has no question")]
    NoQuestion,
    #[error("the name is malformed")]
    BadName,
}

/// The question of a query, with what the answer must echo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub id: u16,
    /// The opcode and RD bit of the query, echoed in the answer.
    flags: u16,
    /// The name in lower case, without the trailing dot.
    pub name: String,
    pub qtype: u16,
    pub qclass: u16,
    /// The question as sent, echoed byte for byte.
    question: Vec<u8>,
}

/// What the server answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A records (an empty list is NOERROR with no data, e.g. AAAA for a Service).
    Addresses(Vec<std::net::Ipv4Addr>),
    NxDomain,
    /// The server cannot answer (rcode SERVFAIL).
    ServerFailure,
}

/// Reads the first question of a query.
pub fn parse_query(packet: &[u8]) -> Result<Query, DnsError> {
    if packet.len() < HEADER_LEN {
        return Err(DnsError::Truncated("header"));
    }
    let id = u16::from_be_bytes([packet[0], packet[1]]);
    let flags = u16::from_be_bytes([packet[2], packet[3]]);
    if flags & 0x8000 != 0 {
        return Err(DnsError::NotAQuery);
    }
    if u16::from_be_bytes([packet[4], packet[5]]) == 0 {
        return Err(DnsError::NoQuestion);
    }
    let (name, end) = read_name(packet, HEADER_LEN)?;
    let fixed = packet
        .get(end..end + 4)
        .ok_or(DnsError::Truncated("question"))?;
    Ok(Query {
        id,
        flags: flags & 0x7900,
        name,
        qtype: u16::from_be_bytes([fixed[0], fixed[1]]),
        qclass: u16::from_be_bytes([fixed[2], fixed[3]]),
        question: packet[HEADER_LEN..end + 4].to_vec(),
    })
}

/// Reads a (possibly compressed) name at `start`; returns it and where the question goes on.
fn read_name(packet: &[u8], start: usize) -> Result<(String, usize), DnsError> {
    let mut labels: Vec<String> = Vec::new();
    let mut pos = start;
    let mut end = None;
    let mut jumps = 0;
    let mut len = 0;
    loop {
        let n = *packet.get(pos).ok_or(DnsError::Truncated("name"))? as usize;
        match n {
            0 => {
                let end = end.unwrap_or(pos + 1);
                return Ok((labels.join("."), end));
            }
            n if n & 0xc0 == 0xc0 => {
                let low = *packet.get(pos + 1).ok_or(DnsError::Truncated("name"))? as usize;
                end.get_or_insert(pos + 2);
                jumps += 1;
                if jumps > 16 {
                    return Err(DnsError::BadName);
                }
                pos = ((n & 0x3f) << 8) | low;
            }
            n if n & 0xc0 != 0 => return Err(DnsError::BadName),
            n => {
                let label = packet
                    .get(pos + 1..pos + 1 + n)
                    .ok_or(DnsError::Truncated("name"))?;
                len += n + 1;
                if len > MAX_NAME {
                    return Err(DnsError::BadName);
                }
                labels.push(String::from_utf8_lossy(label).to_ascii_lowercase());
                pos += 1 + n;
            }
        }
    }
}

/// The answer to `query`, with records valid for `ttl` seconds.
pub fn response(query: &Query, answer: &Answer, ttl: u32) -> Vec<u8> {
    let (rcode, addresses): (u16, &[std::net::Ipv4Addr]) = match answer {
        Answer::Addresses(a) => (0, a),
        Answer::NxDomain => (3, &[]),
        Answer::ServerFailure => (2, &[]),
    };
    let a_records = if query.qtype == TYPE_A && query.qclass == CLASS_IN {
        addresses
    } else {
        &[]
    };
    // QR, the query's opcode and RD, AA (authoritative for the cluster domain), RA.
    let flags = 0x8000 | query.flags | 0x0400 | 0x0080 | rcode;
    let mut out = Vec::with_capacity(HEADER_LEN + query.question.len() + 16 * a_records.len());
    for word in [query.id, flags, 1, a_records.len() as u16, 0, 0] {
        out.extend_from_slice(&word.to_be_bytes());
    }
    out.extend_from_slice(&query.question);
    for ip in a_records {
        out.extend_from_slice(&[0xc0, HEADER_LEN as u8]); // the question's name
        out.extend_from_slice(&TYPE_A.to_be_bytes());
        out.extend_from_slice(&CLASS_IN.to_be_bytes());
        out.extend_from_slice(&ttl.to_be_bytes());
        out.extend_from_slice(&4u16.to_be_bytes());
        out.extend_from_slice(&ip.octets());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    /// A query as glibc, musl and busybox send it: one question, RD set.
    fn query(id: u16, name: &str, qtype: u16) -> Vec<u8> {
        let mut p = Vec::new();
        for word in [id, 0x0100, 1, 0, 0, 0] {
            p.extend_from_slice(&word.to_be_bytes());
        }
        for label in name.split('.') {
            p.push(label.len() as u8);
            p.extend_from_slice(label.as_bytes());
        }
        p.push(0);
        p.extend_from_slice(&qtype.to_be_bytes());
        p.extend_from_slice(&CLASS_IN.to_be_bytes());
        p
    }

    #[test]
    fn a_query_yields_its_lower_case_name_and_type() {
        let q = parse_query(&query(
            7,
            "My-API-Service.default.svc.cluster.local",
            TYPE_A,
        ))
        .unwrap();
        assert_eq!(
            (q.id, q.name.as_str(), q.qtype),
            (7, "my-api-service.default.svc.cluster.local", TYPE_A)
        );
    }

    #[test]
    fn an_answer_echoes_the_question_and_carries_a_records() {
        let packet = query(0xbeef, "web.default.svc.cluster.local", TYPE_A);
        let q = parse_query(&packet).unwrap();
        let out = response(
            &q,
            &Answer::Addresses(vec![Ipv4Addr::new(10, 96, 0, 20)]),
            5,
        );
        assert_eq!(&out[0..2], &[0xbe, 0xef]);
        assert_eq!(
            u16::from_be_bytes([out[2], out[3]]),
            0x8580,
            "QR AA RD RA, NOERROR"
        );
        assert_eq!(&out[4..12], &[0, 1, 0, 1, 0, 0, 0, 0]);
        assert_eq!(
            &out[12..packet.len()],
            &packet[12..],
            "the question, as asked"
        );
        let rr = &out[packet.len()..];
        assert_eq!(rr, &[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 10, 96, 0, 20]);
    }

    #[test]
    fn nxdomain_and_aaaa_answers_carry_no_records() {
        let q = parse_query(&query(1, "nope.default.svc.cluster.local", TYPE_A)).unwrap();
        let out = response(&q, &Answer::NxDomain, 5);
        assert_eq!(u16::from_be_bytes([out[2], out[3]]) & 0xf, 3);
        assert_eq!(&out[6..8], &[0, 0]);
        let q = parse_query(&query(2, "web.default.svc.cluster.local", TYPE_AAAA)).unwrap();
        let out = response(
            &q,
            &Answer::Addresses(vec![Ipv4Addr::new(10, 96, 0, 20)]),
            5,
        );
        assert_eq!(
            u16::from_be_bytes([out[2], out[3]]) & 0xf,
            0,
            "the name exists"
        );
        assert_eq!(&out[6..8], &[0, 0], "but has no IPv6 address");
    }

    #[test]
    fn malformed_packets_are_errors() {
        assert_eq!(parse_query(&[0; 5]), Err(DnsError::Truncated("header")));
        let mut p = query(1, "a.b", TYPE_A);
        p.truncate(p.len() - 3);
        assert_eq!(parse_query(&p), Err(DnsError::Truncated("question")));
        let mut p = query(1, "a", TYPE_A);
        p[2] |= 0x80;
        assert_eq!(parse_query(&p), Err(DnsError::NotAQuery));
        let mut looped = query(1, "a", TYPE_A);
        looped.truncate(12);
        looped.extend_from_slice(&[0xc0, 12]);
        assert_eq!(
            parse_query(&looped),
            Err(DnsError::BadName),
            "a pointer to itself"
        );
        let mut p = query(1, "a", TYPE_A);
        p[5] = 0;
        assert_eq!(parse_query(&p), Err(DnsError::NoQuestion));
    }
}
