//! SPDY/3 header blocks: the name/value list format and the zlib contexts that compress them.
//!
//! Each direction of a session has one zlib stream for all of its header blocks, primed with the
//! dictionary SPDY/3 fixes (section 2.6.10.1) and flushed with a sync flush after every block; a
//! block cannot be read without every block before it, so one session owns one [`Inflater`]
//! and one [`Deflater`] and feeds them in wire order.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

/// Largest decompressed header block accepted: port-forward's are a few dozen bytes, and this
/// keeps a hostile block from inflating without bound.
pub const MAX_BLOCK_BYTES: usize = 64 << 10;

/// Name/value pairs in wire order (SPDY/3 header names are lowercase).
pub type Headers = Vec<(String, String)>;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HeaderError {
    #[error("the SPDY header block is not valid zlib data: {0}")]
    Zlib(String),
    #[error("the SPDY header block inflates beyond {MAX_BLOCK_BYTES} bytes")]
    TooLarge,
    #[error("the SPDY header block ends in the middle of {0}")]
    Truncated(&'static str),
    #[error("the SPDY header block has a name or value that is not UTF-8")]
    NotUtf8,
}

/// The header names, methods and versions SPDY/3's dictionary lists, each written with a
/// 32-bit big-endian length in front of it.
const DICTIONARY_WORDS: &[&str] = &[
    "options",
    "head",
    "post",
    "put",
    "delete",
    "trace",
    "accept",
    "accept-charset",
    "accept-encoding",
    "accept-language",
    "accept-ranges",
    "age",
    "allow",
    "authorization",
    "cache-control",
    "connection",
    "content-base",
    "content-encoding",
    "content-language",
    "content-length",
    "content-location",
    "content-md5",
    "content-range",
    "content-type",
    "date",
    "etag",
    "expect",
    "expires",
    "from",
    "host",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-range",
    "if-unmodified-since",
    "last-modified",
    "location",
    "max-forwards",
    "pragma",
    "proxy-authenticate",
    "proxy-authorization",
    "range",
    "referer",
    "retry-after",
    "server",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "vary",
    "via",
    "warning",
    "www-authenticate",
    "method",
    "get",
    "status",
    "200 OK",
    "version",
    "HTTP/1.1",
    "url",
    "public",
    "set-cookie",
    "keep-alive",
    "origin",
];

/// The rest of the dictionary: status codes and common values, run together without lengths.
const DICTIONARY_TAIL: &str = concat!(
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505",
    "203 Non-Authoritative Information",
    "204 No Content",
    "301 Moved Permanently",
    "400 Bad Request",
    "401 Unauthorized",
    "403 Forbidden",
    "404 Not Found",
    "500 Internal Server Error",
    "501 Not Implemented",
    "503 Service Unavailable",
    "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 ",
    "Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT",
    "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,",
    "text/plain,text/javascript,publicprivatemax-age=gzip,deflate,sdch",
    "charset=utf-8charset=iso-8859-1,utf-,*,enq=0.",
);

/// SPDY/3's zlib dictionary, as both ends must prime their contexts with it.
pub fn dictionary() -> Vec<u8> {
    let mut out = Vec::with_capacity(1423);
    for word in DICTIONARY_WORDS {
        out.extend_from_slice(&(word.len() as u32).to_be_bytes());
        out.extend_from_slice(word.as_bytes());
    }
    out.extend_from_slice(DICTIONARY_TAIL.as_bytes());
    out
}

/// The uncompressed block: a count, then each name and value with a 32-bit length.
pub fn encode_block(headers: &[(String, String)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(headers.len() as u32).to_be_bytes());
    for (name, value) in headers {
        for part in [name.to_ascii_lowercase().as_bytes(), value.as_bytes()] {
            out.extend_from_slice(&(part.len() as u32).to_be_bytes());
            out.extend_from_slice(part);
        }
    }
    out
}

/// Reads an uncompressed block. A value holding several NUL-separated values stays one string.
pub fn decode_block(block: &[u8]) -> Result<Headers, HeaderError> {
    let mut rest = block;
    let count = take_u32(&mut rest, "the pair count")?;
    let mut headers = Vec::new();
    for _ in 0..count {
        let name = take_string(&mut rest, "a header name")?;
        let value = take_string(&mut rest, "a header value")?;
        headers.push((name, value));
    }
    Ok(headers)
}

/// The first value of `name` (names compare case-insensitively).
pub fn get<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.split('\0').next().unwrap_or(v.as_str()))
}

fn take_u32(rest: &mut &[u8], what: &'static str) -> Result<u32, HeaderError> {
    let (head, tail) = rest
        .split_first_chunk::<4>()
        .ok_or(HeaderError::Truncated(what))?;
    *rest = tail;
    Ok(u32::from_be_bytes(*head))
}

fn take_string(rest: &mut &[u8], what: &'static str) -> Result<String, HeaderError> {
    let len = take_u32(rest, what)? as usize;
    if len > rest.len() {
        return Err(HeaderError::Truncated(what));
    }
    let (bytes, tail) = rest.split_at(len);
    *rest = tail;
    String::from_utf8(bytes.to_vec()).map_err(|_| HeaderError::NotUtf8)
}

/// The receiving direction's zlib context.
pub struct Inflater {
    inner: Decompress,
}

impl Default for Inflater {
    fn default() -> Self {
        Self {
            inner: Decompress::new(true),
        }
    }
}

impl Inflater {
    /// Inflates one compressed block and decodes it.
    pub fn headers(&mut self, compressed: &[u8]) -> Result<Headers, HeaderError> {
        decode_block(&self.inflate(compressed)?)
    }

