//! The two facts xtask checks about a built binary: which CPU it is for and whether it needs a
//! dynamic loader, read from the ELF header so a wrong cross build fails here, not on the Pi.
//!
//! Only 64-bit little-endian ELF, what every target Kubeplay builds for produces.

use crate::error::{Result, XtaskError};

const MAGIC: &[u8; 4] = b"\x7fELF";
const CLASS_64: u8 = 2;
const LITTLE_ENDIAN: u8 = 1;
const PT_INTERP: u32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ElfFacts {
    /// `e_machine`: 62 is x86-64, 183 is AArch64.
    pub machine: u16,
    /// No `PT_INTERP` segment: runs in a `FROM scratch` image without a libc.
    pub is_static: bool,
}

pub const MACHINE_X86_64: u16 = 62;
pub const MACHINE_AARCH64: u16 = 183;

/// The ELF machine number for a Rust target triple's architecture.
pub fn machine_of_target(target: &str) -> Option<u16> {
    match target.split('-').next()? {
        "x86_64" => Some(MACHINE_X86_64),
        "aarch64" => Some(MACHINE_AARCH64),
        _ => None,
    }
}

pub fn machine_name(machine: u16) -> &'static str {
    match machine {
        MACHINE_X86_64 => "x86-64",
        MACHINE_AARCH64 => "aarch64",
        _ => "another CPU",
    }
}

/// Reads the header and program headers of the ELF file at `path`.
pub fn read(path: &std::path::Path) -> Result<ElfFacts> {
    let bytes = std::fs::read(path).map_err(|source| XtaskError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse(&bytes).ok_or_else(|| {
        XtaskError::Invalid(format!(
            "{} is not a 64-bit little-endian ELF file",
            path.display()
        ))
    })
}

/// `None` when `bytes` is not a well-formed 64-bit little-endian ELF file.
pub fn parse(bytes: &[u8]) -> Option<ElfFacts> {
    if bytes.get(..4)? != MAGIC || *bytes.get(4)? != CLASS_64 || *bytes.get(5)? != LITTLE_ENDIAN {
        return None;
    }
    let machine = u16_at(bytes, 0x12)?;
    let phoff = usize::try_from(u64_at(bytes, 0x20)?).ok()?;
    let phentsize = usize::from(u16_at(bytes, 0x36)?);
    let phnum = usize::from(u16_at(bytes, 0x38)?);
    let table_end = phoff.checked_add(phnum.checked_mul(phentsize)?)?;
    if phentsize < 4 || table_end > bytes.len() {
        return None;
    }
    let mut is_static = true;
    for i in 0..phnum {
        let entry = phoff.checked_add(i.checked_mul(phentsize)?)?;
        if u32_at(bytes, entry)? == PT_INTERP {
            is_static = false;
        }
    }
    Some(ElfFacts { machine, is_static })
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal ELF64 header followed by program headers of the given types.
    fn elf(machine: u16, segments: &[u32]) -> Vec<u8> {
        let mut b = vec![0_u8; 64];
        b[..4].copy_from_slice(MAGIC);
        b[4] = CLASS_64;
        b[5] = LITTLE_ENDIAN;
        b[0x12..0x14].copy_from_slice(&machine.to_le_bytes());
        b[0x20..0x28].copy_from_slice(&64_u64.to_le_bytes());
        b[0x36..0x38].copy_from_slice(&56_u16.to_le_bytes());
        b[0x38..0x3a].copy_from_slice(&(segments.len() as u16).to_le_bytes());
        for kind in segments {
            let mut ph = vec![0_u8; 56];
            ph[..4].copy_from_slice(&kind.to_le_bytes());
            b.extend(ph);
        }
        b
    }

    #[test]
    fn a_binary_with_an_interpreter_is_dynamic() {
        let facts = parse(&elf(MACHINE_X86_64, &[6, PT_INTERP, 1])).unwrap();
        assert_eq!(facts.machine, MACHINE_X86_64);
        assert!(!facts.is_static);
    }

    #[test]
    fn a_binary_without_an_interpreter_is_static() {
        let facts = parse(&elf(MACHINE_AARCH64, &[1, 1, 4])).unwrap();
        assert_eq!(facts.machine, MACHINE_AARCH64);
        assert!(facts.is_static);
    }

    #[test]
    fn truncated_or_foreign_files_are_not_elf() {
        assert_eq!(parse(b"#!/bin/sh\n"), None);
        let mut truncated = elf(MACHINE_X86_64, &[PT_INTERP]);
        truncated.truncate(80);
        assert_eq!(parse(&truncated), None);
        let mut big_endian = elf(MACHINE_X86_64, &[]);
        big_endian[5] = 2;
        assert_eq!(parse(&big_endian), None);
    }

    #[test]
    fn target_triples_map_to_their_machine() {
        assert_eq!(
            machine_of_target("aarch64-unknown-linux-gnu"),
            Some(MACHINE_AARCH64)
        );
        assert_eq!(
            machine_of_target("x86_64-unknown-linux-musl"),
            Some(MACHINE_X86_64)
        );
        assert_eq!(machine_of_target("riscv64gc-unknown-linux-gnu"), None);
    }

    #[test]
    fn this_test_binary_is_read_as_built_for_this_machine() {
        let me = std::env::current_exe().unwrap();
        let facts = read(&me).unwrap();
        let expected = machine_of_target(std::env::consts::ARCH).unwrap();
        assert_eq!(facts.machine, expected);
    }
}
