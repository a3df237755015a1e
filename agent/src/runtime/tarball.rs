//! A minimal tar (ustar) writer: enough to hand Docker a build context from memory, so images
//! are made on this machine without any registry or extra crate.

/// One entry of a tarball.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    File {
        path: String,
        mode: u32,
        data: Vec<u8>,
    },
    Symlink {
        path: String,
        target: String,
    },
}

/// Why an entry cannot be written in the ustar format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TarError {
    #[error("tar entry name longer than 100 bytes: {0}")]
    NameTooLong(String),
}

/// The tarball of `entries`, in order.
pub fn tarball(entries: &[Entry]) -> Result<Vec<u8>, TarError> {
    let mut out = Vec::new();
    for entry in entries {
        let (path, mode, data, kind, link): (&str, u32, &[u8], u8, &str) = match entry {
            Entry::File { path, mode, data } => (path, *mode, data, b'0', ""),
            Entry::Symlink { path, target } => (path, 0o777, &[], b'2', target),
        };
        out.extend_from_slice(&header(path, mode, data.len(), kind, link)?);
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    Ok(out)
}

fn header(path: &str, mode: u32, size: usize, kind: u8, link: &str) -> Result<[u8; 512], TarError> {
    let mut h = [0u8; 512];
    for name in [path, link] {
        if name.len() > 100 {
            return Err(TarError::NameTooLong(name.to_string()));
        }
    }
    h[..path.len()].copy_from_slice(path.as_bytes());
    octal(&mut h[100..108], u64::from(mode));
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], size as u64);
    octal(&mut h[136..148], 0);
    h[156] = kind;
    h[157..157 + link.len()].copy_from_slice(link.as_bytes());
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    octal(&mut h[148..155], u64::from(sum));
    Ok(h)
}

/// Writes `value` as zero-padded octal digits followed by a NUL, filling `field`.
fn octal(field: &mut [u8], value: u64) {
    let digits = field.len() - 1;
    let text = format!("{value:0digits$o}");
    field[..digits].copy_from_slice(&text.as_bytes()[text.len() - digits..]);
    field[digits] = 0;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_takes_a_header_and_padded_blocks_then_two_end_blocks() {
        let tar = tarball(&[Entry::File {
            path: "a".into(),
            mode: 0o755,
            data: vec![1; 600],
        }])
        .unwrap();
        assert_eq!(tar.len(), 512 + 1024 + 1024);
        assert_eq!(&tar[..1], b"a");
        assert_eq!(&tar[100..108], b"0000755\0");
        assert_eq!(&tar[124..136], b"00000001130\0");
        assert_eq!(&tar[257..262], b"ustar");
    }

    #[test]
    fn the_checksum_counts_its_own_field_as_spaces() {
        let tar = tarball(&[Entry::Symlink {
            path: "bin/sh".into(),
            target: "busybox".into(),
        }])
        .unwrap();
        let mut header = tar[..512].to_vec();
        let stored =
            u32::from_str_radix(std::str::from_utf8(&header[148..154]).unwrap(), 8).unwrap();
        header[148..156].fill(b' ');
        assert_eq!(stored, header.iter().map(|&b| u32::from(b)).sum::<u32>());
        assert_eq!(tar[156], b'2');
        assert_eq!(&tar[157..164], b"busybox");
    }

    #[test]
    fn overlong_names_are_refused() {
        let long = "x".repeat(101);
        assert_eq!(
            tarball(&[Entry::Symlink {
                path: long.clone(),
                target: "t".into()
            }]),
            Err(TarError::NameTooLong(long))
        );
    }
}