    /// Inflates one block; the first one asks for the dictionary, which is supplied then.
    pub fn inflate(&mut self, compressed: &[u8]) -> Result<Vec<u8>, HeaderError> {
        let mut out = Vec::with_capacity(compressed.len() * 4 + 64);
        let mut pos = 0;
        loop {
            if out.len() == out.capacity() {
                out.reserve(out.capacity().max(256));
            }
            let (in_before, out_before) = (self.inner.total_in(), self.inner.total_out());
            let result =
                self.inner
                    .decompress_vec(&compressed[pos..], &mut out, FlushDecompress::Sync);
            pos += (self.inner.total_in() - in_before) as usize;
            let progressed =
                self.inner.total_in() != in_before || self.inner.total_out() != out_before;
            match result {
                Ok(Status::StreamEnd) => break,
                Ok(_) => {}
                Err(e) if e.needs_dictionary().is_some() => {
                    self.inner
                        .set_dictionary(&dictionary())
                        .map_err(|e| HeaderError::Zlib(e.to_string()))?;
                    continue;
                }
                Err(e) => return Err(HeaderError::Zlib(e.to_string())),
            }
            if out.len() > MAX_BLOCK_BYTES {
                return Err(HeaderError::TooLarge);
            }
            let output_room_left = out.len() < out.capacity();
            if pos >= compressed.len() && output_room_left {
                break;
            }
            if !progressed && output_room_left {
                return Err(HeaderError::Truncated("the compressed data"));
            }
        }
        Ok(out)
    }
}

/// The sending direction's zlib context.
pub struct Deflater {
    inner: Compress,
}

impl Default for Deflater {
    fn default() -> Self {
        let mut inner = Compress::new(Compression::default(), true);
        // Cannot fail on a fresh stream: the dictionary goes in before any data.
        let _ = inner.set_dictionary(&dictionary());
        Self { inner }
    }
}

impl Deflater {
    /// Compresses one block, ending with a sync flush so the peer can inflate it whole.
    pub fn headers(&mut self, headers: &[(String, String)]) -> Vec<u8> {
        self.deflate(&encode_block(headers))
    }

    pub fn deflate(&mut self, block: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(block.len() + 64);
        let mut pos = 0;
        loop {
            if out.len() == out.capacity() {
                out.reserve(out.capacity().max(256));
            }
            let before = self.inner.total_in();
            // Errors are impossible for in-memory buffers with room (zlib's BUF_ERROR only
            // means "no progress", which the room check below rules out).
            let _ = self
                .inner
                .compress_vec(&block[pos..], &mut out, FlushCompress::Sync);
            pos += (self.inner.total_in() - before) as usize;
            if pos >= block.len() && out.len() < out.capacity() {
                break;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Headers {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_dictionary_is_the_1423_bytes_spdy3_fixes() {
        let dict = dictionary();
        assert_eq!(dict.len(), 1423);
        assert_eq!(&dict[..11], b"\0\0\0\x07options");
        assert!(dict.ends_with(b",*,enq=0."));
    }

    #[test]
    fn a_block_lists_its_pairs_with_32_bit_lengths() {
        let block = encode_block(&pairs(&[("StreamType", "data"), ("port", "80")]));
        let expected: &[u8] =
            b"\0\0\0\x02\0\0\0\x0astreamtype\0\0\0\x04data\0\0\0\x04port\0\0\0\x0280";
        assert_eq!(block, expected);
        assert_eq!(
            decode_block(expected).unwrap(),
            pairs(&[("streamtype", "data"), ("port", "80")])
        );
    }

    #[test]
    fn a_short_block_is_an_error_not_a_panic() {
        assert_eq!(
            decode_block(b"\0\0\0\x01\0\0\0\x09port"),
            Err(HeaderError::Truncated("a header name"))
        );
        assert_eq!(
            decode_block(b"\0\0"),
            Err(HeaderError::Truncated("the pair count"))
        );
    }

    #[test]
    fn blocks_round_trip_through_one_context_per_direction() {
        let mut deflater = Deflater::default();
        let mut inflater = Inflater::default();
        let first = pairs(&[
            ("streamtype", "error"),
            ("port", "8080"),
            ("requestid", "0"),
        ]);
        let second = pairs(&[("streamtype", "data"), ("port", "8080"), ("requestid", "0")]);
        let a = deflater.headers(&first);
        let b = deflater.headers(&second);
        // The second block reuses the first's history, so it cannot be read on its own.
        assert!(Inflater::default().headers(&b).is_err());
        assert_eq!(inflater.headers(&a).unwrap(), first);
        assert_eq!(inflater.headers(&b).unwrap(), second);
    }

    #[test]
    fn the_first_block_names_the_dictionary_in_its_zlib_header() {
        let block = Deflater::default().headers(&[]);
        // CMF/FLG with FDICT set, then the dictionary's Adler-32.
        assert_eq!(block[1] & 0x20, 0x20, "{block:02x?}");
        let mut check = Decompress::new(true);
        let err = check
            .decompress_vec(&block, &mut Vec::with_capacity(64), FlushDecompress::Sync)
            .unwrap_err();
        assert_eq!(
            err.needs_dictionary(),
            Some(u32::from_be_bytes([block[2], block[3], block[4], block[5]]))
        );
    }

    #[test]
    fn garbage_is_a_zlib_error() {
        assert!(matches!(
            Inflater::default().inflate(b"not zlib at all"),
            Err(HeaderError::Zlib(_))
        ));
    }

    #[test]
    fn get_finds_names_case_insensitively_and_takes_the_first_value() {
        let h = pairs(&[("Port", "80\u{0}81")]);
        assert_eq!(get(&h, "port"), Some("80"));
        assert_eq!(get(&h, "requestid"), None);
    }
}
